"""What real Telegram throws at a bot: crashes, duplicates, double taps, forgeries, blocks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from bot.app import Running
from standin.client import Person, StandInClient, button_labels, message_text
from storage.database import Database
from storage.models import Answer, ConversationSession, User
from tests.e2e.conftest import BotProcess
from tests.e2e.helpers import (
    answer_labels,
    newest_keyboard_id,
    newest_message_id,
    say_and_wait,
    tap_and_wait,
    texts_since,
    walk_to_the_end,
)


async def _answers(database_url: str, user_id: int) -> dict[str, str]:
    database = Database(database_url)
    try:
        async with database.read() as session:
            rows = await session.execute(
                select(Answer.step, Answer.option)
                .join(ConversationSession, ConversationSession.id == Answer.session_id)
                .where(ConversationSession.user_id == user_id, ConversationSession.is_current)
            )
            return {row[0]: row[1] for row in rows}
    finally:
        await database.dispose()


async def test_a_killed_bot_resumes_everyone_where_they_were(
    client: StandInClient, bot_process: Callable[..., BotProcess], database_url: str
) -> None:
    first = bot_process()
    await first.start(client)
    finished = client.conversation(Person(5001, "Fin"))
    await walk_to_the_end(finished)
    halfway = client.conversation(Person(5002, "Hal"))
    await say_and_wait(halfway, "/start")
    message = await tap_and_wait(halfway, "Let's begin")
    for _ in range(6):
        message = await tap_and_wait(halfway, answer_labels(message)[1])
    before = await _answers(database_url, 5002)
    assert len(before) == 7
    await first.kill()  # SIGKILL: no goodbye, no flush

    second = bot_process()
    await second.start(client)
    # (If the kill beat the note that the last reply arrived, the new start also shows
    # Hal that question again, unasked: the price of never leaving anyone without one.)
    await halfway.send("/start")
    await halfway.wait_until(
        lambda c: any(
            "You were on step 4 of 9: Letting feelings in" in message_text(m)
            for m in c.bot_messages.values()
        ),
        10,
        "the greeting with where Hal was",
    )
    question = await tap_and_wait(halfway, "Continue")
    assert message_text(question).startswith("Do you know of past hurts")
    assert await _answers(database_url, 5002) == before, "no answer lost"
    message = question
    while "Thank you" not in button_labels(message):
        message = await tap_and_wait(halfway, answer_labels(message)[1])
    assert len(await _answers(database_url, 5002)) == 18
    before_greeting = newest_message_id(finished)
    await finished.send("/start")
    await finished.wait_until(
        lambda c: "already been through the whole conversation" in texts_since(c, before_greeting),
        10,
        "the welcome back",
    )
    assert "What would you like to do now?" in texts_since(finished, before_greeting)


async def test_the_same_update_delivered_twice_is_applied_once(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(5101, "Dup"))
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")
    sent = await chat.send("less than 6 months")
    await chat.wait_until(
        lambda c: "What does the pulling away" in message_text(c.keyboard_message() or {}), 10
    )
    before = newest_message_id(chat)
    processed = bot.dispatcher.processed
    await client.redeliver(sent["update_id"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while bot.dispatcher.processed == processed:  # the copy has been taken in and handled
        assert loop.time() < deadline, "the redelivered update never reached the bot"
        await asyncio.sleep(0.02)
    await chat.sync()
    assert newest_message_id(chat) == before, "no second reply"
    snapshot = await bot.services.conversations.current(5101)
    assert snapshot is not None
    assert snapshot.state == "pattern", "applied once: not moved on a second time"


async def test_a_double_tap_moves_once_and_the_second_tap_is_answered(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(5201, "Tap"))
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    await asyncio.gather(chat.tap("Less than 6 months"), chat.tap("Less than 6 months"))
    await chat.wait_until(lambda c: len(c.callback_answers) >= 3, 10, "both taps answered")
    await chat.wait_until(lambda c: newest_keyboard_id(c) > question["message_id"], 10)
    snapshot = await bot.services.conversations.current(5201)
    assert snapshot is not None
    assert snapshot.state == "pattern"
    assert snapshot.history == ("welcome", "stage")
    notices = [a["text"] for a in chat.callback_answers[-2:]]
    assert any(n and "earlier question" in n for n in notices)


async def test_old_and_forged_buttons_are_answered_and_change_nothing(
    bot: Running, client: StandInClient
) -> None:
    person = Person(5301, "Forge")
    chat = client.conversation(person)
    await say_and_wait(chat, "/start")
    question = await tap_and_wait(chat, "Let's begin")
    before = await bot.services.conversations.current(person.id)
    assert before is not None
    seq = before.seq
    forged = (
        f"{seq - 1}:o:early",  # an answer of this question, from an older keyboard
        f"{seq}:o:begin",  # the current keyboard, but an answer of another question
        f"{seq}:o:no_such_answer",
        f"{seq}:a:fly",  # an action the bot does not have
        f"{seq + 7}:o:early",  # a keyboard from the future
        "x" * 64,
        "1:o:../etc",
        "",
    )
    for data in forged:
        processed = bot.dispatcher.processed
        await client.inject(
            {
                "callback_query": {
                    "id": f"forged-{len(data)}-{data[:5]}",
                    "from": person.to_json() | {"is_bot": False},
                    "message": {**question, "reply_markup": question.get("reply_markup")},
                    "chat_instance": "1",
                    "data": data,
                }
            }
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while bot.dispatcher.processed == processed:
            assert loop.time() < deadline
            await asyncio.sleep(0.02)
    await chat.sync()
    assert await bot.services.conversations.current(person.id) == before
    assert len(chat.callback_answers) == 1 + len(forged), "every forged tap was answered"
    assert all("earlier question" in (a["text"] or "") for a in chat.callback_answers[1:])


async def test_a_user_who_blocked_the_bot_is_marked_and_left_alone(
    bot: Running, client: StandInClient
) -> None:
    person = Person(5401, "Gone")
    chat = client.conversation(person)
    await say_and_wait(chat, "/start")
    await client.block(person)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10

    async def blocked() -> bool:
        async with bot.services.database.read() as session:
            user = await session.get(User, person.id)
            return bool(user and user.blocked)

    while not await blocked():
        assert loop.time() < deadline, "my_chat_member did not mark the user blocked"
        await asyncio.sleep(0.02)
    # A message that reaches the bot anyway (sent just before blocking) meets a 403.
    processed = bot.dispatcher.processed
    await client.inject(
        {
            "message": {
                "message_id": 999,
                "date": 0,
                "chat": {"id": person.id, "type": "private"},
                "from": person.to_json() | {"is_bot": False},
                "text": "hello?",
            }
        }
    )
    while bot.dispatcher.processed == processed:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    while not await blocked():  # the reply is delivered (and refused) after the commit
        assert loop.time() < deadline, "the 403 marked them blocked again"
        await asyncio.sleep(0.02)
    refused = [c for c in await client.log() if c["status"] == 403]
    assert refused, "the bot did try, and Telegram refused"
