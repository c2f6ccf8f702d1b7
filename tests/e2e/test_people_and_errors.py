"""Data rights, reminders, and staying kind when Telegram or the database misbehaves."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.app import Running
from dialogs.events import Event
from standin.client import Person, StandInClient, button_labels, message_text
from storage.errors import StorageUnavailableError
from storage.models import User
from storage.records import UserProfile
from tests.e2e.helpers import (
    Clock,
    answer_labels,
    newest_message_id,
    say_and_wait,
    tap_and_wait,
    texts_since,
)


async def test_my_data_arrives_as_a_json_document(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(7001, "Dee"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    await tap_and_wait(chat, "More than 2 years")
    document = await say_and_wait(chat, "/mydata", keyboard=False)
    assert document["document"]["file_name"] == "closer-my-data.json"
    assert "everything I keep about you" in document["caption"]
    exported = await bot.services.users.export(7001)
    assert exported is not None
    assert (
        json.loads(json.dumps(exported))["conversations"][0]["answers"][1]["option"]
        == "established"
    )


async def test_forget_asks_first_and_then_erases_everything(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(7002, "Eve"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    question = await say_and_wait(chat, "/forget")
    assert button_labels(question) == ["Yes, erase everything", "No, keep it"]
    await chat.tap("No, keep it")
    await chat.wait_until(
        lambda c: "kept everything" in message_text(c.bot_messages[question["message_id"]]), 10
    )
    assert await bot.services.users.export(7002) is not None
    question = await say_and_wait(chat, "/forget")
    await chat.tap("Yes, erase everything")
    await chat.wait_until(
        lambda c: "is erased" in message_text(c.bot_messages[question["message_id"]]), 10
    )
    assert await bot.services.users.export(7002) is None
    welcome = await say_and_wait(chat, "/start")
    assert message_text(welcome).endswith("Shall we begin?"), "a fresh start"


async def test_stop_and_subscribe_switch_new_content(bot: Running, client: StandInClient) -> None:
    chat = client.conversation(Person(7003, "Fay"))
    await say_and_wait(chat, "/start")
    assert "/subscribe" in message_text(await say_and_wait(chat, "/stop", keyboard=False))
    async with bot.services.database.read() as session:
        assert (await session.get(User, 7003)).subscribed is False  # type: ignore[union-attr]
    assert "/stop" in message_text(await say_and_wait(chat, "/subscribe", keyboard=False))
    async with bot.services.database.read() as session:
        assert (await session.get(User, 7003)).subscribed is True  # type: ignore[union-attr]


async def test_one_reminder_per_pause_never_to_those_who_opted_out(
    bot: Running, client: StandInClient
) -> None:
    clock = Clock()
    bot.writer.clock = clock
    bot.housekeeping.clock = clock
    bot.housekeeping.reminder_delay = timedelta(hours=12)
    halfway = client.conversation(Person(7101, "Gil"))
    opted_out = client.conversation(Person(7102, "Hoa"))
    not_begun = client.conversation(Person(7103, "Ivo"))
    for chat in (halfway, opted_out):
        await say_and_wait(chat, "/start")
        await tap_and_wait(chat, "Let's begin")
    await say_and_wait(opted_out, "/stop", keyboard=False)
    await say_and_wait(not_begun, "/start")
    before = {c.person.id: newest_message_id(c) for c in (halfway, opted_out, not_begun)}

    await bot.housekeeping.tick()
    assert bot.housekeeping.reminders_sent == 0, "nobody has been idle for 12 hours yet"
    clock.offset += timedelta(days=1)
    await bot.housekeeping.tick()
    await bot.housekeeping.tick()  # a second round in the same pause sends nothing more
    assert bot.housekeeping.reminders_sent == 1
    await halfway.wait_until(lambda c: "gentle nudge" in texts_since(c, before[7101]), 10)
    reminder = halfway.keyboard_message("Continue")
    assert reminder is not None
    assert message_text(reminder).startswith(
        "Hi Gil, just a gentle nudge: you stopped at step 2 of 9"
    )
    assert button_labels(reminder) == ["Continue", "Start over"]
    for chat in (opted_out, not_begun):
        await chat.sync()
        assert newest_message_id(chat) == before[chat.person.id]

    question = await tap_and_wait(halfway, "Continue")  # the reminder's button works
    assert message_text(question) == "How long have you been together?"
    await tap_and_wait(halfway, answer_labels(question)[0])
    await bot.housekeeping.tick()
    assert bot.housekeeping.reminders_sent == 1, "not idle long enough yet"
    clock.offset += timedelta(days=1)
    await bot.housekeeping.tick()
    assert bot.housekeeping.reminders_sent == 2, "a new pause may get its own reminder"


async def test_429s_are_waited_out_and_everything_still_arrives(
    bot: Running, client: StandInClient
) -> None:
    # Two a second: the two calls below come well within half a second of each other even
    # on a loaded machine (at 20 a second, 50 ms apart was enough to miss the 429).
    await client.control(per_chat_rate=2, per_chat_burst=1)
    chat = client.conversation(Person(7201, "Jo"))
    welcome = await say_and_wait(chat, "/start")
    assert message_text(welcome).startswith("Hi Jo")
    # The next question and the settled welcome go out at once: over the burst of one.
    question = await tap_and_wait(chat, "Let's begin")
    assert message_text(question).endswith("How long have you been together?")
    await chat.wait_until(
        lambda c: not button_labels(c.bot_messages[welcome["message_id"]]),
        10,
        "the welcome settled",
    )
    assert "Let's begin" in message_text(chat.bot_messages[welcome["message_id"]])
    assert (await client.stats())["rate_limited"] >= 1
    assert bot.services.sender.rate_limited >= 1


async def test_network_errors_are_retried_and_the_conversation_goes_on(
    bot: Running, client: StandInClient
) -> None:
    await client.control(
        faults={"rate": 0.3, "kinds": ["5xx", "drop"], "seed": 3, "methods": ["sendMessage"]}
    )
    chat = client.conversation(Person(7301, "Kit"))
    await say_and_wait(chat, "/start")
    message = await tap_and_wait(chat, "Let's begin")
    for _ in range(4):
        message = await tap_and_wait(chat, answer_labels(message)[0])
    stats = await client.stats()
    assert stats.get("fault_5xx", 0) + stats.get("fault_drop", 0) >= 1
    assert bot.services.sender.retries >= 1
    texts = [message_text(m) for m in chat.bot_messages.values()]
    assert len(texts) == len(set(texts)), "failed before the effect: nothing doubled"


async def test_a_bug_is_logged_with_update_and_user_and_the_person_is_told_kindly(
    bot: Running,
    client: StandInClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(user: UserProfile, event: Event, update_id: int | None = None) -> None:
        raise RuntimeError("a bug in the service")

    monkeypatch.setattr(bot.services.conversations, "apply", broken)
    chat = client.conversation(Person(7401, "Lou"))
    with caplog.at_level(logging.ERROR):
        message = await say_and_wait(chat, "/start", keyboard=False)
    assert "couldn't save that just now" in message_text(message)
    (record,) = [r for r in caplog.records if r.name == "bot.handlers"]
    assert "from user 7401 failed" in record.getMessage()
    assert "update " in record.getMessage()
    assert record.exc_info is not None
    assert "Traceback" not in message_text(message)


async def test_a_database_outage_gets_try_again_and_loses_nothing(
    bot: Running, client: StandInClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = client.conversation(Person(7501, "Max"))
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    store = bot.services.conversations.store
    real = store.apply

    async def unavailable(*args: object, **kwargs: object) -> None:
        raise StorageUnavailableError("the database is locked")

    monkeypatch.setattr(store, "apply", unavailable)
    before = newest_message_id(chat)
    await chat.tap(answer_labels(question)[0])
    await chat.wait_until(
        lambda c: c.callback_answers and "couldn't save" in (c.callback_answers[-1]["text"] or ""),
        10,
    )
    monkeypatch.setattr(store, "apply", real)
    await chat.tap(answer_labels(question)[0])  # the same button, now that it is back
    await chat.wait_until(lambda c: "What does the pulling away" in texts_since(c, before), 10)
    snapshot = await bot.services.conversations.current(7501)
    assert snapshot is not None
    assert snapshot.state == "pattern"
