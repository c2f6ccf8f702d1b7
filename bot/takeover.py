"""What the leader does for processes that are gone: their calls, updates and broadcasts.

A process that dies (SIGKILL, a crash, a machine lost) leaves rows it owned: outbox calls
it had committed and not delivered, inbox updates it had fetched and not finished, a
broadcast it was sending. The leader (``storage/presence.py``) looks for them every
``CHECK_SECONDS`` and at the moment it becomes the leader, and carries on with them: the
calls first (they are older than anything the updates will say), then the updates, then
the broadcasts. On SQLite, where one process runs at a time, the one look at start finds
what the previous process left.

This is the only place where work changes hands between processes; each take-over is one
statement that re-checks the owner is gone (``SKIP LOCKED`` on PostgreSQL), so two leaders
for a moment (one losing its connection as the next takes over) cannot both take a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from bot.broadcasting import Broadcaster
from bot.delivery import Delivery
from bot.waiting import first_of
from storage.errors import StorageUnavailableError
from storage.inbox import Inbox
from storage.outbox import OutboxStore
from storage.presence import CHECK_SECONDS, Presence

log = logging.getLogger(__name__)


class Takeover:
    """Looks for what the dead left, while this process leads, and carries it on."""

    def __init__(
        self,
        presence: Presence,
        outbox: OutboxStore,
        delivery: Delivery,
        inbox: Inbox,
        broadcaster: Broadcaster,
    ) -> None:
        self.presence = presence
        self.outbox = outbox
        self.delivery = delivery
        self.inbox = inbox
        self.broadcaster = broadcaster
        #: Handles an update taken over (the intake's ``take``); set once it exists.
        self.handle: Callable[[dict[str, Any]], None] | None = None
        self.updates_taken_over = 0
        self._lock = asyncio.Lock()

    async def sweep(self) -> None:
        """One look: takes over and carries on whatever dead processes own."""
        async with self._lock:
            self.delivery.take_over(await self.outbox.claim_orphans())
            updates = await self.inbox.claim_orphans()
            if updates:
                self.updates_taken_over += len(updates)
                log.warning("handling %d updates a process that is gone had taken", len(updates))
                assert self.handle is not None
                for raw in updates:
                    self.handle(raw)
            await self.broadcaster.resume()

    async def run(self, stop: asyncio.Event) -> None:
        """Sweeps while this process leads (on SQLite, once: nobody else can die)."""
        while not stop.is_set():
            await first_of(stop, self.presence.leading)
            if stop.is_set():
                return
            try:
                await self.sweep()
            except StorageUnavailableError as error:
                log.warning("could not look for what stopped processes left (%s)", error)
            if not self.presence.shared:
                await stop.wait()
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_SECONDS)
