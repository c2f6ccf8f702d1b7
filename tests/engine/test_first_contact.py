"""First contact and coming back: whatever someone sends first, they meet the welcome;
a greeting from someone part-way says where they are, with Continue and Start over."""

from __future__ import annotations

import pytest

from dialogs.engine import DialogueEngine
from dialogs.events import Unreadable
from dialogs.turn import Outcome
from tests.engine.driver import Conversation, answer_everything


@pytest.mark.parametrize("first", ["hi", "Hello!", "hey there", "what is this?", "yes", "2"])
def test_any_first_message_gets_the_welcome(engine: DialogueEngine, first: str) -> None:
    chat = Conversation(engine, name="Ana")
    turn = chat.say(first)
    assert turn.outcome is not Outcome.REPROMPT
    assert "Hi Ana, I'm Closer" in chat.texts()
    assert "not a therapist" in chat.texts()
    assert [b.label for b in turn.messages[-1].buttons] == ["Let's begin", "Not right now"]


def test_a_sticker_as_a_first_message_gets_the_welcome(engine: DialogueEngine) -> None:
    chat = Conversation(engine, name="Ana")
    chat.send(Unreadable())
    assert "I'm Closer" in chat.texts()


@pytest.mark.parametrize("greeting", ["hi", "Hello", "I'm back", "im back", "good morning"])
def test_a_greeting_part_way_says_where_they_are(engine: DialogueEngine, greeting: str) -> None:
    chat = Conversation(engine, name="Ben")
    chat.start()
    chat.tap("Let's begin")
    chat.tap("More than 2 years")
    turn = chat.say(greeting)
    assert turn.outcome is not Outcome.REPROMPT
    assert chat.texts().startswith("\nWelcome back, Ben. You were on step 2 of 9")
    assert [b.label for b in turn.messages[-1].buttons] == ["Continue", "Start over"]
    chat.tap("Continue")
    assert chat.state == "pattern"


def test_a_greeting_at_the_welcome_or_after_the_end(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.say("hey")
    assert "I'm Closer" in chat.texts()
    finished = Conversation(engine)
    answer_everything(finished)
    finished.say("hello again")
    assert "You've already been through the whole conversation" in finished.texts()
