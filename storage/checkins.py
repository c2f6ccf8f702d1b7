"""The one check-in a week after the end: which sessions are due, claimed once each.

A session is due when it is current and finished, its person asked for a check-in
(``checkin_due_at``) and that time has come, and none has gone out yet
(``checkin_sent_at``, which the claim stamps; see ``storage/claims.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_

from storage.claims import Claimed, Compose, claim
from storage.database import Database
from storage.models import ConversationSession
from storage.outbox import OutboxStore


def _due(now: datetime) -> Any:
    session = ConversationSession
    return and_(
        session.is_current,
        session.completed_at.is_not(None),
        session.checkin_due_at <= now,
        session.checkin_sent_at.is_(None),
    )


async def claim_due_checkins(
    database: Database,
    outbox: OutboxStore,
    *,
    now: datetime,
    compose: Compose,
    limit: int = 100,
) -> list[Claimed]:
    """Claims up to ``limit`` due check-ins (the longest due first), commits the calls
    ``compose`` makes for them, and returns them."""
    return await claim(
        database,
        outbox,
        due=_due(now),
        oldest_first=ConversationSession.checkin_due_at,
        stamp={"checkin_sent_at": now},
        limit=limit,
        compose=compose,
    )
