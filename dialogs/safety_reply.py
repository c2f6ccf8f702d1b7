"""The words of a safety reply: acknowledge, give the resources that fit, ask if they're safe.

Kept apart from the detector (which decides *whether*) and the engine (which decides
*when*): this only turns the kinds of danger found into one message, from the content's
texts, so an author can change a resource without touching either.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Literal

from dialogs.content_model import ALWAYS_SHOWN, Safety
from dialogs.danger_kinds import DangerKind

#: What a reply answers when nothing was said, only asked for (/sos, "I need help now").
ASKED: Final[Literal["asked"]] = "asked"


def compose_safety_reply(safety: Safety, kinds: Collection[DangerKind]) -> str:
    """The reply for the kinds found; no kinds means help was asked for, so all of it."""
    acknowledged: DangerKind | Literal["asked"] = next(
        (kind for kind in safety.acknowledge if kind in kinds), ASKED
    )
    wanted = kinds or list(DangerKind)
    blocks: list[str] = []
    for kind in DangerKind:  # a fixed order, whatever order the kinds were found in
        if kind in wanted:
            blocks.extend(block for block in safety.needs[kind] if block not in blocks)
    first, last = ALWAYS_SHOWN
    lines = [safety.resources[block] for block in (first, *blocks, last)]
    return "\n\n".join(
        [safety.acknowledge[acknowledged], "\n".join([safety.lead, *lines]), safety.question]
    )
