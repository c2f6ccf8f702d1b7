"""Claiming an update id outside a conversation event, so a redelivered update runs once.

Conversation events claim theirs inside their own transaction (storage/conversations.py);
commands like /mydata or /forget, admin actions and group notes claim here first.
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.columns import utc_now
from storage.database import Database
from storage.models import ProcessedUpdate
from storage.upsert import insert_for


async def claim_update(database: Database, update_id: int) -> bool:
    """Records the update id; False if it had been claimed before (a redelivery)."""
    insert = insert_for(database.url.get_backend_name(), ProcessedUpdate)
    statement = insert.values(update_id=update_id, processed_at=utc_now()).on_conflict_do_nothing(
        index_elements=[ProcessedUpdate.update_id]
    )
    async with database.write() as session:
        result = await session.execute(statement)
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def was_claimed(database: Database, update_id: int) -> bool:
    """Whether the update id has been claimed (for tests and diagnostics)."""
    async with database.read() as session:
        found = await session.scalar(
            select(func.count()).where(ProcessedUpdate.update_id == update_id)
        )
        return bool(found)
