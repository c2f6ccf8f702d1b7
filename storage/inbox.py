"""The inbox: updates received from Telegram, kept until they have been handled.

Polling confirms a batch of updates to Telegram by asking for the next one, so each batch
is kept here first; whatever a crash leaves is taken over by the leader (at the next start
on SQLite, at once on PostgreSQL; update ids already applied are skipped). Its writes are
jobs of the batch writer (``storage/batches.py``), so keeping a batch of updates costs no
transaction of its own: on SQLite, where writers take turns, a separate one for every poll
doubled the queue in front of each event. An update applied in the same transaction is
not kept at all (if that transaction fails, both fail, and the update is fetched again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.batches import Batch, BatchWriter, Kind
from storage.models import InboxUpdate
from storage.presence import Presence
from storage.turns import APPLIED_UPDATES
from storage.upsert import insert_for


class _Keep(Kind[list[dict[str, Any]], None]):
    order = 20  # after the events, so it knows which updates they applied

    def __init__(self, dialect: str, owner: str) -> None:
        self.owner = owner
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
                "chat_id": chat_of(update),
                "owner": self.owner,
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
    """Raw updates in, handled ids out. Each row names the process handling it; a dead
    one's rows are taken over (``claim_orphans``), and one person's updates wait while an
    earlier one is with another live process (``waits_elsewhere``)."""

    def __init__(self, writer: BatchWriter, presence: Presence) -> None:
        self.writer = writer
        self.presence = presence
        self._keep = _Keep(writer.database.url.get_backend_name(), presence.token)
        self._forget = _Forget()

    async def keep(self, updates: Sequence[dict[str, Any]]) -> None:
        """Stores a batch in the next transaction; an update already there stays as it is."""
        if updates:
            await self.writer.submit(self._keep, list(updates))

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Removes handled updates, in the next transaction."""
        if update_ids:
            await self.writer.submit(self._forget, list(update_ids))

    async def claim_orphans(self) -> list[dict[str, Any]]:
        """Takes over the updates of processes that are gone (on SQLite, at start: what
        the previous process left), oldest first."""
        database = self.writer.database
        async with database.write() as session:
            ids = select(InboxUpdate.update_id).where(self.presence.orphaned(InboxUpdate.owner))
            if not database.is_sqlite:
                ids = ids.with_for_update(skip_locked=True)
            rows = await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(ids.scalar_subquery()))
                .values(owner=self.presence.token)
                .returning(InboxUpdate.update_id, InboxUpdate.payload)
            )
            return [dict(row.payload) for row in sorted(rows, key=lambda row: row.update_id)]

    async def waits_elsewhere(self, update_id: int, chat_id: int) -> bool:
        """Whether an earlier update of this chat is with another live process (so this
        one must wait its turn: one person's updates are handled in order)."""
        async with self.writer.database.read() as session:
            found = await session.scalar(
                select(InboxUpdate.update_id)
                .where(
                    InboxUpdate.chat_id == chat_id,
                    InboxUpdate.update_id < update_id,
                    self.presence.elsewhere(InboxUpdate.owner),
                )
                .limit(1)
            )
            return found is not None


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat (or, failing that, the person) an update belongs to, read from the raw
    update; None for an update that names neither."""
    for kind in ("message", "edited_message", "my_chat_member", "callback_query"):
        body = update.get(kind)
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = message.get("chat") if isinstance(message, dict) else None
        person = body.get("from")
        for holder in (chat, person):
            found = holder.get("id") if isinstance(holder, dict) else None
            if isinstance(found, int) and not isinstance(found, bool) and abs(found) < 2**62:
                return found  # Telegram's ids fit in 52 bits; anything else is junk
    return None
