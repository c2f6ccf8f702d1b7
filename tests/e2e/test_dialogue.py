"""People finishing the whole conversation on "Telegram", with buttons or in their own words."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Running
from standin.client import Person, StandInClient, button_labels, message_text
from storage.models import Answer, ConversationSession, User
from tests.e2e.helpers import (
    answer_labels,
    newest_message_id,
    say_and_wait,
    tap_and_wait,
    texts_since,
    walk_to_the_end,
)

ANA = Person(4001, "Ana")


async def test_a_new_user_finishes_the_whole_conversation_with_buttons(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(ANA)
    await walk_to_the_end(chat, choose=0)
    text = "\n".join(message_text(m) for m in chat.bot_messages.values())
    longest = max(chat.bot_messages.values(), key=lambda m: len(message_text(m)))
    assert len(message_text(longest)) <= 900, "every message fits a phone screen"
    assert "Hi Ana, I'm Closer" in text
    pictures = [m for m in chat.bot_messages.values() if m.get("photo")]
    assert len(pictures) == 1, "the picture of the profile, with the results"
    assert message_text(pictures[0]).startswith("How much each reason seems to fit:")
    await say_and_wait(chat, "/summary", keyboard=False)
    await chat.wait_until(
        lambda c: len([m for m in c.bot_messages.values() if m.get("photo")]) == 2,
        10,
        "the picture again with /summary",
    )
    assert "Things to try:" in text
    assert "How much each reason seems to fit:" in text, "the picture's caption"
    assert "That's the whole path, Ana." in text
    # Every answered question now shows the choice and has no buttons left.
    settled = [m for m in chat.bot_messages.values() if "\n\n✓ " in message_text(m)]
    assert len(settled) == 19  # welcome, 3 context, 10 factor, 4 viability questions, forward
    assert all(not button_labels(m) for m in settled)
    # Every tap (one per settled message) was answered.
    calls = await client.log()
    taps = sum(1 for c in calls if c["method"] == "answerCallbackQuery" and c["status"] == 200)
    assert taps == len(settled)
    stats = await client.stats()
    assert stats.get("misspelled_method_calls", 0) == 0, "getUpdates, never getupdates"
    assert stats["calls_getUpdates"] > 0
    async with bot.services.database.read() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
        answers = (await session.execute(select(Answer))).scalars().all()
    assert row.completed_at is not None
    assert row.step == "done"
    assert len(answers) == 18


async def test_another_user_finishes_by_typing_answers(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(4002, "Bo"))
    await say_and_wait(chat, "/start")
    message = await say_and_wait(chat, "yes")
    assert message_text(message).endswith("How long have you been together?")
    message = await say_and_wait(chat, "We live together or are married!")
    for _ in range(16):  # 2 more context questions, 10 on the factors, 4 on viability
        message = await say_and_wait(chat, "1")
    assert "Thank you" in button_labels(message)
    message = await say_and_wait(chat, "thanks")
    assert "What would you like to do now?" in message_text(message)


async def test_a_name_with_markup_comes_back_exactly_as_typed(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(4003, "<b>&"))
    await say_and_wait(chat, "/start")
    first = min(chat.bot_messages)
    assert message_text(chat.bot_messages[first]).startswith("Hi <b>&, I'm Closer.")
    assert "entities" not in chat.bot_messages[first], "no bold crept in"


async def test_free_text_that_matches_nothing_gets_a_kind_reprompt(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(4004, "Cy"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    before = newest_message_id(chat)
    message = await say_and_wait(chat, "purple elephants")
    assert "didn't quite catch" in texts_since(chat, before)
    assert answer_labels(message)[0] == "Less than 6 months"


async def test_stickers_and_photos_get_a_reprompt(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(4005, "Di"))
    await say_and_wait(chat, "/start")
    for kind in ("sticker", "photo", "voice"):
        before = newest_message_id(chat)
        await chat.send_kind(kind)
        await chat.wait_until(lambda c, b=before: newest_message_id(c) > b + 1, 10, "a re-prompt")
        assert "I can only read text" in texts_since(chat, before)


async def test_very_long_and_odd_texts_are_answered_kindly(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(4006, "Ed"))
    await say_and_wait(chat, "/start")
    for text in ("x" * 4096, "🙂" * 50, "\u200b", "<script>alert(1)</script>"):
        before = newest_message_id(chat)
        await say_and_wait(chat, text)
        assert "didn't quite catch" in texts_since(chat, before)


async def test_danger_words_get_safety_resources_first(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(4007, "Flo"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    message = await say_and_wait(chat, "he hits me when he drinks")
    assert message_text(message).startswith("What you're describing sounds frightening")
    assert button_labels(message) == ["I'm safe, let's carry on", "Not now"]
    message = await tap_and_wait(chat, "I'm safe, let's carry on")
    assert message_text(message).endswith("How long have you been together?")


async def test_a_group_message_gets_the_private_chat_note(
    bot: Running, client: StandInClient
) -> None:
    group = {"id": -100777, "type": "group", "title": "Book club"}
    chat = client.conversation(Person(4008, "Gus"), chat_id=-100777)
    await chat.send("/start", chat=group)
    await chat.wait_until(lambda c: c.bot_messages, 10, "the note in the group")
    (note,) = chat.bot_messages.values()
    assert "I only talk one to one" in message_text(note)
    async with bot.services.database.read() as session:
        assert (await session.execute(select(User))).first() is None, "nothing stored for a group"


async def test_unknown_commands_and_the_command_menu(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(4009, "Hal"))
    message = await say_and_wait(chat, "/frobnicate", keyboard=False)
    assert "I don't know that command" in message_text(message)
    menu = [c["command"] for c in await client.commands(4009)]
    assert menu[:3] == ["start", "sos", "resume"]
    assert {"mydata", "forget", "stop", "subscribe", "help", "privacy"} <= set(menu)


async def test_help_progress_and_privacy_answer_without_moving(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(4010, "Ida"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    assert "/back" in message_text(await say_and_wait(chat, "/help", keyboard=False))
    progress = message_text(await say_and_wait(chat, "/progress", keyboard=False))
    assert progress == "You're on step 2 of 9: A little about you two."
    assert "/forget" in message_text(await say_and_wait(chat, "/privacy", keyboard=False))
    message = await tap_and_wait(chat, "Less than 6 months")
    assert message_text(message).startswith("What does the pulling away look like")


async def test_at_most_one_live_keyboard_in_the_chat(bot: Running, client: StandInClient) -> None:
    """Typed answers, re-prompts, a pause, help and the safety reply each leave one set
    of buttons on screen: the ones that work."""
    chat = client.conversation(Person(4020, "Kim"))
    await say_and_wait(chat, "/start")
    await say_and_wait(chat, "yes")  # typed: the welcome's buttons go
    for words in ("qwerty", "like 8 months", "/help", "/pause", "i want to die", "yes"):
        await say_and_wait(chat, words)
        await chat.wait_until(
            lambda c: sum(bool(button_labels(m)) for m in c.bot_messages.values()) == 1,
            10,
            f"one keyboard after {words!r}",
        )
