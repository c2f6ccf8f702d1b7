"""Background work between updates: one gentle reminder per pause, the one check-in a
week after the end, and pruning.

Reminders and check-ins are claimed in the database before they are sent, so a restart or
a second instance never sends one twice; the cost is that a crash between claim and send
loses that one message, which is the kinder failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.services import Services
from bot.waiting import first_of
from dialogs.content_model import Action
from dialogs.events import Act
from dialogs.snapshot import Snapshot
from dialogs.turn import Message
from storage.checkins import claim_due_checkins
from storage.claims import Claimed
from storage.columns import utc_now
from storage.errors import StorageUnavailableError
from storage.maintenance import prune_processed_updates
from storage.owed import OwedReply, owed_replies
from storage.records import UserProfile
from storage.reminders import claim_due_reminders

log = logging.getLogger(__name__)
PRUNE_EVERY = timedelta(hours=1)
#: A reply marked owed longer ago than this is taken as lost. It must exceed the longest
#: normal delivery (a few seconds, or a 429 wait) plus the second notes take to be written;
#: marks older than this process were left by a previous one and count at once.
RESEND_AFTER = timedelta(seconds=30)


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
        self.replies_resent = 0
        self.started_at = clock()
        self._last_prune: datetime | None = None

    async def run(self, stop: asyncio.Event, caught_up: asyncio.Event | None = None) -> None:
        """Works until ``stop`` is set; a database outage only postpones the work.

        ``caught_up``: set by the intake once the updates waiting at start-up (leftovers
        and Telegram's first batch) are handled; before that, a re-send could overtake
        someone's own tap and make their button stale."""
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
        """One round: owed replies, reminders for whoever is due, pruning once an hour.
        Each part runs even if another fails (a database outage postpones them all)."""
        for part in (self.resend_owed, self._reminders, self._checkins, self._prune):
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

    async def send_due_checkins(self) -> int:
        """Claims and sends one batch of due check-ins (one each, ever); returns how many."""
        due = await claim_due_checkins(self.services.database, now=self.clock())
        self.checkins_sent += await self._send_claimed(due, self.services.engine.checkin)
        return len(due)

    async def _send_claimed(
        self, claimed: list[Claimed], compose: Callable[[Snapshot, str], Message | None]
    ) -> int:
        """Sends each claimed session its message (none, if ``compose`` says so); returns
        how many arrived."""
        arrived = 0
        for one in claimed:
            try:
                snapshot = Snapshot.model_validate(one.snapshot)
            except ValueError:
                log.warning("nothing sent to session %s: unreadable snapshot", one.session_id)
                continue
            message = compose(snapshot, one.first_name)
            if message is not None:
                arrived += await self.services.responder.send(one.user_id, [message])
        return arrived

    async def _prune(self) -> None:
        now = self.clock()
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            removed = await prune_processed_updates(self.services.database, now=now)
            self._last_prune = now
            if removed:
                log.info("pruned %d old processed update ids", removed)

    async def resend_owed(self) -> int:
        """Shows people whose last reply was lost their current question; returns how many.

        After a crash this can be hundreds of people at once: they are taken in batches,
        each batch concurrently (storage commits them together). Someone with messages on
        their way right now is left for the next round, and a re-send that the person's own
        event overtook is not made (their mark has moved on)."""
        await self.services.conversations.store.settle_delivered()  # known delivered
        responder = self.services.responder
        resent = 0
        seen: set[int] = set()
        while True:
            before = max(self.clock() - RESEND_AFTER, self.started_at)
            owed = [
                o
                for o in await owed_replies(
                    self.services.database, before, known_lost=responder.lost_in
                )
                if o.user_id not in seen and o.user_id not in responder.sending
            ]
            if not owed:
                break
            seen.update(o.user_id for o in owed)
            results = await asyncio.gather(*(self._resend(o) for o in owed), return_exceptions=True)
            for owed_reply, result in zip(owed, results, strict=True):
                if isinstance(result, BaseException):
                    log.warning("re-sending to user %s failed: %r", owed_reply.user_id, result)
            resent += sum(1 for result in results if result is True)
        if resent:
            self.replies_resent += resent
            log.info("re-sent the current question to %d people owed a reply", resent)
        return resent

    async def _resend(self, owed: OwedReply) -> bool:
        person = UserProfile(owed.user_id, owed.first_name, owed.language)
        applied = await self.services.conversations.apply(
            person, Act(Action.CONTINUE), only_if_owed_since=owed.owed_since
        )
        if applied is None:
            return False
        return await self.services.responder.send(
            owed.user_id, applied.turn.messages, owed_since=applied.owed_since
        )

    async def send_due_reminders(self) -> int:
        """Claims and sends one batch of due reminders; returns how many were sent."""
        engine = self.services.engine
        now = self.clock()
        due = await claim_due_reminders(
            self.services.database,
            now=now,
            cutoff=now - self.reminder_delay,
            not_at_steps=[engine.content.first_step.id],
        )
        self.reminders_sent += await self._send_claimed(due, engine.reminder)
        return len(due)
