"""The messages the bot sends on its own initiative, each claimed once and committed with it.

Reminders and check-ins work the same way: find the sessions that are due (and whose
person is subscribed and has not blocked the bot), stamp them in one ``UPDATE`` that
re-checks the same condition, and write the calls that the caller composes for each
claimed session into the outbox, all in one transaction. Only what that statement returns
is composed, so a restart or a second worker can never send one twice; and what is
committed is delivered (``storage/outbox.py``), so a crash after the claim loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.database import Database
from storage.models import ConversationSession, User
from storage.outbox import OutboxStore
from storage.records import Call


@dataclass(frozen=True, slots=True)
class Claimed:
    """A session whose message has just been claimed, with what composing it needs."""

    session_id: int
    user_id: int
    first_name: str
    snapshot: dict[str, Any]
    keyboard_message_id: int | None = None  # the live keyboard in their chat
    language: str | None = None  # the language they talk in, as stored


Compose = Callable[[Claimed], Sequence[Call]]


async def claim(
    database: Database,
    outbox: OutboxStore,
    *,
    due: Any,
    oldest_first: Any,
    stamp: dict[str, datetime],
    limit: int,
    compose: Compose,
) -> list[Claimed]:
    """Claims up to ``limit`` sessions matching ``due`` (in ``oldest_first`` order) by
    setting ``stamp``, for people who are subscribed and have not blocked the bot, and
    commits the calls ``compose`` makes for each (none, if it says so). Returns the
    claimed sessions."""
    session = ConversationSession
    now = max(stamp.values())
    async with database.write() as transaction:
        candidates = (
            await transaction.execute(
                select(
                    session.id,
                    session.user_id,
                    session.snapshot,
                    User.first_name,
                    User.keyboard_message_id,
                    User.language,
                )
                .join(User, User.id == session.user_id)
                .where(due, User.subscribed, User.blocked.is_(False))
                .order_by(oldest_first)
                .limit(limit)
            )
        ).all()
        if not candidates:
            return []
        stamped = set(
            (
                await transaction.execute(
                    update(session)
                    .where(session.id.in_([row.id for row in candidates]), due)
                    .values(**stamp)
                    .returning(session.id)
                )
            ).scalars()
        )
        claimed = [
            Claimed(
                row.id,
                row.user_id,
                row.first_name,
                dict(row.snapshot),
                row.keyboard_message_id,
                row.language,
            )
            for row in candidates
            if row.id in stamped
        ]
        calls = [call for one in claimed for call in compose(one)]
        rows = await outbox.write(await transaction.connection(), calls, now)
    outbox.notify(rows)
    return claimed
