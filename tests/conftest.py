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
    """Prints the corpus figures and the translations left to update, after every run that
    measured them."""
    _danger_figures(terminalreporter)
    _language_figures(terminalreporter)


def _danger_figures(terminalreporter: Any) -> None:
    from tests.safety import corpus

    if corpus.language_scores.cache_info().currsize == 0:
        return  # the safety tests did not run (a subset was selected)
    terminalreporter.section("danger detector on the safety corpus")
    for language in corpus.languages():
        for line in corpus.report(corpus.language_scores(language)):
            terminalreporter.write_line(line)


def _language_figures(terminalreporter: Any) -> None:
    """Typed answers understood per language, and the texts whose English changed since
    they were translated (a list to work through, not a failure)."""
    from tests.engine import test_translations, test_typed_answers

    figures = test_typed_answers.report()
    if figures:
        terminalreporter.section("typed answers on the corpora (tests/answers/)")
        for line in figures:
            terminalreporter.write_line(line)
    if test_translations.to_update.cache_info().currsize == 0:
        return
    terminalreporter.section("translations to update (dialogs/content/translations.lock)")
    for language, keys in test_translations.to_update().items():
        if not keys:
            terminalreporter.write_line(
                f"{language}: every text is translated from the current English"
            )
            continue
        terminalreporter.write_line(f"{language}: {len(keys)} text(s) whose English changed since:")
        for key in keys:
            terminalreporter.write_line(f"  dialogs/content/{language}.yaml: {key}")
    terminalreporter.write_line(
        "after translating: python -m dialogs.translations --refresh LANGUAGE [--key KEY]"
    )
