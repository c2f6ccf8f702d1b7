"""Broadcast claims: one window at a time, whatever the database plans."""

from __future__ import annotations

from sqlalchemy import insert

from storage.broadcasts import BroadcastStore
from storage.columns import utc_now
from storage.database import Database
from storage.models import User


async def test_an_exchange_claims_one_window_on_a_fresh_table(database: Database) -> None:
    """On PostgreSQL, a claim written as ``IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)``
    was run again for every row it updated on a table without statistics, and took the
    whole audience; the drill saw 1,000 of 1,000 claimed at once."""
    now = utc_now()
    async with database.write() as session:
        await session.execute(
            insert(User),
            [
                {"id": n, "first_name": "R", "language": "en", "created_at": now,
                 "last_seen_at": now, "subscribed": True, "blocked": False}
                for n in range(1, 1001)
            ],
        )  # fmt: skip
    store = BroadcastStore(database, first_step="welcome")
    broadcast_id = await store.begin_draft(0)
    await store.attach(broadcast_id, 0, 1, "text")
    assert await store.start(broadcast_id) == 1000
    first, _ = await store.exchange(broadcast_id, [], 10)
    second, _ = await store.exchange(broadcast_id, [], 10)
    assert first == list(range(1, 11))
    assert second == list(range(11, 21))
