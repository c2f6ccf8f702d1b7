"""The one check-in a week after the end: finding those due, and claiming each one once.

A session is due when it is current and finished, its person asked for a check-in
(``checkin_due_at``) and that time has come, none has gone out yet, and the person is
subscribed and has not blocked the bot. Claiming stamps ``checkin_sent_at`` in the same
statement that re-checks all of that, so a restart or a second worker can never send it
twice; a crash between the claim and the send loses that one check-in rather than
repeating it, which is the kinder failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from storage.database import Database
from storage.models import ConversationSession, User


@dataclass(frozen=True, slots=True)
class DueCheckIn:
    """A finished conversation whose one check-in has just been claimed."""

    session_id: int
    user_id: int
    first_name: str
    snapshot: dict[str, Any]


def _due(now: datetime) -> Any:
    session = ConversationSession
    return and_(
        session.is_current,
        session.completed_at.is_not(None),
        session.checkin_due_at <= now,
        session.checkin_sent_at.is_(None),
    )


async def claim_due_checkins(
    database: Database, *, now: datetime, limit: int = 100
) -> list[DueCheckIn]:
    """Claims up to ``limit`` due check-ins (the longest due first) and returns them."""
    session = ConversationSession
    async with database.write() as transaction:
        candidates = (
            await transaction.execute(
                select(session.id, session.user_id, session.snapshot, User.first_name)
                .join(User, User.id == session.user_id)
                .where(_due(now), User.subscribed, User.blocked.is_(False))
                .order_by(session.checkin_due_at)
                .limit(limit)
            )
        ).all()
        if not candidates:
            return []
        claimed = set(
            (
                await transaction.execute(
                    update(session)
                    .where(session.id.in_([row.id for row in candidates]), _due(now))
                    .values(checkin_sent_at=now)
                    .returning(session.id)
                )
            ).scalars()
        )
    return [
        DueCheckIn(row.id, row.user_id, row.first_name, dict(row.snapshot))
        for row in candidates
        if row.id in claimed
    ]
