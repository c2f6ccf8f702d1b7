"""Fixtures shared by every test layer."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from dialogs import CONTENT_DIR, default_engine
from dialogs.engine import DialogueEngine

CONTENT_FILE = CONTENT_DIR / "en.yaml"
os.environ.setdefault("PTB_TIMEDELTA", "1")  # as the bot does (see bot/__init__.py)


@pytest.fixture(scope="session")
def engine() -> DialogueEngine:
    """The engine for the shipped English content."""
    return default_engine()


@pytest.fixture(scope="session")
def _raw_content() -> dict[str, Any]:
    data = yaml.safe_load(Path(CONTENT_FILE).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def raw_content(_raw_content: dict[str, Any]) -> dict[str, Any]:
    """A fresh, mutable copy of the shipped content, for breaking in tests."""
    return copy.deepcopy(_raw_content)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints the danger detector's corpus figures after every run that measured them."""
    from tests.safety import corpus

    if corpus.language_scores.cache_info().currsize == 0:
        return  # the safety tests did not run (a subset was selected)
    terminalreporter.section("danger detector on the safety corpus")
    for language in corpus.languages():
        for line in corpus.report(corpus.language_scores(language)):
            terminalreporter.write_line(line)
