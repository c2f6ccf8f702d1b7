"""Moving forward is about this person: their answers, their track, on a phone's screen.

Five people with different stories walk the whole conversation; their suggestions must
differ pairwise, each must read at least two lines chosen because of what they said, and
what is said on "time to put yourself first" must never turn round and ask for patience.
"""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from dialogs.content_model import StepKind
from dialogs.engine import DialogueEngine
from dialogs.guidance import plan
from dialogs.snapshot import Snapshot
from dialogs.turn import MessageKind
from tests.engine.driver import Conversation, answer_everything
from tests.stories import PEOPLE

#: About a phone screen; no message anywhere in the conversation may be longer.
PHONE_SCREEN = 900


def _walk(engine: DialogueEngine, answers: dict[str, str]) -> Conversation:
    chat = Conversation(engine, name="Sam")
    chat.start()
    chat.tap("Let's begin")
    while engine.content.step(chat.state).kind is StepKind.QUESTION:
        step = engine.content.step(chat.state)
        option = step.option(answers[step.id])
        assert option is not None, step.id
        chat.tap(option.label)
    assert chat.state == "forward"
    return chat


def _results(chat: Conversation) -> list[tuple[str | None, str]]:
    """The guidance bubbles: not the reply to the last answer, nor the prompt after them."""
    return [
        (m.title, m.text)
        for m in chat.last.messages[:-1]
        if m.kind is MessageKind.SAY and m.picture is None
    ]


def _plan(engine: DialogueEngine, answers: dict[str, str]):  # type: ignore[no-untyped-def]
    snapshot = Snapshot(state="forward", answers=answers, content_version="x")
    return plan(engine.content, engine.profile(snapshot), answers)


def test_five_people_get_their_own_suggestions_and_lines_about_them(
    engine: DialogueEngine,
) -> None:
    suggestion_sets = {}
    for who, answers in PEOPLE.items():
        chat = _walk(engine, answers)
        text = chat.texts()
        chosen = _plan(engine, answers)
        shown = {s.text for found in chosen.suggestions.values() for s in found}
        shown |= set(chosen.own_needs)
        assert all(line in text for line in shown), who
        specific = [line for line in chosen.answer_specific if line in text]
        assert len(specific) >= 2, (who, specific)
        suggestion_sets[who] = frozenset(shown)
    for (a, set_a), (b, set_b) in combinations(suggestion_sets.items(), 2):
        assert set_a != set_b, (a, b)


def test_an_answer_rules_a_suggestion_out(engine: DialogueEngine) -> None:
    text = _walk(engine, PEOPLE["his partner panics at daily check-ins"]).texts()
    assert "check-in each evening" not in text
    assert "what exactly feels heavy" in text


def test_when_own_needs_come_first_nothing_asks_for_patience(engine: DialogueEngine) -> None:
    answers = PEOPLE["she carries it all alone"]
    results = _results(_walk(engine, answers))
    assert results[0][0] == "Time to put yourself first"
    assert results[1][0] == "For you, first"
    chosen = _plan(engine, answers)
    assert not any(s.accommodating for found in chosen.suggestions.values() for s in found)
    text = "\n".join(text for _, text in results)
    assert "Be patient" not in text
    assert "Patience has limits" in text
    standing = [r.text for r in chosen.reflections if r.factor_id is None]
    assert standing, "what they carry is referred back to"
    assert all(text in results[0][1] for text in standing)


def test_results_come_in_reading_order_and_the_picture_once(engine: DialogueEngine) -> None:
    answers = PEOPLE["he's drowning at work"]
    results = _results(_walk(engine, answers))
    titles = [title for title, _ in results]
    profile = engine.profile(Snapshot(state="forward", answers=answers, content_version="x"))
    assert titles[0] == profile.track.title
    assert titles[1 : 1 + len(profile.top)] == [s.factor.title for s in profile.top]
    assert "five things help" in results[-2][1]
    assert results[-1][1].startswith("Your summary")
    assert not any("●" in text for _, text in results), "the picture shows the bars, once"
    pictures = [m.picture for m in _walk(engine, answers).last.messages if m.picture]
    assert len(pictures) == 1, "the picture of the profile comes with the results"
    assert pictures[0].track.endswith(profile.track.title)
    assert len(pictures[0].text) <= 1024, "a caption Telegram takes"


def _every_message(chat: Conversation) -> list[str]:
    return [m.text for turn in chat.turns for m in turn.messages] + [
        m.title or "" for turn in chat.turns for m in turn.messages
    ]


@pytest.mark.parametrize("seed", range(40))
def test_no_message_is_over_a_phone_screen(engine: DialogueEngine, seed: int) -> None:
    """Random people, every step, every move: each message fits a phone screen."""
    rng = random.Random(seed)
    chat = Conversation(engine, name="Maximilian-Alexander")
    chat.start()
    chat.tap("Let's begin")
    for _ in range(200):
        step = engine.content.step(chat.state)
        if step.kind is not StepKind.QUESTION:
            break
        if step.more:
            chat.tap("Tell me more")
        chat.tap_option(rng.randrange(len(step.options)))
    for label in ("Thank you", "See my summary again", "Yes, send me new content"):
        chat.tap(label)
    texts = [m.text for turn in chat.turns for m in turn.messages]
    assert max(len(text) for text in texts) <= PHONE_SCREEN


def test_every_text_outside_the_walk_fits_too(engine: DialogueEngine) -> None:
    content = engine.content
    fixed = [
        *(value for _, value in content.ui),
        *(option.reply or "" for step in content.steps for option in step.options),
        *(text for step in content.steps for text in (*step.messages, *step.more)),
    ]
    assert max(len(text) for text in fixed) <= PHONE_SCREEN
    finished = Conversation(engine)
    answer_everything(finished)
    assert len(finished.texts()) <= PHONE_SCREEN


def test_every_answer_gets_a_short_acknowledgement(engine: DialogueEngine) -> None:
    for step in engine.content.steps:
        if step.kind is StepKind.QUESTION and step.id != engine.content.first_step.id:
            for option in step.options:
                assert option.reply, f"{step.id}.{option.id} has no reply"
                assert len(option.reply) <= 160, f"{step.id}.{option.id}: keep it short"


def test_one_progress_numbering_throughout(engine: DialogueEngine) -> None:
    chat = _walk(engine, PEOPLE["her friends come first"])
    text = "\n".join(m.text for turn in chat.turns for m in turn.messages)
    assert "Part " not in text
    assert "Step 3 of 9: Room to be themselves." in text
    assert "Step 7 of 9: The people around them." in text


def test_the_end_menu_changes_after_a_choice(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    answer_everything(chat)
    before = [b.label for b in chat.keyboard]
    turn = chat.tap("Yes, send me new content")
    after = [b.label for b in turn.messages[-1].buttons]
    assert "Yes, send me new content" not in after
    assert set(after) < set(before)
    assert turn.messages[-1].text == "Anything else?"


def test_the_summary_comes_with_the_picture_again(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    answer_everything(chat)
    turn = chat.tap("See my summary again")
    assert turn.messages[0].text.startswith("Your summary")
    assert [m for m in turn.messages if m.picture], "the picture again"
