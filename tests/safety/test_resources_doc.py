"""The safety blocks proposed in docs/safety-resources.md can be dropped into the content.

Until the Russian and Spanish content files carry them, this keeps the proposals honest:
each parses as a ``safety:`` block, and every reply it can make fits one phone screen.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
import yaml

from dialogs.content_model import Safety
from dialogs.danger_kinds import DangerKind
from dialogs.safety_reply import compose_safety_reply
from tests.engine.test_safety import PHONE_SCREEN

DOC = Path(__file__).parents[2] / "docs" / "safety-resources.md"
_BLOCK = re.compile(
    r"^### \w+ \(`dialogs/content/(\w+)\.yaml`\)\n\n```yaml\n(.*?)^```", re.M | re.S
)


def _proposals() -> dict[str, Safety]:
    text = DOC.read_text(encoding="utf-8").split("## Proposed safety blocks", 1)[1]
    return {
        language: Safety.model_validate(yaml.safe_load(block)["safety"])
        for language, block in _BLOCK.findall(text)
    }


def test_there_is_a_proposal_for_russian_and_spanish() -> None:
    assert set(_proposals()) == {"ru", "es"}


@pytest.mark.parametrize("language", ["ru", "es"])
def test_every_proposed_reply_fits_a_phone_screen(language: str) -> None:
    safety = _proposals()[language]
    for size in range(len(DangerKind) + 1):
        for kinds in combinations(DangerKind, size):
            reply = compose_safety_reply(safety, kinds)
            assert len(reply) <= PHONE_SCREEN, (kinds, len(reply))
            assert "findahelpline.com" in reply
