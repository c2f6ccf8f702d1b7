"""The engine, driven like a user would: buttons, typed words, commands, and mistakes."""

from __future__ import annotations

import pytest

from dialogs.content_model import Action
from dialogs.engine import DialogueEngine
from dialogs.events import Choose
from dialogs.turn import Effect, Outcome
from tests.engine.driver import Conversation, answer_everything


def test_new_user_is_welcomed_by_name_and_told_what_this_is(engine: DialogueEngine) -> None:
    chat = Conversation(engine, name="Ana")
    turn = chat.start()
    text = chat.texts()
    assert "Hi Ana" in text
    assert "not a therapist" in text
    assert "/forget" in text
    assert "ten minutes" in text
    assert [b.label for b in turn.messages[-1].buttons] == ["Let's begin", "Not right now"]
    assert chat.state == "welcome"


def test_whole_conversation_with_buttons_ends_in_guidance_then_done(
    engine: DialogueEngine,
) -> None:
    chat = Conversation(engine)
    answer_everything(chat, choose=0)
    assert chat.snapshot is not None
    questions = [s.id for s in engine.content.steps if s.kind.value == "question"]
    assert set(chat.snapshot.answers) == set(questions)
    guidance_turn = next(t for t in chat.turns if t.snapshot.state == "forward")
    titles = [m.title for m in guidance_turn.messages if m.title]
    assert titles, "guidance names the top factors and the track"
    assert engine.progress(chat.snapshot).finished


def test_whole_conversation_typed_in_own_words(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.say("  YES ")
    assert chat.state == "stage"
    chat.say("more than 2 years!")
    chat.say("Less open about feelings")
    chat.say("a few months")
    assert chat.state == "independence_space"
    for _ in range(20):
        if chat.state == "forward":
            break
        chat.say("2")  # the second option, by its number
    assert chat.state == "forward"
    chat.say("thanks")
    assert chat.state == "done"


def test_typed_text_ignores_case_accents_and_punctuation(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.say("  wé LIVE together, or are MARRIED?! ")
    assert chat.snapshot is not None
    assert chat.snapshot.answers["stage"] == "committed"


def test_a_sentence_containing_one_options_words_counts_as_that_option(
    engine: DialogueEngine,
) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.say("I'd say less than 6 months, honestly")
    assert chat.snapshot is not None
    assert chat.snapshot.answers["stage"] == "early"


def test_unmatched_text_gets_a_kind_reprompt_with_the_options_again(
    engine: DialogueEngine,
) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    turn = chat.say("purple elephants")
    assert turn.outcome is Outcome.REPROMPT
    assert "didn't quite catch" in turn.messages[0].text
    assert [b.label for b in turn.messages[-1].options] == [
        "Less than 6 months",
        "6 months to 2 years",
        "More than 2 years",
        "We live together or are married",
    ]
    assert chat.state == "stage"


@pytest.mark.parametrize("text", ["", "   ", "🙂", "9", "0", "#12"])
def test_empty_emoji_or_out_of_range_numbers_reprompt(engine: DialogueEngine, text: str) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    assert chat.say(text).outcome is Outcome.REPROMPT
    assert chat.state == "stage"


def test_back_retraces_the_path_and_keeps_the_earlier_answer(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap("Less than 6 months")
    chat.tap("Less open about feelings")
    assert chat.state == "duration"
    chat.tap("Back")
    assert chat.state == "pattern"
    chat.act(Action.BACK)
    assert chat.state == "stage"
    assert chat.snapshot is not None
    assert chat.snapshot.answers["stage"] == "early"
    chat.tap("More than 2 years")
    assert chat.snapshot.answers["stage"] == "established"


def test_back_from_the_first_step_is_refused_kindly(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    turn = chat.act(Action.BACK)
    assert turn.outcome is Outcome.STAYED
    assert "nothing to go back to" in turn.messages[0].text
    assert chat.state == "welcome"


def test_skip_moves_on_and_withdraws_an_earlier_answer(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap("Less than 6 months")
    chat.tap("Back")
    turn = chat.tap("Skip")
    assert chat.state == "pattern"
    assert turn.answer is not None
    assert turn.answer.option_id is None
    assert chat.snapshot is not None
    assert "stage" not in chat.snapshot.answers


def test_the_welcome_cannot_be_skipped(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    turn = chat.act(Action.SKIP)
    assert "can't be skipped" in turn.messages[0].text
    assert chat.state == "welcome"


def test_more_gives_the_extra_explanation_and_repeats_the_question(
    engine: DialogueEngine,
) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    for _ in range(3):
        chat.tap_option(0)
    assert chat.state == "independence_space"
    turn = chat.tap("Tell me more")
    assert "reply quickly all day" in chat.texts(turn)
    assert turn.messages[-1].options, "the question comes back with its buttons"
    assert chat.state == "independence_space"


def test_pause_then_resume_returns_to_the_same_question(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap("Pause")
    assert chat.snapshot is not None
    assert chat.snapshot.paused
    assert [b.label for b in chat.keyboard] == ["Continue"]
    chat.act(Action.CONTINUE)
    assert not chat.snapshot.paused
    assert chat.state == "stage"
    assert chat.last.messages[-1].text == "How long have you been together?"


def test_not_right_now_at_the_welcome_pauses(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Not right now")
    assert chat.snapshot is not None
    assert chat.snapshot.paused
    assert chat.state == "welcome"


def test_returning_user_is_told_where_they_were_and_can_continue(
    engine: DialogueEngine,
) -> None:
    chat = Conversation(engine, name="Ana")
    chat.start()
    chat.tap("Let's begin")
    for _ in range(5):
        chat.tap_option(0)
    assert chat.state == "vulnerability_talk"
    turn = chat.start()
    assert "step 4 of 9: Letting feelings in" in turn.messages[0].text
    assert [b.label for b in turn.messages[0].buttons] == ["Continue", "Start over"]
    chat.tap("Continue")
    assert chat.last.messages[-1].text.startswith("When a conversation gets personal")


def test_finished_user_coming_back_is_not_sent_to_the_start(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    answer_everything(chat)
    turn = chat.start()
    assert "already been through" in turn.messages[0].text
    assert chat.state == "done"


def test_restart_sets_answers_aside_and_begins_again(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap_option(1)
    turn = chat.act(Action.RESTART)
    assert turn.outcome is Outcome.RESTARTED
    assert chat.snapshot is not None
    assert chat.snapshot.answers == {}
    assert chat.snapshot.history == ()
    assert chat.state == "welcome"


def test_a_double_tapped_button_is_stale_and_changes_nothing(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    button = next(b for b in chat.keyboard if b.label == "Less than 6 months")
    chat.press(button)
    before = chat.snapshot
    second = chat.press(button)
    assert second.outcome is Outcome.STALE
    assert second.messages == ()
    assert second.notice
    assert chat.snapshot == before


def test_forged_or_unknown_options_are_refused(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    assert chat.snapshot is not None
    seq = chat.snapshot.seq
    for option_id in ["../../etc", "done", "thanks", "begin", "x" * 500]:
        turn = chat.send(Choose(option_id, seq))
        assert turn.outcome is Outcome.STALE
    assert chat.send(Choose("early", seq + 5)).outcome is Outcome.STALE
    assert chat.state == "stage"


def test_progress_help_and_privacy_answer_in_place(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    progress = chat.act(Action.PROGRESS).messages[0].text
    assert progress == "You're on step 2 of 9: A little about you two."
    assert "/back" in chat.act(Action.HELP).messages[0].text
    assert "/forget" in chat.act(Action.PRIVACY).messages[0].text
    assert chat.state == "stage"


def test_done_step_offers_summary_restart_and_subscription(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    answer_everything(chat)
    turn = chat.tap("Yes, send me new content")
    assert turn.effects == (Effect.SUBSCRIBE,)
    turn = chat.tap("No new content, thanks")
    assert turn.effects == (Effect.UNSUBSCRIBE,)
    turn = chat.tap("See my summary again")
    assert "Your summary" in turn.messages[0].text
    assert chat.state == "done"


def test_summary_before_the_end_says_it_is_not_ready(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    turn = chat.act(Action.REVIEW)
    assert "comes at the end" in turn.messages[0].text


def test_every_keyboard_belongs_to_the_snapshot_it_came_with(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    answer_everything(chat, choose=1)
    for turn in chat.turns:
        for message in turn.messages:
            for button in message.buttons:
                assert button.seq == turn.snapshot.seq
