"""Typed answers people really give, against the labelled corpus in tests/answers/."""

from __future__ import annotations

from pathlib import Path

from dialogs.engine import DialogueEngine
from dialogs.events import Say
from dialogs.turn import Outcome

CORPUS = Path(__file__).parents[1] / "answers" / "en.tsv"
MIN_SHARE = 0.90
NO_OPTION = "-"


def _cases() -> list[tuple[str, str, str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
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


def test_the_corpus_covers_every_question(engine: DialogueEngine) -> None:
    cases = _cases()
    assert len(cases) >= 150
    asked = {s.id for s in engine.content.steps if s.kind.value == "question"}
    assert asked <= {step for step, _, _ in cases}


def test_typed_answers_are_understood_or_kindly_asked_again(engine: DialogueEngine) -> None:
    cases = _cases()
    wrong = [c for c in cases if not _understood(engine, *c)]
    share = 1 - len(wrong) / len(cases)
    print(f"\ntyped answers understood: {share:.3f} ({len(cases) - len(wrong)}/{len(cases)})")
    assert share >= MIN_SHARE, "\n".join("\t".join(case) for case in wrong)


def test_durations_are_read_as_lengths_of_time(engine: DialogueEngine) -> None:
    vocabulary = engine._vocabularies["stage"]
    expected = {
        "like 3 months": "early",
        "a year and a half": "building",
        "18 months": "building",
        "2 and a half years": "established",
        "almost 4 yrs now": "established",
    }
    for typed, option_id in expected.items():
        option = vocabulary.match_option(typed)
        assert option is not None, typed
        assert option.id == option_id, typed
