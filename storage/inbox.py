"""The inbox: updates received from Telegram, kept until they have been handled.

Polling confirms a batch of updates to Telegram by asking for the next one, so each batch
is kept here first; whatever a crash leaves is handled at the next start (update ids
already applied are skipped). Its writes are jobs of the batch writer
(``storage/batches.py``), so keeping a batch of updates costs no transaction of its own:
on SQLite, where writers take turns, a separate one for every poll doubled the queue in
front of each event. An update applied in the same transaction is not kept at all (if
that transaction fails, both fail, and the update is fetched again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.batches import Batch, BatchWriter, Kind
from storage.models import InboxUpdate
from storage.turns import APPLIED_UPDATES
from storage.upsert import insert_for


class _Keep(Kind[list[dict[str, Any]], None]):
    order = 20  # after the events, so it knows which updates they applied

    def __init__(self, dialect: str) -> None:
        self._insert = insert_for(dialect, InboxUpdate).on_conflict_do_nothing(
            index_elements=[InboxUpdate.update_id]
        )

    async def run(
        self,
        connection: AsyncConnection,
        payloads: list[list[dict[str, Any]]],
        now: datetime,
        batch: Batch,
    ) -> list[None]:
        applied = batch.notes.get(APPLIED_UPDATES, set())
        rows = {
            int(update["update_id"]): {
                "update_id": update["update_id"],
                "payload": update,
                "received_at": now,
            }
            for updates in payloads
            for update in updates
            if int(update["update_id"]) not in applied
        }
        if rows:
            await connection.execute(self._insert, list(rows.values()))
        return [None] * len(payloads)


class _Forget(Kind[list[int], None]):
    order = 20

    _delete = delete(InboxUpdate).where(
        InboxUpdate.update_id.in_(bindparam("update_ids", expanding=True))
    )

    async def run(
        self, connection: AsyncConnection, payloads: list[list[int]], now: datetime, batch: Batch
    ) -> list[None]:
        ids = [update_id for ids in payloads for update_id in ids]
        if ids:
            await connection.execute(self._delete, {"update_ids": ids})
        return [None] * len(payloads)


class Inbox:
    """Raw updates in, handled ids out; what remains after a crash is handled next start."""

    def __init__(self, writer: BatchWriter) -> None:
        self.writer = writer
        self._keep = _Keep(writer.database.url.get_backend_name())
        self._forget = _Forget()

    async def keep(self, updates: Sequence[dict[str, Any]]) -> None:
        """Stores a batch in the next transaction; an update already there stays as it is."""
        if updates:
            await self.writer.submit(self._keep, list(updates))

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Removes handled updates, in the next transaction."""
        if update_ids:
            await self.writer.submit(self._forget, list(update_ids))

    async def waiting(self) -> list[dict[str, Any]]:
        """Every update received but not handled, oldest first."""
        async with self.writer.database.read() as session:
            rows = await session.scalars(
                select(InboxUpdate.payload).order_by(InboxUpdate.update_id)
            )
            return [dict(row) for row in rows]
