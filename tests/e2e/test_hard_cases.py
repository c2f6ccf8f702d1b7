"""The hard cases: slow chats, outages, restarts, captions, edits, groups, late answers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.app import Running
from bot.config import Settings
from standin.client import Person, StandInClient, button_labels, message_text
from standin.server import RunningStandIn
from storage.columns import utc_now
from storage.database import Database
from storage.models import ConversationSession, OutboxCall
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import (
    answer_labels,
    newest_keyboard_id,
    newest_message_id,
    say_and_wait,
    tap_and_wait,
    texts_since,
)


async def _the_only_session(bot: Running) -> ConversationSession:
    """The one conversation session stored (these tests have one person each)."""
    async with bot.services.database.read() as session:
        return (await session.execute(select(ConversationSession))).scalar_one()


async def test_one_chat_waiting_out_a_429_holds_up_nobody_else(
    bot: Running, client: StandInClient
) -> None:
    slow = client.conversation(Person(8001, "Slow"))
    quick = client.conversation(Person(8002, "Quick"))
    await say_and_wait(slow, "/start")
    await client.control(per_chat_rate=0.5, per_chat_burst=1)
    await say_and_wait(slow, "/help", keyboard=False)  # spends Slow's one message
    await slow.send("/help")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (await client.stats()).get("rate_limited", 0) == 0:  # Slow's reply now waits ~2 s
        assert loop.time() < deadline, "Slow's second reply was never held back"
        await asyncio.sleep(0.02)
    held = len(slow.bot_messages)
    reply = await say_and_wait(quick, "/help", keyboard=False)
    assert "/back" in message_text(reply)
    await slow.sync()
    assert len(slow.bot_messages) == held, "Quick was answered while Slow was still waiting"
    await slow.wait_until(lambda c: len(c.bot_messages) == held + 1, 20, "Slow's reply")


async def test_a_telegram_outage_delays_the_next_question_and_never_loses_it(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(8101, "Out"))
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    await client.control(faults={"rate": 1.0, "kinds": ["5xx"], "methods": ["sendMessage"]})
    await chat.tap(answer_labels(question)[0])
    await chat.wait_until(lambda c: len(c.callback_answers) >= 2, 10, "the tap answered")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while (await client.stats()).get("fault_5xx", 0) < 5:  # the sender, then the outbox, retry
        assert loop.time() < deadline, "the question was never tried"
        await asyncio.sleep(0.05)
    await chat.sync()
    assert button_labels(chat.bot_messages[question["message_id"]]), "old buttons kept"
    assert (await _the_only_session(bot)).step == "pattern", "the answer itself was kept"
    waiting = await bot.services.outbox.backlog()
    assert waiting[0] >= 2, "the question, and the edit that follows it, are still owed"
    await client.control()  # Telegram is back: the outbox's next try delivers
    await chat.wait_until(
        lambda c: newest_keyboard_id(c) > question["message_id"], 20, "the question"
    )
    assert message_text(chat.keyboard_message() or {}).startswith("What does the pulling away")
    await chat.wait_until(
        lambda c: not button_labels(c.bot_messages[question["message_id"]]), 10, "settled"
    )
    deadline = loop.time() + 10
    while (await bot.services.outbox.backlog())[0]:
        assert loop.time() < deadline, "delivered calls were not recorded"
        await asyncio.sleep(0.05)


async def test_calls_committed_by_a_process_that_died_are_delivered_by_the_next(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    settings: Settings = make_settings(standin, database_url)
    first = await start_bot(settings)
    chat = client.conversation(Person(8151, "Cut"))
    await say_and_wait(chat, "/start")
    await start_bot.stop(first)
    # As if a process had committed a turn and died before its calls went out.
    database = Database(database_url)
    async with database.write() as session:
        for text in ("first of two", "second of two"):
            session.add(
                OutboxCall(
                    chat_id=8151,
                    method="sendMessage",
                    params={"chat_id": 8151, "text": text},
                    created_at=utc_now(),
                    owner="a process that died",
                )
            )
    await database.dispose()
    before = newest_message_id(chat)
    second = await start_bot(settings)
    await chat.wait_until(
        lambda c: "second of two" in texts_since(c, before), 10, "the committed calls"
    )
    assert texts_since(chat, before).index("first of two") < texts_since(chat, before).index(
        "second of two"
    ), "in the order they were committed"
    assert second.delivery.taken_over == 2


async def test_a_failing_reminder_does_not_take_the_bot_down(
    bot: Running, client: StandInClient
) -> None:
    bot.housekeeping.reminder_delay = timedelta(seconds=1)
    chat = client.conversation(Person(8201, "Rem"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    async with bot.services.database.write() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
        row.updated_at -= timedelta(hours=1)
    await client.control(faults={"rate": 1.0, "kinds": ["5xx"], "methods": ["sendMessage"]})
    await bot.housekeeping.tick()
    await client.control()
    newcomer = client.conversation(Person(8202, "New"))
    assert message_text(await say_and_wait(newcomer, "/start")).endswith("Shall we begin?")


async def test_danger_words_in_a_caption_or_an_edit_still_get_help(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(8301, "Cap"))
    await say_and_wait(chat, "/start")
    before = newest_message_id(chat)
    await chat.send_kind("photo", caption="I want to die")
    await chat.wait_until(lambda c: "Are you safe right now?" in texts_since(c, before), 10, "help")
    sent = await chat.send("all fine here")
    await chat.wait_until(lambda c: newest_message_id(c) > sent["message_id"], 10, "a reply")
    before = newest_message_id(chat)
    await client.send(chat.person, "I don't want to live anymore", edit_of=sent["message_id"])
    await chat.wait_until(lambda c: "Are you safe right now?" in texts_since(c, before), 10, "help")
    before = newest_message_id(chat)
    processed = bot.dispatcher.processed
    await client.send(chat.person, "all fine here, really", edit_of=sent["message_id"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while bot.dispatcher.processed == processed:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    await chat.sync()
    assert newest_message_id(chat) == before, "an ordinary edit changes nothing and says nothing"


async def test_in_groups_only_commands_and_being_added_get_the_note(
    bot: Running, client: StandInClient
) -> None:
    group = {"id": -100888, "type": "supergroup", "title": "Friends"}
    chat = client.conversation(Person(8401, "Gus"), chat_id=-100888)
    processed = bot.dispatcher.processed
    for text in ("hi all", "anyone here?", "lol"):
        await chat.send(text, chat=group)
    await chat.send("/start@closer_bot", chat=group)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while bot.dispatcher.processed < processed + 4:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    await chat.sync()
    notes = [m for m in chat.bot_messages.values() if "I only talk one to one" in message_text(m)]
    assert len(notes) == 1, "one note, for the command; chatter gets nothing"


async def test_a_graceful_restart_does_not_repeat_anything(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    settings: Settings = make_settings(standin, database_url)
    first = await start_bot(settings)
    chat = client.conversation(Person(8501, "Res"))
    question = await say_and_wait(chat, "/forget")
    assert button_labels(question) == ["Yes, erase everything", "No, keep it"]
    await say_and_wait(chat, "/mydata", keyboard=False)
    before = newest_message_id(chat)
    await start_bot.stop(first)  # as SIGTERM would
    second = await start_bot(settings)
    await say_and_wait(chat, "/help", keyboard=False)
    assert texts_since(chat, before).count("This erases everything") == 0
    assert "/back" in texts_since(chat, before)
    assert second.dispatcher.processed == 1, "only the new /help: nothing was handled twice"
