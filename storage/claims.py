"""Claiming the messages the bot sends on its own initiative, each exactly once.

Reminders and check-ins work the same way: find the sessions that are due (and whose
person is subscribed and has not blocked the bot), then stamp them in one ``UPDATE`` that
re-checks the same condition, inside one transaction. Only what that statement returns is
sent, so a restart or a second worker can never send one twice; a crash between claim and
send loses that one message instead, which is the kinder failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.database import Database
from storage.models import ConversationSession, User


@dataclass(frozen=True, slots=True)
class Claimed:
    """A session whose message has just been claimed, with what composing it needs."""

    session_id: int
    user_id: int
    first_name: str
    snapshot: dict[str, Any]


async def claim(
    database: Database,
    *,
    due: Any,
    oldest_first: Any,
    stamp: dict[str, datetime],
    limit: int,
) -> list[Claimed]:
    """Claims up to ``limit`` sessions matching ``due`` (in ``oldest_first`` order) by
    setting ``stamp``, for people who are subscribed and have not blocked the bot."""
    session = ConversationSession
    async with database.write() as transaction:
        candidates = (
            await transaction.execute(
                select(session.id, session.user_id, session.snapshot, User.first_name)
                .join(User, User.id == session.user_id)
                .where(due, User.subscribed, User.blocked.is_(False))
                .order_by(oldest_first)
                .limit(limit)
            )
        ).all()
        if not candidates:
            return []
        claimed = set(
            (
                await transaction.execute(
                    update(session)
                    .where(session.id.in_([row.id for row in candidates]), due)
                    .values(**stamp)
                    .returning(session.id)
                )
            ).scalars()
        )
    return [
        Claimed(row.id, row.user_id, row.first_name, dict(row.snapshot))
        for row in candidates
        if row.id in claimed
    ]
