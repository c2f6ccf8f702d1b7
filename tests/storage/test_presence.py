"""Several processes on one database: who is alive, who leads, and who migrates.

On PostgreSQL, a process is alive exactly while its lifeline (a session advisory lock)
holds; these tests cut lifelines the way a SIGKILL does (the connection goes) and check
that leadership and ownership follow at once. On SQLite a second process is refused.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage.batches import BatchWriter
from storage.database import Database
from storage.errors import StorageUnavailableError
from storage.outbox import OutboxStore
from storage.presence import Presence, PresenceError
from storage.records import Call
from storage.schema import HEAD_REVISION, ensure_schema, schema_revision
from tests.storage.conftest import Target


async def _joined(database: Database, token: str) -> Presence:
    presence = Presence(database, token)
    await presence.join()
    return presence


async def test_a_second_process_on_one_sqlite_file_is_refused_with_one_line(
    target: Target, database: Database
) -> None:
    if target.backend != "sqlite":
        pytest.skip("PostgreSQL takes several processes")
    first = await _joined(database, "first")
    other = target.open()
    try:
        with pytest.raises(PresenceError, match="use PostgreSQL") as refused:
            await _joined(other, "second")
        assert "\n" not in str(refused.value)
        await first.leave()
        again = await _joined(other, "second")  # once the first has gone, a new one may
        assert again.leading.is_set()
        await again.leave()
    finally:
        await first.leave()
        await other.dispose()


async def test_one_leads_and_the_next_takes_over_when_it_dies(
    target: Target, database: Database
) -> None:
    if target.backend != "postgresql":
        pytest.skip("SQLite runs one process")
    first = await _joined(database, "first")
    other = target.open()
    second = await _joined(other, "second")
    try:
        assert first.leading.is_set()
        assert not second.leading.is_set(), "one leader at a time"
        changes: list[int] = []
        first.on_change = lambda: changes.append(first.live)
        await first._look()
        assert first.live == second.live == 2, "each look counts the living"
        assert changes == [2]
        # The first's calls are its own while it lives, the second's once it is gone.
        outbox = OutboxStore(database, BatchWriter(database), first)
        await outbox.enqueue([Call(7, "sendMessage", {"chat_id": 7, "text": "owed"})])
        heir = OutboxStore(other, BatchWriter(other), second)
        assert await heir.claim_orphans() == [], "a live process keeps its calls"
        await first._drop_lifeline()  # what a SIGKILL does: the connection goes
        await second._look()
        assert second.live == 1, "the dead one is not counted"
        stop = asyncio.Event()
        running = asyncio.create_task(second.run(stop))
        await asyncio.wait_for(second.leading.wait(), 5)
        stop.set()
        await running
        taken = await heir.claim_orphans()
        assert [row.call.params["text"] for row in taken] == ["owed"]
    finally:
        await second.leave()
        await first.leave()
        await other.dispose()


async def test_processes_starting_together_migrate_once(target: Target) -> None:
    if target.backend != "postgresql":
        pytest.skip("on SQLite a second process is refused before it migrates")
    databases = [target.open() for _ in range(3)]
    try:
        await asyncio.gather(*(ensure_schema(database) for database in databases))
        assert await schema_revision(databases[0]) == HEAD_REVISION
    finally:
        for database in databases:
            await database.dispose()


async def test_a_schema_newer_than_the_code_is_refused(database: Database) -> None:
    async with database.write() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(StorageUnavailableError, match="newer than this release"):
        await ensure_schema(database)


async def test_a_process_never_takes_over_its_own_calls(target: Target, database: Database) -> None:
    """Not even while its lifeline is down and it does not count among the living: the
    calls are in its hands, and the read-only drill saw three sent twice that way."""
    if target.backend != "postgresql":
        pytest.skip("SQLite runs one process")
    alone = await _joined(database, "alone")
    try:
        outbox = OutboxStore(database, BatchWriter(database), alone)
        await outbox.enqueue([Call(7, "sendMessage", {"chat_id": 7, "text": "mine"})])
        await alone._drop_lifeline()
        assert await outbox.claim_orphans() == []
    finally:
        await alone.leave()
