"""The inbox: updates received from Telegram, kept until they have been handled.

Its writes ride in the conversation store's transactions (storage/conversations.py), so
keeping a batch of updates costs no transaction of its own: on SQLite, where writers take
turns, a separate one for every poll doubled the queue in front of each event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from storage.conversations import ConversationStore
from storage.models import InboxUpdate


class Inbox:
    """Raw updates in, handled ids out; what remains after a crash is handled next start."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    async def keep(self, updates: Sequence[dict[str, Any]]) -> None:
        """Stores a batch; an update already there is left as it is."""
        await self.store.keep_updates(updates)

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Removes handled updates."""
        await self.store.forget_updates(update_ids)

    async def waiting(self) -> list[dict[str, Any]]:
        """Every update received but not handled, oldest first."""
        async with self.store.database.read() as session:
            rows = await session.scalars(
                select(InboxUpdate.payload).order_by(InboxUpdate.update_id)
            )
            return [dict(row) for row in rows]
