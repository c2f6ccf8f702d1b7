"""The shape of the dialogue: every step reachable, every key used, every path finishes."""

from __future__ import annotations

import re
from pathlib import Path

from dialogs.content_model import Action, OptionAction, StepKind, Ui
from dialogs.diagram import document
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Choose
from dialogs.snapshot import Snapshot
from tests.engine.driver import Conversation

ROOT = Path(__file__).resolve().parents[2]


def _successor_snapshots(engine: DialogueEngine, snapshot: Snapshot) -> list[Snapshot]:
    """Every snapshot one forward move away: each answer that moves on, and skip."""
    step = engine.content.step(snapshot.state)
    found = []
    for option in step.options:
        if option.action is None:
            found.append(engine.apply(snapshot, Choose(option.id, snapshot.seq)).snapshot)
    found.append(engine.apply(snapshot, Act(Action.SKIP, snapshot.seq)).snapshot)
    return [s for s in found if s.state != snapshot.state]


def test_every_step_is_reachable_and_every_path_ends_in_moving_forward(
    engine: DialogueEngine,
) -> None:
    """Explores every forward path through the engine (not just the content graph)."""
    reached: set[str] = set()
    dead_ends: set[str] = set()
    frontier = [engine.new_snapshot()]
    seen: set[str] = set()
    through_guidance: dict[str, bool] = {}
    while frontier:
        snapshot = frontier.pop()
        reached.add(snapshot.state)
        key = snapshot.state
        if key in seen:
            continue
        seen.add(key)
        successors = _successor_snapshots(engine, snapshot)
        if not successors:
            dead_ends.add(snapshot.state)
        for successor in successors:
            through_guidance[successor.state] = (
                through_guidance.get(snapshot.state, False)
                or engine.content.step(successor.state).kind is StepKind.GUIDANCE
            )
            frontier.append(successor)
    assert reached == {step.id for step in engine.content.steps}
    assert dead_ends == {"done"}
    assert through_guidance["done"], "the end is only reached through moving forward"


def test_every_option_of_every_question_can_be_chosen(engine: DialogueEngine) -> None:
    for step in engine.content.steps:
        for option in step.options:
            snapshot = engine.new_snapshot().model_copy(update={"state": step.id})
            turn = engine.apply(snapshot, Choose(option.id, snapshot.seq))
            assert turn.outcome.value != "stale", (step.id, option.id)
            assert engine.content.has_step(turn.snapshot.state)


def test_every_ui_text_is_used_by_the_code() -> None:
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("dialogs", "bot", "storage")
        for path in (ROOT / folder).rglob("*.py")
    )
    unused = [name for name in Ui.model_fields if not re.search(rf"\.{name}\b", sources)]
    assert unused == []


def test_every_option_action_and_every_action_is_handled(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    for action in Action:
        turn = chat.act(action)
        assert turn.messages, f"{action} said nothing"
        chat.start()
    used = {o.action for s in engine.content.steps for o in s.options if o.action}
    assert used == set(OptionAction)


def test_every_factor_can_stand_out_and_every_track_can_be_reached(
    engine: DialogueEngine,
) -> None:
    tops: set[str] = set()
    tracks: set[str] = set()
    content = engine.content
    for factor in content.factors:
        answers = {}
        for step in content.steps:
            if step.kind is StepKind.QUESTION:
                best = max(step.options, key=lambda o: o.weights.get(factor.id, 0))
                answers[step.id] = best.id
        top_factor = engine.profile(engine.new_snapshot().model_copy(update={"answers": answers}))
        tops.add(top_factor.top_factor_id or "")
    for concern_choice in (0, 1, 2):
        answers = {
            step.id: step.options[concern_choice].id
            for step in content.steps
            if step.section == "viability"
        }
        profile = engine.profile(engine.new_snapshot().model_copy(update={"answers": answers}))
        tracks.add(profile.track.id)
    assert tops == {factor.id for factor in content.factors}
    assert tracks == {track.id for track in content.tracks}


def test_the_committed_diagram_matches_the_machine(engine: DialogueEngine) -> None:
    committed = (ROOT / "docs" / "dialogue.md").read_text(encoding="utf-8")
    assert committed == document(engine), "run `make diagram` and commit docs/dialogue.md"
