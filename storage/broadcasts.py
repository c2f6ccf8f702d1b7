"""Broadcasts: drafts, audiences, and each recipient's delivery, kept so nothing is lost.

Memory stays flat whatever the audience size: recipients are written with one
``INSERT ... SELECT`` (no Python object per subscriber), and delivery claims them a small
window at a time. One transaction records the outcomes of the last window and claims the
next, so at any moment at most one window is marked ``sending``. After a crash those are
the only recipients whose fate is unknown; they are sent again, which is the documented
window in which someone can receive a broadcast twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, literal, select, update
from sqlalchemy.sql import Select

from storage.columns import utc_now
from storage.database import Database
from storage.models import Broadcast, BroadcastRecipient, ConversationSession, User
from storage.presence import Presence


class BroadcastStatus(StrEnum):
    """Where a broadcast is in its life."""

    COMPOSING = "composing"  # waiting for the admin's message
    DRAFT = "draft"  # message in hand, audience being chosen
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    """Where one recipient's copy is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"


class AudienceKind(StrEnum):
    """Who a broadcast goes to (always only people subscribed and not blocking the bot)."""

    ALL = "all"
    FINISHED = "finished"
    IN_PROGRESS = "in_progress"
    TOP_FACTOR = "top_factor"
    TRACK = "track"
    LANGUAGE = "language"


@dataclass(frozen=True, slots=True)
class Audience:
    """An audience: a kind, and for factor and track audiences, which one."""

    kind: AudienceKind = AudienceKind.ALL
    value: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-shaped, for the broadcasts table."""
        return {"kind": self.kind.value, "value": self.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        """Reads the stored form back."""
        return cls(AudienceKind(data.get("kind", "all")), data.get("value"))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one recipient's copy."""

    user_id: int
    status: DeliveryStatus
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BroadcastInfo:
    """A broadcast as the admin screens show it."""

    id: int
    created_by: int
    status: BroadcastStatus
    source_chat_id: int | None
    source_message_id: int | None
    content_kind: str | None
    audience: Audience
    total: int
    panel_message_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int] = field(default_factory=dict)


class BroadcastStore:
    """Every broadcast operation, each one transaction."""

    def __init__(
        self, database: Database, first_step: str, presence: Presence | None = None
    ) -> None:
        """``presence``: whose broadcasts this store starts and takes over (without one,
        broadcasts it starts have no owner and are taken over by the first leader)."""
        self.database = database
        self.first_step = first_step
        self.presence = presence

    # ------------------------------------------------------------------ composing

    async def begin_draft(self, admin_id: int) -> int:
        """Starts composing (abandoning this admin's unfinished drafts); returns the id."""
        now = utc_now()
        async with self.database.write() as session:
            await session.execute(
                update(Broadcast)
                .where(
                    Broadcast.created_by == admin_id,
                    Broadcast.status.in_([BroadcastStatus.COMPOSING, BroadcastStatus.DRAFT]),
                )
                .values(status=BroadcastStatus.CANCELLED, finished_at=now)
            )
            draft = Broadcast(
                created_by=admin_id,
                status=BroadcastStatus.COMPOSING,
                audience=Audience().to_json(),
                total=0,
                created_at=now,
            )
            session.add(draft)
            await session.flush()
            return draft.id

    async def composing(self, admin_id: int) -> int | None:
        """The broadcast waiting for this admin's message, if any."""
        async with self.database.read() as session:
            return await session.scalar(
                select(Broadcast.id).where(
                    Broadcast.created_by == admin_id, Broadcast.status == BroadcastStatus.COMPOSING
                )
            )

    async def open_draft(self, admin_id: int) -> int | None:
        """This admin's draft that has content but has not been sent, if any."""
        async with self.database.read() as session:
            return await session.scalar(
                select(Broadcast.id).where(
                    Broadcast.created_by == admin_id, Broadcast.status == BroadcastStatus.DRAFT
                )
            )

    async def attach(self, broadcast_id: int, chat_id: int, message_id: int, kind: str) -> None:
        """Takes the admin's message as the content; the draft now awaits its audience."""
        async with self.database.write() as session:
            await session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id)
                .values(
                    source_chat_id=chat_id,
                    source_message_id=message_id,
                    content_kind=kind,
                    status=BroadcastStatus.DRAFT,
                )
            )

    async def set_panel(self, broadcast_id: int, message_id: int) -> None:
        """Remembers the admin's control message, which later shows progress."""
        await self._update(broadcast_id, panel_message_id=message_id)

    async def set_audience(self, broadcast_id: int, audience: Audience) -> None:
        """Chooses who receives the draft."""
        await self._update(broadcast_id, audience=audience.to_json())

    async def audience_size(self, audience: Audience) -> int:
        """How many people the audience reaches right now."""
        async with self.database.read() as session:
            query = self._audience_ids(audience).subquery()
            return int(await session.scalar(select(func.count()).select_from(query)) or 0)

    # ------------------------------------------------------------------ delivery

    async def start(self, broadcast_id: int) -> int:
        """Fixes the recipients (one INSERT ... SELECT) and starts sending; returns how many."""
        now = utc_now()
        async with self.database.write() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.status != BroadcastStatus.DRAFT:
                return 0
            audience = Audience.from_json(broadcast.audience)
            chosen = self._audience_ids(audience).add_columns(
                literal(DeliveryStatus.PENDING.value), literal(0)
            )
            rows = select(literal(broadcast_id), *chosen.subquery().c)
            await session.execute(
                insert(BroadcastRecipient).from_select(
                    ["broadcast_id", "user_id", "status", "attempts"], rows
                )
            )
            total = int(
                await session.scalar(
                    select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id)
                )
                or 0
            )
            broadcast.total = total
            broadcast.status = BroadcastStatus.SENDING
            broadcast.started_at = now
            broadcast.owner = self.presence.token if self.presence is not None else None
            return total

    async def exchange(
        self, broadcast_id: int, outcomes: Sequence[Outcome], claim: int
    ) -> tuple[list[int], BroadcastStatus]:
        """Records outcomes and claims up to ``claim`` pending recipients, in one transaction.

        Returns the claimed user ids (ascending) and the broadcast's status, so a cancelled
        broadcast stops at the next window.
        """
        now = utc_now()
        async with self.database.transaction() as connection:
            if outcomes:
                await connection.execute(
                    update(BroadcastRecipient)
                    .where(
                        BroadcastRecipient.broadcast_id == broadcast_id,
                        BroadcastRecipient.user_id == bindparam("b_user"),
                    )
                    .values(
                        status=bindparam("b_status"),
                        error=bindparam("b_error"),
                        attempts=BroadcastRecipient.attempts + 1,
                        updated_at=now,
                    ),
                    [
                        {"b_user": o.user_id, "b_status": o.status.value, "b_error": o.error}
                        for o in outcomes
                    ],
                )
                blocked = [o.user_id for o in outcomes if o.status is DeliveryStatus.BLOCKED]
                if blocked:
                    await connection.execute(
                        update(User)
                        .where(User.id.in_(blocked), User.blocked.is_(False))
                        .values(blocked=True, blocked_at=now)
                    )
            found = await connection.scalar(
                select(Broadcast.status).where(Broadcast.id == broadcast_id)
            )
            status = BroadcastStatus(found or BroadcastStatus.CANCELLED)
            if claim <= 0 or status is not BroadcastStatus.SENDING:
                return [], status
            pending = (
                select(BroadcastRecipient.user_id)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.status == DeliveryStatus.PENDING,
                )
                .order_by(BroadcastRecipient.user_id)
                .limit(claim)
            )
            if not self.database.is_sqlite:
                pending = pending.with_for_update(skip_locked=True)
            # Chosen once: as a plain subquery, PostgreSQL may run it again for every row
            # it updates, each run skipping the rows just taken, until it has claimed the
            # whole audience (found by the broadcast drill on a fresh table).
            chosen = pending.cte("chosen").prefix_with("MATERIALIZED")
            claimed = (
                await connection.execute(
                    update(BroadcastRecipient)
                    .where(
                        BroadcastRecipient.broadcast_id == broadcast_id,
                        BroadcastRecipient.user_id.in_(select(chosen.c.user_id)),
                    )
                    .values(status=DeliveryStatus.SENDING, updated_at=now)
                    .returning(BroadcastRecipient.user_id)
                )
            ).scalars()
            return sorted(claimed), status

    async def recover_in_flight(self, broadcast_id: int) -> int:
        """After a crash: recipients left ``sending`` go back to ``pending``; returns how many.

        Some of them may already have the message; sending again is the documented window.
        """
        async with self.database.write() as session:
            result = await session.execute(
                update(BroadcastRecipient)
                .where(
                    BroadcastRecipient.broadcast_id == broadcast_id,
                    BroadcastRecipient.status == DeliveryStatus.SENDING,
                )
                .values(status=DeliveryStatus.PENDING)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def finish(self, broadcast_id: int, status: BroadcastStatus) -> None:
        """Marks the broadcast done or cancelled."""
        await self._update(broadcast_id, status=status, finished_at=utc_now())

    async def cancel(self, broadcast_id: int) -> bool:
        """Cancels a draft or a running broadcast; False if it had already ended."""
        async with self.database.write() as session:
            result = await session.execute(
                update(Broadcast)
                .where(
                    Broadcast.id == broadcast_id,
                    Broadcast.status.in_(
                        [BroadcastStatus.COMPOSING, BroadcastStatus.DRAFT, BroadcastStatus.SENDING]
                    ),
                )
                .values(status=BroadcastStatus.CANCELLED, finished_at=utc_now())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ reading

    async def info(self, broadcast_id: int) -> BroadcastInfo | None:
        """One broadcast with its delivery counts."""
        found = await self._infos(select(Broadcast).where(Broadcast.id == broadcast_id))
        return found[0] if found else None

    async def recent(self, limit: int = 10) -> list[BroadcastInfo]:
        """The latest broadcasts that got as far as sending, newest first."""
        return await self._infos(
            select(Broadcast)
            .where(Broadcast.started_at.is_not(None))
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )

    async def claim_orphans(self) -> list[int]:
        """Takes over the sending broadcasts whose process is gone (on SQLite: whatever
        was sending when the last process stopped); returns their ids."""
        assert self.presence is not None
        async with self.database.write() as session:
            claimed = await session.scalars(
                update(Broadcast)
                .where(
                    Broadcast.status == BroadcastStatus.SENDING,
                    self.presence.orphaned(Broadcast.owner),
                )
                .values(owner=self.presence.token)
                .returning(Broadcast.id)
            )
            return sorted(claimed)

    async def totals(self) -> dict[str, int]:
        """Deliveries of all broadcasts, by status, plus how many broadcasts were sent."""
        async with self.database.read() as session:
            rows = await session.execute(
                select(BroadcastRecipient.status, func.count()).group_by(BroadcastRecipient.status)
            )
            totals = {status: int(count) for status, count in rows}
            totals["broadcasts"] = int(
                await session.scalar(select(func.count()).where(Broadcast.started_at.is_not(None)))
                or 0
            )
            return totals

    async def _infos(self, query: Select[Broadcast]) -> list[BroadcastInfo]:
        async with self.database.read() as session:
            broadcasts = (await session.scalars(query)).all()
            counts: dict[int, dict[str, int]] = {b.id: {} for b in broadcasts}
            if broadcasts:
                rows = await session.execute(
                    select(BroadcastRecipient.broadcast_id, BroadcastRecipient.status, func.count())
                    .where(BroadcastRecipient.broadcast_id.in_(list(counts)))
                    .group_by(BroadcastRecipient.broadcast_id, BroadcastRecipient.status)
                )
                for broadcast_id, status, count in rows:
                    counts[broadcast_id][status] = int(count)
        return [
            BroadcastInfo(
                id=b.id,
                created_by=b.created_by,
                status=BroadcastStatus(b.status),
                source_chat_id=b.source_chat_id,
                source_message_id=b.source_message_id,
                content_kind=b.content_kind,
                audience=Audience.from_json(b.audience),
                total=b.total,
                panel_message_id=b.panel_message_id,
                created_at=b.created_at,
                started_at=b.started_at,
                finished_at=b.finished_at,
                counts=counts[b.id],
            )
            for b in broadcasts
        ]

    def _audience_ids(self, audience: Audience) -> Select[int]:
        """The user ids in an audience: subscribed, not blocking, and matching its kind."""
        session = ConversationSession
        query = (
            select(User.id)
            .outerjoin(session, and_(session.user_id == User.id, session.is_current))
            .where(User.subscribed, User.blocked.is_(False))
        )
        match audience.kind:
            case AudienceKind.FINISHED:
                query = query.where(session.completed_at.is_not(None))
            case AudienceKind.IN_PROGRESS:
                query = query.where(
                    session.id.is_not(None),
                    session.completed_at.is_(None),
                    session.step != self.first_step,
                )
            case AudienceKind.TOP_FACTOR:
                query = query.where(session.top_factor == audience.value)
            case AudienceKind.TRACK:
                query = query.where(session.track == audience.value)
            case AudienceKind.LANGUAGE:
                query = query.where(User.language == audience.value)
        return query

    async def _update(self, broadcast_id: int, **values: Any) -> None:
        async with self.database.write() as session:
            await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id).values(**values)
            )
