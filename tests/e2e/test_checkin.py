"""The check-in on "Telegram": asked for at the end, sent once when due, kept in the
database (a restart neither loses nor repeats it), never to someone who sent /stop."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from standin.client import Person, StandInClient, button_labels, message_text
from standin.server import RunningStandIn
from storage.models import ConversationSession
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import say_and_wait, tap_and_wait, walk_to_the_end

OFFER = "it's been about a week"


async def test_one_check_in_when_due_then_and_now_and_never_twice(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    settings = make_settings(standin, database_url, checkin_delay="1s")
    bot = await start_bot(settings)
    chat = client.conversation(Person(12001, "Ada"))
    quiet = client.conversation(Person(12002, "Bo"))
    for person in (chat, quiet):
        await walk_to_the_end(person, choose=2)
        await tap_and_wait(person, "Check in with me in a week")
    await say_and_wait(quiet, "/stop", keyboard=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while await bot.housekeeping.send_due_checkins() == 0:  # due a second after asking
        assert loop.time() < deadline, "the check-in never came due"
        await asyncio.sleep(0.2)
    await chat.wait_until(
        lambda c: any(OFFER in message_text(m) for m in c.bot_messages.values()), 10, "offer"
    )
    offer = chat.keyboard_message("Let's look again")
    assert offer is not None
    assert button_labels(offer) == ["Let's look again", "Not now"]
    await start_bot.stop(bot)  # a restart in between: nothing is sent again
    bot = await start_bot(settings)
    assert await bot.housekeeping.send_due_checkins() == 0
    question = await tap_and_wait(chat, "Let's look again")
    assert "The same four questions" in message_text(question)
    for label in ("Yes, usually", "We share it", "We can talk about it", "Rarely"):
        question = await tap_and_wait(chat, label)
    texts = "\n".join(message_text(m) for m in chat.bot_messages.values())
    assert "Then and now" in texts
    assert "Talking it through: Rarely or never → Yes, usually" in texts
    await quiet.sync()
    assert not any(OFFER in message_text(m) for m in quiet.bot_messages.values()), "/stop"
    async with bot.services.database.read() as session:
        rows = (await session.execute(select(ConversationSession.checkin_sent_at))).all()
    assert sorted(row[0] is not None for row in rows) == [False, True]
