"""Background work between updates: one gentle reminder per pause, the one check-in a
week after the end, and pruning.

Reminders and check-ins are claimed in the database in the same transaction that commits
their calls to the outbox (``storage/claims.py``), so a restart or a second instance never
sends one twice, and a crash after the claim loses none: the outbox delivers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import replies
from bot.services import Services
from bot.waiting import first_of
from dialogs.engine import DialogueEngine
from dialogs.snapshot import Snapshot
from dialogs.turn import Message
from storage.checkins import claim_due_checkins
from storage.claims import Claimed
from storage.columns import utc_now
from storage.errors import StorageUnavailableError
from storage.maintenance import prune_processed_updates
from storage.records import Call
from storage.reminders import claim_due_reminders

log = logging.getLogger(__name__)
PRUNE_EVERY = timedelta(hours=1)


class Housekeeping:
    """Sends due reminders and check-ins every ``interval``; prunes old update ids hourly."""

    def __init__(
        self,
        services: Services,
        *,
        reminder_delay: timedelta,
        interval: timedelta,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.services = services
        self.reminder_delay = reminder_delay
        self.interval = interval
        self.clock = clock
        self.reminders_sent = 0
        self.checkins_sent = 0
        self._last_prune: datetime | None = None

    async def run(self, stop: asyncio.Event, caught_up: asyncio.Event | None = None) -> None:
        """Works until ``stop`` is set; a database outage only postpones the work.

        ``caught_up``: set by the intake once the updates waiting at start-up are handled,
        so a reminder never reaches someone whose answer is still on its way in."""
        if caught_up is not None:
            await first_of(caught_up, stop)
        while not stop.is_set():
            try:
                await self.tick()
            except StorageUnavailableError as error:
                log.warning("housekeeping postponed: %s", error)
            except Exception:  # a bug here must never take the conversations down with it
                log.exception("housekeeping round failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval.total_seconds())

    async def tick(self) -> None:
        """One round: reminders for whoever is due, check-ins, pruning once an hour. Each
        part runs even if another fails (a database outage postpones them all)."""
        for part in (self._reminders, self._checkins, self._prune):
            try:
                await part()
            except StorageUnavailableError:
                raise
            except Exception:  # one part's bug must not starve the others
                log.exception("housekeeping: %s failed; trying again next round", part.__name__)

    async def _reminders(self) -> None:
        if self.reminder_delay > timedelta(0):
            while await self.send_due_reminders():
                pass

    async def _checkins(self) -> None:
        while await self.send_due_checkins():
            pass

    async def send_due_reminders(self) -> int:
        """Claims one batch of due reminders and commits them; returns how many were due."""
        engine = self.services.engine
        now = self.clock()
        due = await claim_due_reminders(
            self.services.database,
            self.services.outbox,
            now=now,
            cutoff=now - self.reminder_delay,
            not_at_steps=[engine.content.first_step.id],
            compose=self._composer(lambda speaking: speaking.reminder),
        )
        self.reminders_sent += len(due)
        return len(due)

    async def send_due_checkins(self) -> int:
        """Claims one batch of due check-ins (one each, ever) and commits them; returns how
        many were due."""
        due = await claim_due_checkins(
            self.services.database,
            self.services.outbox,
            now=self.clock(),
            compose=self._composer(lambda speaking: speaking.checkin),
        )
        self.checkins_sent += len(due)
        return len(due)

    def _composer(
        self, compose: Callable[[DialogueEngine], Callable[[Snapshot, str], Message | None]]
    ) -> Callable[[Claimed], list[Call]]:
        """The calls for a claimed session: its message, in the person's language (none,
        if ``compose`` says so)."""

        def calls(one: Claimed) -> list[Call]:
            try:
                snapshot = Snapshot.model_validate(one.snapshot)
            except ValueError:
                log.warning("nothing sent to session %s: unreadable snapshot", one.session_id)
                return []
            speaking = self.services.conversations.speaking(one.language)
            message = compose(speaking)(snapshot, one.first_name)
            if message is None:
                return []
            return replies.messages(one.user_id, [message], previous=one.keyboard_message_id)

        return calls

    async def _prune(self) -> None:
        now = self.clock()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            removed = await prune_processed_updates(self.services.database, now=now)
            self._last_prune = now
            if removed:
                log.info("pruned %d old processed update ids", removed)
