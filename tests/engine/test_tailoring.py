"""Moving forward fits the person: their top factors, their track, their situation."""

from __future__ import annotations

from dialogs.content_model import StepKind
from dialogs.engine import DialogueEngine
from dialogs.guidance import filled_cells, plan
from dialogs.snapshot import Snapshot
from tests.engine.driver import Conversation


def _answers_favouring(engine: DialogueEngine, factor_id: str, concern: int) -> dict[str, str]:
    """Answers that weigh most on one factor, with viability answers at a concern level."""
    answers = {}
    for step in engine.content.steps:
        if step.kind is not StepKind.QUESTION or step.id == "welcome":
            continue
        if step.section == "viability":
            answers[step.id] = next(o.id for o in step.options if o.concern == concern)
        else:
            scored = sorted(
                step.options,
                key=lambda o: (o.weights.get(factor_id, 0), -sum(o.weights.values())),
            )
            answers[step.id] = scored[-1].id
    return answers


def _guidance_for(engine: DialogueEngine, answers: dict[str, str]) -> str:
    """Replays answers through the engine by tapping buttons, and returns the guidance text."""
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    while engine.content.step(chat.state).kind is StepKind.QUESTION:
        step = engine.content.step(chat.state)
        option = step.option(answers[step.id])
        assert option is not None
        chat.tap(option.label)
    assert chat.state == "forward"
    return chat.texts()


def test_a_profile_high_on_one_factor_gets_that_factors_suggestions(
    engine: DialogueEngine,
) -> None:
    for factor in engine.content.factors:
        answers = _answers_favouring(engine, factor.id, concern=0)
        text = _guidance_for(engine, answers)
        assert factor.title in text
        chosen = plan(engine.content, engine.profile(_snapshot(engine, answers)), answers)
        assert chosen.suggestions[factor.id]
        assert all(suggestion.text in text for suggestion in chosen.suggestions[factor.id])
        assert len(chosen.suggestions) <= 2, "at most one runner-up"


def test_viability_answers_select_the_track(engine: DialogueEngine) -> None:
    expected = {0: "steady", 1: "watchful", 2: "reassess"}
    for concern, track_id in expected.items():
        answers = _answers_favouring(engine, "pressure", concern=concern)
        profile = engine.profile(_snapshot(engine, answers))
        assert profile.concern == 4 * concern
        assert profile.track.id == track_id
        track = next(t for t in engine.content.tracks if t.id == track_id)
        assert track.message in _guidance_for(engine, answers)


def test_track_boundaries_follow_the_content(engine: DialogueEngine) -> None:
    viability = [s for s in engine.content.steps if s.section == "viability"]

    def with_concern(total: int) -> str:
        answers = {}
        for step in viability:
            level = min(2, total)
            total -= level
            answers[step.id] = next(o.id for o in step.options if o.concern == level)
        return engine.profile(_snapshot(engine, answers)).track.id

    assert [with_concern(n) for n in range(9)] == [
        "steady",
        "steady",
        "steady",
        "watchful",
        "watchful",
        "watchful",
        "reassess",
        "reassess",
        "reassess",
    ]


def test_different_profiles_get_visibly_different_guidance(engine: DialogueEngine) -> None:
    texts = {
        _guidance_for(engine, _answers_favouring(engine, factor.id, concern))
        for factor in engine.content.factors
        for concern in (0, 2)
    }
    assert len(texts) == 10


def test_no_factor_standing_out_says_so(engine: DialogueEngine) -> None:
    answers = {}
    for step in engine.content.steps:
        if step.kind is StepKind.QUESTION and step.id != "welcome":
            answers[step.id] = min(step.options, key=lambda o: sum(o.weights.values())).id
    text = _guidance_for(engine, answers)
    assert "No single reason stands out" in text


def test_context_answers_add_their_notes(engine: DialogueEngine) -> None:
    answers = _answers_favouring(engine, "social", 1)
    answers["stage"], answers["duration"] = "early", "longer"
    text = _guidance_for(engine, answers)
    assert "still early on" in text
    assert "lasted a long time" in text


def test_the_picture_fills_the_cells_of_each_factor(engine: DialogueEngine) -> None:
    profile = engine.profile(_snapshot(engine, _answers_favouring(engine, "readiness", 0)))
    cells = [filled_cells(score.share, score.score) for score in profile.scores]
    assert len(cells) == 5
    assert cells[3] == 5  # readiness is the fourth factor, and full
    assert filled_cells(0.01, 1) == 1, "any weight at all shows"
    assert filled_cells(0.0, 0) == 0


def test_changing_an_answer_changes_the_profile(engine: DialogueEngine) -> None:
    answers = _answers_favouring(engine, "independence", 0)
    before = engine.profile(_snapshot(engine, answers))
    answers.update(_answers_favouring(engine, "social", 0))
    after = engine.profile(_snapshot(engine, answers))
    assert before.top_factor_id == "independence"
    assert after.top_factor_id == "social"


def _snapshot(engine: DialogueEngine, answers: dict[str, str]) -> Snapshot:
    return engine.new_snapshot().model_copy(update={"answers": answers})
