"""Finding conversations left half-way, and claiming the one reminder each pause may get.

A pause is the time since the conversation last changed. A conversation is due when it is
current, unfinished, past its first step, untouched for the delay, and has had no reminder
since it last changed; its person must be subscribed and must not have blocked the bot.
Claiming stamps ``reminder_sent_at`` in the same statement that re-checks all of that, so
two workers, or a restart, can never remind anyone twice for one pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from storage.database import Database
from storage.models import ConversationSession, User


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A conversation whose one reminder has just been claimed."""

    session_id: int
    user_id: int
    first_name: str
    snapshot: dict[str, Any]


def _due(cutoff: datetime, not_at_steps: Sequence[str]) -> Any:
    session = ConversationSession
    return and_(
        session.is_current,
        session.completed_at.is_(None),
        session.step.not_in(list(not_at_steps)),
        session.updated_at <= cutoff,
        or_(session.reminder_sent_at.is_(None), session.reminder_sent_at < session.updated_at),
    )


async def claim_due_reminders(
    database: Database,
    *,
    now: datetime,
    cutoff: datetime,
    not_at_steps: Sequence[str],
    limit: int = 100,
) -> list[DueReminder]:
    """Claims up to ``limit`` due reminders (oldest pause first) and returns them."""
    session = ConversationSession
    async with database.write() as transaction:
        candidates = (
            await transaction.execute(
                select(session.id, session.user_id, session.snapshot, User.first_name)
                .join(User, User.id == session.user_id)
                .where(_due(cutoff, not_at_steps), User.subscribed, User.blocked.is_(False))
                .order_by(session.updated_at)
                .limit(limit)
            )
        ).all()
        if not candidates:
            return []
        claimed = set(
            (
                await transaction.execute(
                    update(session)
                    .where(
                        session.id.in_([row.id for row in candidates]), _due(cutoff, not_at_steps)
                    )
                    .values(reminder_sent_at=now)
                    .returning(session.id)
                )
            ).scalars()
        )
    return [
        DueReminder(row.id, row.user_id, row.first_name, dict(row.snapshot))
        for row in candidates
        if row.id in claimed
    ]
