"""Housekeeping that keeps the database from growing without bound."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from storage.columns import utc_now
from storage.database import Database
from storage.models import ProcessedUpdate

#: Telegram keeps an unconfirmed update for at most 24 hours; a week leaves ample margin.
PROCESSED_UPDATE_RETENTION = timedelta(days=7)


async def prune_processed_updates(
    database: Database,
    retention: timedelta = PROCESSED_UPDATE_RETENTION,
    now: datetime | None = None,
) -> int:
    """Forgets update ids older than ``retention``; returns how many were removed."""
    cutoff = (now or utc_now()) - retention
    async with database.write() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
