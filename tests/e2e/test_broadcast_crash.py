"""A broadcast survives SIGKILL: everyone ends with one copy, bar the documented window.

bot/broadcasting.py proves the bound: at most ``window`` recipients are ever claimed and
unrecorded, so at most that many can be sent again after a crash having had it already.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable

from sqlalchemy import insert

from standin.client import Person, StandInClient, message_text
from storage.columns import utc_now
from storage.database import Database
from storage.models import User
from tests.e2e.conftest import BotProcess
from tests.e2e.helpers import say_and_wait

ADMIN = Person(9000, "Admin")
SUBSCRIBERS = 2500
FIRST_ID = 500_000
RATE = 400
CONCURRENCY = 8  # BROADCAST_CONCURRENCY's default
WINDOW = max(CONCURRENCY, math.ceil(RATE / 10))  # as bot/broadcasting.py sizes it


async def _seed(database_url: str) -> None:
    """Subscribers straight into the database, as if each had written /start once."""
    database = Database(database_url)
    now = utc_now()
    rows = [
        {
            "id": FIRST_ID + n,
            "first_name": "Reader",
            "language": "en",
            "created_at": now,
            "last_seen_at": now,
            "subscribed": True,
            "blocked": False,
        }
        for n in range(SUBSCRIBERS)
    ]
    async with database.write() as session:
        await session.execute(insert(User), rows)
    await database.dispose()


async def test_killed_in_the_middle_of_a_broadcast_everyone_gets_one_copy(
    client: StandInClient, bot_process: Callable[..., BotProcess], database_url: str
) -> None:
    settings = {
        "ADMIN_IDS": str(ADMIN.id),
        "BROADCAST_RATE": str(RATE),
        "TELEGRAM_MESSAGES_PER_SECOND": str(RATE),  # as with paid broadcasts
    }
    first = bot_process(**settings)
    await first.start(client)  # applies the migrations
    await _seed(database_url)
    await client.bulk_people(FIRST_ID, SUBSCRIBERS)
    admin = client.conversation(ADMIN)
    await say_and_wait(admin, "/broadcast", keyboard=False)
    await admin.send("News for everyone")
    await admin.wait_until(lambda c: c.keyboard_message("Send now") is not None, 20, "the panel")
    await admin.tap("Send now")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while (await client.stats()).get("messages_sent", 0) < SUBSCRIBERS // 3:
        assert loop.time() < deadline, "the broadcast did not get going"
        await asyncio.sleep(0.01)
    await first.kill()
    sent_before_kill = (await client.stats())["messages_sent"]

    second = bot_process(**settings)
    await second.start(client)
    await admin.wait_until(
        lambda c: any(
            "is done" in message_text(m) and not m.get("edit_date") for m in c.bot_messages.values()
        ),
        120,
        "the final report after the restart",
    )
    copies = Counter(
        int(call["params"]["chat_id"])
        for call in await client.log(limit=200_000)
        if call["method"] == "copyMessage" and call["status"] == 200
    )
    copies[ADMIN.id] -= 1  # the preview
    recipients = {FIRST_ID + n for n in range(SUBSCRIBERS)}
    assert {chat for chat, n in copies.items() if n > 0} == recipients, "nobody missed out"
    doubled = sum(n - 1 for n in copies.values() if n > 1)
    print(
        f"\nkilled after {sent_before_kill} of {SUBSCRIBERS} sent; doubled: {doubled} "
        f"(bound: the window, {WINDOW})"
    )
    assert doubled <= WINDOW
