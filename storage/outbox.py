"""The outbox: every Bot API call the bot has committed to make, kept until Telegram confirms it.

A call is written as a row in the same transaction as what caused it: a person's turn
(``storage/turns.py``), a claimed reminder or check-in (``storage/claims.py``), an admin's
action or a data-rights answer (``enqueue``). So whatever is committed is owed to the person,
and nothing is owed that was not committed. Rows are ordered by id, which is the order to
send them in within a chat. The process that wrote them hands them to its sender at once
(``listener``); the table is the record, not a queue to wait in.

Once Telegram confirms a call, its row is deleted, in the next transaction of the batch
writer (which commits it as soon as the one in flight is done; so within one transaction's
time). What a delivery teaches is written with it (``effects``): the message whose buttons
are now live in a person's chat (``keyboard``), an admin's broadcast panel (``panel``).

**Ownership.** Every row has an owner: the process that will send it. Rows whose owner
is gone are taken over by the leader (``bot/takeover.py``): on SQLite, where one process
runs at a time, everything a previous process left, at start; on PostgreSQL, a dead
process's rows within moments of its death (``storage/presence.py`` knows who is alive).

**What can arrive twice.** A call whose row is still here after a crash is sent again.
That is a call the dead process had handed to Telegram, or that Telegram had confirmed,
but whose deletion had not yet committed: the sender's in-flight calls, plus those
confirmed and not yet recorded. ``bot/delivery.py`` keeps each of those two numbers under
the connection pool's size, so a SIGKILL doubles at most twice ``TELEGRAM_POOL_SIZE``
calls, and usually none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.batches import Batch, BatchWriter, Kind
from storage.database import Database
from storage.models import Broadcast, OutboxCall, ProcessedUpdate, User
from storage.presence import Presence
from storage.records import Call
from storage.upsert import insert_for

#: The longest a delivery waits to be recorded for a transaction to ride in: under load
#: one comes sooner; alone, a record starts its own after this long.
RECORD_WITHIN = 0.05


@dataclass(frozen=True, slots=True)
class Queued:
    """A committed call, as the sender receives it."""

    id: int
    call: Call

    @property
    def chat_id(self) -> int:
        """The chat whose order the call keeps."""
        return self.call.chat_id


@dataclass
class Delivered:
    """What deliveries taught since the last record: rows to delete and what they showed.

    ``keyboards``: chat -> the message whose buttons are now live there; ``panels``:
    broadcast -> its panel message; ``blocked``: chats that answered 403, whose rows all
    go (nothing more can reach them) and whose person is marked as having blocked the bot.
    """

    ids: list[int] = field(default_factory=list)
    keyboards: dict[int, int] = field(default_factory=dict)
    panels: dict[int, int] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Enqueue:
    calls: tuple[Call, ...]
    claim_update: int | None


class OutboxStore:
    """Writes, claims and forgets outbox rows; tells ``listener`` about every committed row."""

    def __init__(self, database: Database, writer: BatchWriter, presence: Presence) -> None:
        self.database = database
        self.writer = writer
        self.presence = presence
        self.owner = presence.token
        self.listener: Callable[[list[Queued]], None] | None = None
        dialect = database.url.get_backend_name()
        # Ids in the order of the calls. PostgreSQL keeps a multi-row insert's RETURNING in
        # order when asked; SQLite cannot say so (SQLAlchemy would then insert one row per
        # statement), but gives the rows of one INSERT increasing ids in the order written
        # (a test holds it to that), so there the ids are sorted.
        self._sorted_ids = database.is_sqlite
        self._insert = insert_for(dialect, OutboxCall).returning(
            OutboxCall.id, sort_by_parameter_order=not database.is_sqlite
        )
        self._claim_updates = (
            insert_for(dialect, ProcessedUpdate)
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id)
        )
        self._enqueue_kind = _EnqueueKind(self)
        self._delivered_kind = _DeliveredKind(self)

    # ------------------------------------------------------------------ writing

    async def write(
        self, connection: AsyncConnection, calls: Sequence[Call], now: datetime
    ) -> list[Queued]:
        """Writes calls as rows in the caller's transaction (owned by this process); the
        caller passes them to ``notify`` once it has committed."""
        if not calls:
            return []
        rows = [
            {
                "chat_id": call.chat_id,
                "method": call.method,
                "params": call.params,
                "effects": call.effects,
                "created_at": now,
                "owner": self.owner,
            }
            for call in calls
        ]
        result = await connection.execute(self._insert, rows)
        ids = [row[0] for row in result.all()]
        if self._sorted_ids:
            ids.sort()
        return [Queued(row_id, call) for row_id, call in zip(ids, calls, strict=True)]

    def notify(self, rows: list[Queued]) -> None:
        """Hands committed rows to the sender (through ``listener``)."""
        if rows and self.listener is not None:
            self.listener(rows)

    async def enqueue(self, calls: Sequence[Call], claim_update: int | None = None) -> bool:
        """Commits calls on their own (in the next batch); with ``claim_update``, only if
        that update id was not applied before, and claims it in the same transaction.
        Returns False when the update had been applied already (nothing written)."""
        rows = await self.writer.submit(self._enqueue_kind, _Enqueue(tuple(calls), claim_update))
        return rows is not None

    # ------------------------------------------------------------------ delivering

    def record(self, delivered: Delivered) -> Any:
        """Records deliveries in the next transaction (or in their own, after
        ``RECORD_WITHIN``); returns its future (done once committed), so the sender can
        bound what is confirmed but not yet recorded."""
        return self.writer.submit_soon(self._delivered_kind, delivered, lazy=RECORD_WITHIN)

    async def claim_orphans(self) -> list[Queued]:
        """Takes over rows whose owner is gone (``storage/presence.py``), oldest first."""
        async with self.database.write() as session:
            ids = (
                select(OutboxCall.id)
                .where(self.presence.orphaned(OutboxCall.owner))
                .order_by(OutboxCall.id)
            )
            if not self.database.is_sqlite:
                ids = ids.with_for_update(skip_locked=True)
            claimed = await session.execute(
                update(OutboxCall)
                .where(OutboxCall.id.in_(ids.scalar_subquery()))
                .values(owner=self.owner)
                .returning(
                    OutboxCall.id,
                    OutboxCall.chat_id,
                    OutboxCall.method,
                    OutboxCall.params,
                    OutboxCall.effects,
                )
            )
            rows = [
                Queued(row.id, Call(row.chat_id, row.method, dict(row.params), row.effects))
                for row in claimed
            ]
        return sorted(rows, key=lambda row: row.id)

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many calls wait in the outbox, and since when the oldest has."""
        async with self.database.read() as session:
            count = await session.scalar(select(func.count()).select_from(OutboxCall))
            oldest = await session.scalar(select(OutboxCall.created_at).order_by(OutboxCall.id))
            return int(count or 0), oldest


async def forget_chat(connection: AsyncConnection, chat_id: int) -> None:
    """Deletes every call still owed to a chat (its person erased their data)."""
    await connection.execute(delete(OutboxCall).where(OutboxCall.chat_id == chat_id))


class _EnqueueKind(Kind[_Enqueue, list[Queued] | None]):
    order = 30

    def __init__(self, outbox: OutboxStore) -> None:
        self.outbox = outbox

    async def run(
        self, connection: AsyncConnection, payloads: list[_Enqueue], now: datetime, batch: Batch
    ) -> list[list[Queued] | None]:
        claims = [p.claim_update for p in payloads if p.claim_update is not None]
        claimed: set[int] = set()
        if claims:
            result = await connection.execute(
                self.outbox._claim_updates,
                [{"update_id": update_id, "processed_at": now} for update_id in claims],
            )
            claimed = set(result.scalars().all())
        fresh = [p for p in payloads if p.claim_update is None or p.claim_update in claimed]
        rows = await self.outbox.write(connection, [c for p in fresh for c in p.calls], now)
        out: list[list[Queued] | None] = []
        taken = 0
        for payload in payloads:
            if payload.claim_update is not None and payload.claim_update not in claimed:
                out.append(None)
                continue
            out.append(rows[taken : taken + len(payload.calls)])
            taken += len(payload.calls)
        return out

    def committed(self, payloads: list[_Enqueue], results: list[list[Queued] | None]) -> None:
        self.outbox.notify([row for rows in results if rows for row in rows])


class _DeliveredKind(Kind[Delivered, None]):
    order = 40

    def __init__(self, outbox: OutboxStore) -> None:
        self.outbox = outbox
        self._keyboard = (
            update(User)
            .where(User.id == bindparam("b_chat"))
            .values(keyboard_message_id=bindparam("b_message"))
        )
        self._panel = (
            update(Broadcast)
            .where(Broadcast.id == bindparam("b_broadcast"))
            .values(panel_message_id=bindparam("b_message"))
        )

    async def run(
        self, connection: AsyncConnection, payloads: list[Delivered], now: datetime, batch: Batch
    ) -> list[None]:
        merged = Delivered()
        for delivered in payloads:  # later records win: they were confirmed later
            merged.ids += delivered.ids
            merged.keyboards.update(delivered.keyboards)
            merged.panels.update(delivered.panels)
            merged.blocked |= delivered.blocked
        if merged.ids:
            await connection.execute(delete(OutboxCall).where(OutboxCall.id.in_(merged.ids)))
        if merged.blocked:
            chats = sorted(merged.blocked)
            await connection.execute(delete(OutboxCall).where(OutboxCall.chat_id.in_(chats)))
            await connection.execute(
                update(User)
                .where(User.id.in_(chats), User.blocked.is_(False))
                .values(blocked=True, blocked_at=now)
            )
        if merged.keyboards:
            await connection.execute(
                self._keyboard,
                [{"b_chat": chat, "b_message": m} for chat, m in merged.keyboards.items()],
            )
        if merged.panels:
            await connection.execute(
                self._panel,
                [{"b_broadcast": b, "b_message": m} for b, m in merged.panels.items()],
            )
        return [None] * len(payloads)
