"""Counting for the admins' /stats: people, how far they get, what fits, broadcasts, and
how many safety replies went out (a count; no words are ever kept).

Every figure is one aggregate query over indexed columns (the session projections
``step``, ``top_factor`` and ``track``, and the users' timestamps), so statistics never
parse a snapshot and stay quick at a million users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from storage.database import Database
from storage.models import ConversationSession, SafetyReply, User

RECENT = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Counts:
    """The raw counts behind /stats."""

    users: int
    new_recently: int
    active_recently: int
    subscribed: int
    blocked: int
    at_step: dict[str, int]  # current conversations by the step they are at
    completed: int
    top_factors: dict[str, int]
    tracks: dict[str, int]
    safety_replies: int = 0
    safety_replies_recently: int = 0
    languages: dict[str, int] = field(default_factory=dict)  # people by their language


async def count_everything(database: Database, now: datetime) -> Counts:
    """Collects every count in one read transaction."""
    since = now - RECENT
    session = ConversationSession
    async with database.read() as reading:
        users = await reading.scalar(select(func.count()).select_from(User))
        new = await reading.scalar(select(func.count()).where(User.created_at >= since))
        active = await reading.scalar(select(func.count()).where(User.last_seen_at >= since))
        subscribed = await reading.scalar(
            select(func.count()).where(User.subscribed, User.blocked.is_(False))
        )
        blocked = await reading.scalar(select(func.count()).where(User.blocked))
        steps = await reading.execute(
            select(session.step, func.count()).where(session.is_current).group_by(session.step)
        )
        at_step = {step: int(count) for step, count in steps}
        completed = await reading.scalar(
            select(func.count()).where(session.is_current, session.completed_at.is_not(None))
        )
        factors = await reading.execute(
            select(session.top_factor, func.count())
            .where(session.is_current, session.top_factor.is_not(None))
            .group_by(session.top_factor)
        )
        tracks = await reading.execute(
            select(session.track, func.count())
            .where(session.is_current, session.track.is_not(None))
            .group_by(session.track)
        )
        languages = await reading.execute(
            select(User.language, func.count()).group_by(User.language)
        )
        safety = await reading.scalar(select(func.count()).select_from(SafetyReply))
        safety_recent = await reading.scalar(
            select(func.count()).where(SafetyReply.sent_at >= since)
        )
        return Counts(
            users=int(users or 0),
            new_recently=int(new or 0),
            active_recently=int(active or 0),
            subscribed=int(subscribed or 0),
            blocked=int(blocked or 0),
            at_step=at_step,
            completed=int(completed or 0),
            top_factors={str(k): int(v) for k, v in factors},
            tracks={str(k): int(v) for k, v in tracks},
            safety_replies=int(safety or 0),
            safety_replies_recently=int(safety_recent or 0),
            languages={str(k): int(v) for k, v in languages},
        )
