"""The check-in a week after the end: asked for at the end, then the four questions again,
then and now, and the track recomputed."""

from __future__ import annotations

from dialogs.content_model import Action
from dialogs.engine import DialogueEngine
from dialogs.events import Act
from dialogs.turn import Effect
from tests.engine.driver import Conversation, answer_everything

CHECK_IN = "Check in with me in a week"


def _finished_and_asked(engine: DialogueEngine) -> Conversation:
    chat = Conversation(engine, name="Lou")
    answer_everything(chat, choose=2)  # the last viability answers: most concern
    turn = chat.tap(CHECK_IN)
    assert Effect.CHECK_IN in turn.effects
    assert "check in with you in about a week" in chat.texts()
    return chat


def test_asking_for_a_check_in_schedules_it_and_the_menu_moves_on(
    engine: DialogueEngine,
) -> None:
    chat = _finished_and_asked(engine)
    assert CHECK_IN not in [b.label for b in chat.keyboard]


def test_the_check_in_asks_again_and_shows_then_and_now(engine: DialogueEngine) -> None:
    chat = _finished_and_asked(engine)
    assert chat.snapshot is not None
    before = engine.profile(chat.snapshot).track
    message = engine.checkin(chat.snapshot, name="Lou")
    assert message.text.startswith("Hi Lou, it's been about a week")
    assert [b.label for b in message.buttons] == ["Let's look again", "Not now"]
    chat.send(Act(Action.REVISIT, seq=0))  # a week later, from that message
    assert chat.state == "viability_talk"
    assert "The same four questions" in chat.texts()
    for label in ("Yes, usually", "We share it", "We can talk about it", "Rarely"):
        chat.tap(label)
    assert chat.state == "forward"
    text = chat.texts()
    assert "Then and now" in text
    assert "Talking it through: Rarely or never → Yes, usually" in text
    after = engine.profile(chat.snapshot).track
    assert after.id != before.id, "the track is recomputed from the new answers"
    assert f"How things stand: {before.title} → {after.title}" in text
    chat.tap("Thank you")
    assert chat.state == "done"
    assert chat.snapshot is not None
    assert not chat.snapshot.checkin_then


def test_declining_the_check_in_changes_nothing(engine: DialogueEngine) -> None:
    chat = _finished_and_asked(engine)
    turn = chat.send(Act(Action.NOT_NOW, seq=0))
    assert turn.messages[0].text.startswith("That's okay. I'm here whenever")
    assert chat.state == "done"
