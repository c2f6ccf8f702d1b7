"""The whole conversation in the person's language, through the stand-in.

Someone whose Telegram is in Russian or Spanish is talked to in it from the first
message: they walk to the end by buttons or by typing, with the bars, the summary and the
picture, and nothing they read is left in English (names, commands and addresses aside).
/language switches at any step and keeps the answers and the step. The command menu is
registered in each language.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import Running
from dialogs import default_library
from dialogs.content_model import StepKind
from standin.client import Conversation, Person, StandInClient, button_labels, message_text
from tests.e2e.helpers import (
    Clock,
    newest_keyboard_id,
    newest_message_id,
    say_and_wait,
    tap_and_wait,
    texts_since,
)
from tests.leftovers import assert_no_english

LIBRARY = default_library()


def _options(message: dict[str, Any]) -> list[str]:
    """The answer buttons of a message (not the moves, not the language buttons)."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row if ":o:" in b.get("callback_data", "")]


def _end_labels(language: str) -> list[str]:
    end = next(s for s in LIBRARY.engine(language).content.steps if s.kind is StepKind.END)
    return [option.label for option in end.options]


def _everything_read(chat: Conversation) -> list[str]:
    read = []
    for message in chat.bot_messages.values():
        read.append(message_text(message))
        read.extend(button_labels(message))
    return [text for text in read if text]


async def _walk(chat: Conversation, language: str, typed: bool) -> None:
    """From /start to the end, choosing the first answer each time (typing every other
    one, when ``typed``)."""
    message = await say_and_wait(chat, "/start")
    end = _end_labels(language)
    for turn in range(40):
        options = _options(message)
        if options == end:
            return
        if typed and turn % 2 and len(options) > 1:
            message = await say_and_wait(chat, options[0].lower())
        else:
            message = await tap_and_wait(chat, options[0])
    raise AssertionError(f"{language}: no end after 40 answers")


@pytest.mark.parametrize(("language", "typed"), [("ru", False), ("es", True), ("ru", True)])
async def test_a_walk_to_the_end_is_all_in_the_persons_language(
    bot: Running, client: StandInClient, language: str, typed: bool
) -> None:
    person = Person(7400 + typed, "Лена" if language == "ru" else "Lucía", language_code=language)
    chat = client.conversation(person)
    await _walk(chat, language, typed)
    photos = [m for m in chat.bot_messages.values() if m.get("photo")]
    assert photos, "the profile picture came"
    summary = LIBRARY.engine(language).content.guidance.summary_heading
    assert any(summary.rstrip(":") in message_text(m) for m in chat.bot_messages.values())
    assert_no_english(language, _everything_read(chat))


async def test_switching_language_mid_way_keeps_the_answers_and_the_step(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(7410, "Sam", language_code="en"))
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    question = await tap_and_wait(chat, _options(question)[0])
    before = await bot.services.conversations.current(7410)
    assert before is not None
    picker = await say_and_wait(chat, "/language")
    assert button_labels(picker) == ["English", "Español", "Русский"]
    shown = await tap_and_wait(chat, "Русский")
    after = await bot.services.conversations.current(7410)
    assert after is not None
    assert (after.state, after.answers) == (before.state, before.answers)
    current_step = LIBRARY.engine("ru").step(after.state)
    assert current_step.prompt.split("\n")[0][:20] in message_text(shown)
    assert message_text(chat.bot_messages[picker["message_id"]]) == LIBRARY.changed("ru")
    # And it stays Russian: the next answer is answered in Russian.
    following = await tap_and_wait(chat, _options(shown)[0])
    assert_no_english("ru", [message_text(following), *button_labels(following)])


async def test_the_command_menu_is_registered_in_each_language(
    bot: Running, client: StandInClient
) -> None:
    for language in ("en", "ru", "es"):
        menu = await client.commands(7420, None if language == "en" else language)
        descriptions = {c["command"]: c["description"] for c in menu}
        assert descriptions["language"] == LIBRARY.engine(language).content.commands["language"]


async def test_a_reminder_comes_in_the_language_the_person_chose(
    bot: Running, client: StandInClient
) -> None:
    clock = Clock()
    bot.writer.clock = clock
    bot.housekeeping.clock = clock
    bot.housekeeping.reminder_delay = timedelta(hours=12)
    chat = client.conversation(Person(7430, "Ana", language_code="en"))
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    await say_and_wait(chat, "/language")
    await tap_and_wait(chat, "Español")
    before = newest_message_id(chat)
    clock.offset += timedelta(days=1)
    await bot.housekeeping.tick()
    assert bot.housekeeping.reminders_sent == 1
    await chat.wait_until(lambda c: newest_message_id(c) > before, 10, "the reminder")
    reminder = texts_since(chat, before)
    assert_no_english("es", [reminder])
    assert _options(question)[0] not in reminder, "not the English question"


async def test_help_offers_the_languages_too(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(7440, "Олег", language_code="ru"))
    await say_and_wait(chat, "/start")
    helped = await say_and_wait(chat, "/help")
    assert "🌐 Язык" in button_labels(helped)
    before = newest_keyboard_id(chat)
    await chat.tap("🌐 Язык")  # the help message keeps its buttons: the question is still open
    await chat.wait_until(lambda c: newest_keyboard_id(c) > before, 10, "the languages")
    picker = chat.bot_messages[newest_keyboard_id(chat)]
    assert message_text(picker) == LIBRARY.choose_prompt("ru")
    assert button_labels(picker) == ["English", "Español", "Русский"]
    await tap_and_wait(chat, "English")
    assert message_text(chat.bot_messages[picker["message_id"]]) == LIBRARY.changed("en")
