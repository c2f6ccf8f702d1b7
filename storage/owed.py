"""Replies owed: a turn was committed but Telegram could not take its messages.

Rare by design (it needs an outage longer than the sender's retries), so marking costs a
write only when it happens. Housekeeping later shows those people their current question
again, and clears the mark once that has been delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from storage.columns import utc_now
from storage.database import Database
from storage.models import ConversationSession, User


@dataclass(frozen=True, slots=True)
class OwedReply:
    """Someone whose last reply did not arrive."""

    user_id: int
    first_name: str
    language: str | None
    owed_since: datetime


async def mark_owed(database: Database, user_id: int) -> None:
    """Notes that the user's current conversation is owed its latest messages."""
    async with database.write() as session:
        await session.execute(
            update(ConversationSession)
            .where(ConversationSession.user_id == user_id, ConversationSession.is_current)
            .values(reply_owed_at=utc_now())
        )


async def owed_replies(database: Database, limit: int = 50) -> list[OwedReply]:
    """People owed a reply (who have not blocked the bot), oldest first."""
    async with database.read() as session:
        rows = await session.execute(
            select(User.id, User.first_name, User.language, ConversationSession.reply_owed_at)
            .join(ConversationSession, ConversationSession.user_id == User.id)
            .where(
                ConversationSession.is_current,
                ConversationSession.reply_owed_at.is_not(None),
                User.blocked.is_(False),
            )
            .order_by(ConversationSession.reply_owed_at)
            .limit(limit)
        )
        return [OwedReply(row[0], row[1], row[2], row[3]) for row in rows if row[3] is not None]


async def settle_owed(database: Database, user_id: int, owed_since: datetime) -> None:
    """Clears the mark, unless a newer failure has set it again meanwhile."""
    async with database.write() as session:
        await session.execute(
            update(ConversationSession)
            .where(
                ConversationSession.user_id == user_id,
                ConversationSession.is_current,
                ConversationSession.reply_owed_at <= owed_since,
            )
            .values(reply_owed_at=None)
        )
