"""Replies owed: a turn was committed but its messages may not have reached the person.

Every committed turn marks its session as owed (in the same statement that stores it), and
the bot clears the mark a moment after the reply was delivered (ConversationStore's
delivery notes). A mark that stays means the reply never arrived: an outage longer than
the sender's retries (then the bot also marks it here), or a crash between commit and
send. Housekeeping shows those people their current question again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from storage.columns import utc_now
from storage.database import Database
from storage.models import ConversationSession, User

#: Chats known to have lost a reply, asked about at once (the rest wait for the next round).
KNOWN_LOST_LIMIT = 500


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


async def owed_replies(
    database: Database, before: datetime, known_lost: Collection[int] = (), limit: int = 50
) -> list[OwedReply]:
    """People owed a reply since before ``before``, or whose reply is ``known_lost`` (and
    who have not blocked the bot), oldest first."""
    async with database.read() as session:
        rows = await session.execute(
            select(User.id, User.first_name, User.language, ConversationSession.reply_owed_at)
            .join(ConversationSession, ConversationSession.user_id == User.id)
            .where(
                ConversationSession.is_current,
                ConversationSession.reply_owed_at.is_not(None),  # keeps to the index
                or_(
                    ConversationSession.reply_owed_at < before,
                    ConversationSession.user_id.in_(sorted(known_lost)[:KNOWN_LOST_LIMIT]),
                ),
                User.blocked.is_(False),
            )
            .order_by(ConversationSession.reply_owed_at)
            .limit(limit)
        )
        return [OwedReply(row[0], row[1], row[2], row[3]) for row in rows if row[3] is not None]
