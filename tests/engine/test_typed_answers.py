"""Typed answers people really give, against the labelled corpora in tests/answers/.

One corpus per language (``<language>.tsv``); each is driven through that language's
engine, and each must reach the same share. The figures are printed at the end of the run
(see tests/conftest.py), per language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from dialogs import default_library
from dialogs.engine import DialogueEngine
from dialogs.events import Say
from dialogs.turn import Outcome

CORPORA = Path(__file__).parents[1] / "answers"
MIN_SHARE = 0.90
NO_OPTION = "-"
#: Lines each language's corpus has at least (English, the source, has the most).
MIN_CASES = {"en": 150}
MIN_CASES_TRANSLATED = 50
LANGUAGES = sorted(path.stem for path in CORPORA.glob("*.tsv"))


def _cases(language: str) -> list[tuple[str, str, str]]:
    lines = (CORPORA / f"{language}.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(step, option, typed) for step, option, typed in rows]


def _understood(engine: DialogueEngine, step_id: str, expected: str, typed: str) -> bool:
    """Types the words at that step; True if the intended option (or a re-prompt) came."""
    snapshot = engine.new_snapshot().model_copy(update={"state": step_id})
    turn = engine.apply(snapshot, Say(typed))
    if expected == NO_OPTION:
        return turn.outcome is Outcome.REPROMPT
    option = engine.step(step_id).option(expected)
    assert option is not None, f"{step_id}.{expected} is not in the content"
    return turn.chosen == option.label


@cache
def scores(language: str) -> tuple[int, list[tuple[str, str, str]]]:
    """How many lines of a language's corpus there are, and those not understood."""
    engine = default_library().engine(language)
    cases = _cases(language)
    return len(cases), [case for case in cases if not _understood(engine, *case)]


def report() -> list[str]:
    """One line per language measured in this run: the share understood."""
    lines = []
    for language in LANGUAGES:
        if scores.cache_info().currsize and language in _measured:
            total, wrong = scores(language)
            share = 1 - len(wrong) / total
            lines.append(f"{language}: {share:.3f} understood ({total - len(wrong)}/{total})")
    return lines


_measured: set[str] = set()


def test_every_content_language_has_a_corpus() -> None:
    assert set(LANGUAGES) == set(default_library().languages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_corpus_covers_every_question(language: str) -> None:
    engine = default_library().engine(language)
    cases = _cases(language)
    assert len(cases) >= MIN_CASES.get(language, MIN_CASES_TRANSLATED)
    asked = {s.id for s in engine.content.steps if s.kind.value == "question"}
    assert asked <= {step for step, _, _ in cases}


@pytest.mark.parametrize("language", LANGUAGES)
def test_typed_answers_are_understood_or_kindly_asked_again(language: str) -> None:
    total, wrong = scores(language)
    _measured.add(language)
    share = 1 - len(wrong) / total
    print(f"\n{language}: typed answers understood: {share:.3f} ({total - len(wrong)}/{total})")
    assert share >= MIN_SHARE, "\n".join("\t".join(case) for case in wrong)


@pytest.mark.parametrize(
    ("language", "typed", "option_id"),
    [
        ("en", "like 3 months", "early"),
        ("en", "a year and a half", "building"),
        ("en", "18 months", "building"),
        ("en", "2 and a half years", "established"),
        ("en", "almost 4 yrs now", "established"),
        ("ru", "месяца через 3", "early"),
        ("ru", "полтора года", "building"),
        ("ru", "полгода", "building"),
        ("ru", "8 мес", "building"),
        ("ru", "два с половиной года", "established"),  # noqa: RUF001 (a Russian word)
        ("ru", "5 лет", "established"),
        ("ru", "пару недель", "early"),
        ("es", "3 meses", "early"),
        ("es", "año y medio", "building"),
        ("es", "un año y medio", "building"),
        ("es", "medio año", "building"),
        ("es", "unos 8 meses", "building"),
        ("es", "dos años y medio", "established"),
        ("es", "5 anos", "established"),
        ("es", "un par de semanas", "early"),
    ],
)
def test_durations_are_read_as_lengths_of_time(language: str, typed: str, option_id: str) -> None:
    vocabulary = default_library().engine(language)._vocabularies["stage"]
    option = vocabulary.match_option(typed)
    assert option is not None, typed
    assert option.id == option_id, typed


@pytest.mark.parametrize(
    ("language", "typed", "position"),
    [("en", "option 2", 2), ("ru", "вариант 3", 3), ("es", "opción 2", 2), ("es", "la 4", 4)],
)
def test_an_option_is_chosen_by_its_number(language: str, typed: str, position: int) -> None:
    engine = default_library().engine(language)
    option = engine._vocabularies["stage"].match_option(typed)
    assert option is engine.step("stage").options[position - 1]
