"""Upgrading a database with conversations in flight: an owed reply is still sent, once.

Before the outbox, a committed turn whose reply had not been noted as delivered marked its
session as owed. Migration 0006 turns each such mark into an outbox row that shows the
person their current question; the first bot to start on the upgraded database sends it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, insert, select, text

from bot.config import Settings
from dialogs import default_engine
from dialogs.events import Begin, Choose
from standin.client import Person, StandInClient, button_labels, message_text
from standin.server import RunningStandIn
from storage.columns import utc_now
from storage.database import Database
from storage.migrate import migrate
from storage.models import OutboxCall, User
from tests.e2e.conftest import StartBot, make_settings

OWED = Person(8801, "Ola")


async def test_a_reply_owed_before_the_outbox_is_sent_once_after_the_upgrade(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    engine = default_engine()
    turn = engine.apply(None, Begin())
    button = turn.messages[-1].options[0]
    turn = engine.apply(turn.snapshot, Choose(button.id, button.seq))  # now at "stage"
    database = Database(database_url)
    await migrate(database, "0005")
    now = utc_now()
    async with database.write() as session:
        await session.execute(
            insert(User).values(
                id=OWED.id, first_name=OWED.first_name, language="en", created_at=now,
                last_seen_at=now, subscribed=True, blocked=False,
            )
        )  # fmt: skip
        # The 0005 schema: written as that release wrote it, owed mark and all.
        await session.execute(
            text(
                "INSERT INTO sessions (user_id, is_current, snapshot, content_version, step,"
                " started_at, updated_at, reply_owed_at)"
                " VALUES (:user, 1, :snapshot, :version, :step, :now, :now, :now)"
            ),
            {
                "user": OWED.id,
                "snapshot": turn.snapshot.to_json(),
                "version": turn.snapshot.content_version,
                "step": turn.snapshot.state,
                "now": now.replace(tzinfo=None),
            },
        )
    await migrate(database)
    async with database.read() as session:
        waiting = await session.scalar(select(func.count()).select_from(OutboxCall))
    assert waiting == 1, "the owed mark became one outbox row"
    await database.dispose()

    await client.bulk_people(OWED.id, 1, OWED.first_name)  # "Telegram" knows them
    settings: Settings = make_settings(standin, database_url)
    await start_bot(settings)
    chat = client.conversation(OWED)
    await chat.wait_until(lambda c: c.keyboard_message() is not None, 10, "the owed question")
    question = chat.keyboard_message()
    assert question is not None
    assert message_text(question).endswith("How long have you been together?")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:  # delivered, then recorded
        database = Database(database_url)
        async with database.read() as session:
            waiting = await session.scalar(select(func.count()).select_from(OutboxCall))
        await database.dispose()
        if not waiting:
            break
        assert loop.time() < deadline, "the outbox kept the delivered calls"
        await asyncio.sleep(0.05)
    await chat.sync()
    questions = [m for m in chat.bot_messages.values() if button_labels(m)]
    assert len(questions) == 1, "sent once"
