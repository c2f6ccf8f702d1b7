"""Finding conversations left half-way, and claiming the one reminder each pause may get.

A pause is the time since the conversation last changed. A conversation is due when it is
current, unfinished, past its first step, untouched for the delay, and has had no reminder
since it last changed; its person must be subscribed and must not have blocked the bot.
Claiming stamps ``reminder_sent_at`` in the same statement that re-checks all of that
(``storage/claims.py``), so two workers, or a restart, can never remind anyone twice for
one pause.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_

from storage.claims import Claimed, Compose, claim
from storage.database import Database
from storage.models import ConversationSession
from storage.outbox import OutboxStore


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
    outbox: OutboxStore,
    *,
    now: datetime,
    cutoff: datetime,
    not_at_steps: Sequence[str],
    compose: Compose,
    limit: int = 100,
) -> list[Claimed]:
    """Claims up to ``limit`` due reminders (oldest pause first), commits the calls
    ``compose`` makes for them, and returns them."""
    return await claim(
        database,
        outbox,
        due=_due(cutoff, not_at_steps),
        oldest_first=ConversationSession.updated_at,
        stamp={"reminder_sent_at": now},
        limit=limit,
        compose=compose,
    )
