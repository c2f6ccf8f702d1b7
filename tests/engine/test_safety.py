"""Safety in the engine: danger steps out of the dialogue, in any state, and comes back.

The detector's accuracy is measured on the corpus (tests/safety/); these tests are about
what happens around it: which resources each kind gets, the question "Are you safe right
now?" and every way of answering it, /sos, and that the conversation is kept.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from dialogs import default_library
from dialogs.content_model import Action
from dialogs.danger_kinds import DangerKind
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Say, Unreadable
from dialogs.safety_reply import ASKED, compose_safety_reply
from dialogs.turn import Outcome, Turn
from tests.engine.driver import Conversation, answer_everything

#: A phone screen of text, about; every safety reply must fit in one.
PHONE_SCREEN = 900
SAFE = "I'm safe, let's carry on"
SUICIDE_LINE, ABUSE_LINE, SEXUAL_LINE = "988", "1-800-799-7233", "1-800-656-4673"
EVERYWHERE = ("112", "911", "999", "findahelpline.com")


def _mid_question(engine: DialogueEngine) -> Conversation:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap("More than 2 years")
    assert chat.state == "pattern"
    return chat


def _labels(turn: Turn) -> list[str]:
    return [button.label for message in turn.messages for button in message.buttons]


@pytest.mark.parametrize(
    "text",
    [
        "honestly I don't want to be alive anymore",
        "I wish I was dead",
        "he pushed me down the stairs",
        "he forces me to have sex",
        "im in danger",
        "sometimes I think about suicide",
        "he HITS me when he's angry",
        "she threatened to kill me",
        "kms",
    ],
)
def test_danger_mid_question_gets_the_safety_reply_and_keeps_the_conversation(
    engine: DialogueEngine, text: str
) -> None:
    chat = _mid_question(engine)
    before = chat.snapshot
    assert before is not None
    turn = chat.say(text)
    assert turn.outcome is Outcome.SAFETY
    assert turn.safety, "the kinds found travel with the turn, for /stats"
    reply = turn.messages[0].text
    assert reply.endswith("Are you safe right now?")
    assert all(number in reply for number in EVERYWHERE)
    assert _labels(turn) == [SAFE, "Not now"]
    assert chat.snapshot is not None
    assert (chat.snapshot.state, chat.snapshot.answers) == (before.state, before.answers)
    back = chat.tap(SAFE)
    assert back.messages[0].text.startswith("I'm glad.")
    assert chat.state == "pattern"
    assert back.messages[-1].options, "the question they were on, with its answers"


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("i want to kill myself", [SUICIDE_LINE], [ABUSE_LINE, SEXUAL_LINE]),
        ("he choked me last night", [ABUSE_LINE], [SUICIDE_LINE, SEXUAL_LINE]),
        ("he raped me", [SEXUAL_LINE], [SUICIDE_LINE, ABUSE_LINE]),
        ("he says he'll kill himself if i leave", [SUICIDE_LINE, ABUSE_LINE], [SEXUAL_LINE]),
        ("my bf told me to kill myself", [SUICIDE_LINE, ABUSE_LINE], [SEXUAL_LINE]),
    ],
)
def test_each_kind_of_danger_gets_the_resources_that_fit(
    engine: DialogueEngine, text: str, present: list[str], absent: list[str]
) -> None:
    reply = _mid_question(engine).say(text).messages[0].text
    assert all(number in reply for number in present), reply
    assert not any(number in reply for number in absent), reply


def test_the_acknowledgement_fits_what_was_said(engine: DialogueEngine) -> None:
    acknowledge = engine.content.safety.acknowledge
    cases = {
        "he hit me again": DangerKind.PARTNER_VIOLENCE,
        "i was raped": DangerKind.SEXUAL_VIOLENCE,
        "i want to die": DangerKind.SELF_HARM,
        "he told me to go kill myself": DangerKind.PARTNER_URGES_SELF_HARM,
    }
    for text, kind in cases.items():
        reply = _mid_question(engine).say(text).messages[0].text
        assert reply.startswith(acknowledge[kind]), (text, reply)


@pytest.mark.parametrize("language", default_library().languages)
def test_every_safety_reply_fits_one_phone_screen(language: str) -> None:
    safety = default_library().engine(language).content.safety
    kinds = list(DangerKind)
    for size in range(len(kinds) + 1):
        for found in combinations(kinds, size):
            reply = compose_safety_reply(safety, frozenset(found))
            assert len(reply) <= PHONE_SCREEN, (found, len(reply))


@pytest.mark.parametrize(
    ("typed", "starts", "state_paused"),
    [
        ("yes", "I'm glad.", False),
        ("im ok", "I'm glad.", False),
        ("Not now", "That's okay", True),
        ("no", "Please call your local emergency number now", False),
        ("im not safe", "Please call your local emergency number now", False),
        ("thank you", "I'm here", False),
        ("he's asleep now, I'm in the other room", "I'm here", False),
    ],
)
def test_the_message_after_a_safety_reply_is_never_a_reprompt(
    engine: DialogueEngine, typed: str, starts: str, state_paused: bool
) -> None:
    chat = _mid_question(engine)
    chat.say("he hit me")
    turn = chat.say(typed)
    assert turn.outcome is not Outcome.REPROMPT
    assert turn.messages[0].text.startswith(starts), turn.messages[0].text
    assert chat.state == "pattern"
    assert chat.snapshot is not None
    assert chat.snapshot.paused is state_paused


def test_a_sticker_after_a_safety_reply_is_answered_kindly(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    chat.say("i want to die")
    turn = chat.send(Unreadable())
    assert turn.outcome is not Outcome.REPROMPT
    assert turn.messages[0].text.startswith("I'm here")
    assert _labels(turn) == [SAFE, "Not now"]


def test_not_now_pauses_and_continue_returns_to_the_question(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    chat.say("he threatened to kill me")
    paused = chat.tap("Not now")
    assert "/sos" in paused.messages[0].text
    assert _labels(paused) == ["Continue"]
    chat.tap("Continue")
    assert chat.state == "pattern"
    assert chat.snapshot is not None
    assert not chat.snapshot.paused
    assert not chat.snapshot.safety_open


def test_once_answered_ordinary_words_are_read_as_answers_again(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    chat.say("i want to die")
    chat.say("yes")
    assert chat.snapshot is not None
    assert not chat.snapshot.safety_open
    assert chat.say("qwerty").outcome is Outcome.REPROMPT


def test_danger_is_checked_before_the_start_while_paused_and_after_the_end(
    engine: DialogueEngine,
) -> None:
    newcomer = Conversation(engine)
    assert newcomer.say("i wanna die").outcome is Outcome.SAFETY
    assert newcomer.state == engine.content.first_step.id
    paused = _mid_question(engine)
    paused.act(Action.PAUSE)
    assert paused.say("he locks me in the house").outcome is Outcome.SAFETY
    finished = Conversation(engine)
    answer_everything(finished)
    assert finished.say("i cut myself again").outcome is Outcome.SAFETY
    assert finished.state == "done"


def test_sos_gives_every_resource_at_once_from_any_state(engine: DialogueEngine) -> None:
    newcomer = Conversation(engine)
    turn = newcomer.act(Action.SOS)
    assert turn.outcome is Outcome.SAFETY
    assert turn.safety == (ASKED,)
    reply = turn.messages[0].text
    assert reply.startswith(engine.content.safety.acknowledge[ASKED])
    assert all(n in reply for n in (SUICIDE_LINE, ABUSE_LINE, SEXUAL_LINE, *EVERYWHERE))
    finished = Conversation(engine)
    answer_everything(finished)
    assert finished.act(Action.SOS).outcome is Outcome.SAFETY
    assert finished.say("sos").outcome is Outcome.SAFETY


def test_help_offers_help_now_under_the_question_again(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    question = [b.label for b in chat.keyboard]
    helped = chat.act(Action.HELP)
    assert "/sos" in helped.messages[0].text
    assert helped.messages[-1].text == "What does the pulling away look like most of the time?"
    labels = _labels(helped)
    assert "I need help now" in labels
    assert set(question) < set(labels), "the question's own buttons, still there"
    sos = next(b for b in chat.keyboard if b.label == "I need help now")
    assert chat.press(sos).outcome is Outcome.SAFETY


def test_help_and_safety_buttons_are_never_stale(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    chat.say("he hit me")
    chat.tap(SAFE)
    chat.tap_option(0)  # the conversation moves on; the old safety reply's buttons stay
    for action in (Action.SOS, Action.SAFE, Action.NOT_NOW):
        turn = chat.send(Act(action, seq=0))
        assert turn.outcome is not Outcome.STALE, action


def test_no_words_of_a_danger_message_are_kept(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    secret = "he strangled me with the phone cord"
    chat.send(Say(secret))
    assert chat.snapshot is not None
    assert "strangled" not in chat.snapshot.to_json()


def test_no_nudge_about_the_dialogue_after_a_safety_reply(engine: DialogueEngine) -> None:
    chat = _mid_question(engine)
    assert chat.snapshot is not None
    assert engine.reminder(chat.snapshot) is not None, "an ordinary pause gets its nudge"
    chat.say("i want to kill myself")
    chat.tap("Not now")
    assert chat.snapshot is not None
    assert engine.reminder(chat.snapshot) is None
    chat.tap("Continue")
    chat.tap_option(0)  # answering again: the conversation is back to the dialogue
    assert engine.reminder(chat.snapshot) is not None
