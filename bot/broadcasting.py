"""Delivering a broadcast in the background, inside Telegram's limits, across restarts.

A pool of workers copies the admin's message to each recipient through the sender
(``bot/sender.py``), which holds the limits: ``BROADCAST_RATE`` a second (Telegram asks
for about 30; paid broadcasts allow up to 1000) inside the bot's overall budget, always
behind people's replies, and a 429 pauses every broadcast send for ``retry_after``. A
feeder keeps a small queue of recipients claimed ahead from the database and, in the same
transaction, records the outcomes of those already sent (this ledger, not the outbox, is
what a broadcast's delivery is recorded in). A 403 marks the person as having blocked the
bot; network errors are retried by the sender, then recorded as failed.

Doubles after a crash, and why at most one window. A recipient is claimed (``sending``)
in the same transaction that records earlier outcomes, and the feeder never lets more than
``window`` recipients be claimed and not yet recorded: each exchange records what has
settled and claims only enough to bring that count back to ``window``. So at any moment the
database holds at most ``window`` recipients in ``sending``; after a crash those go back to
pending and are sent again, and only the ones whose send had in fact reached Telegram get
it twice. Doubles <= window = max(concurrency, rate / 10): 8 at the defaults (30 a second,
8 at once), 40 in the crash test (400 a second), which asserts exactly that.

Few connections, on purpose (the sender's broadcast pool): the rate is at most
concurrency / round trip, and every connection costs CPU to keep; on loopback 4 or 8
calls at once reach 1000 a second (BENCHMARKS.md). Raise BROADCAST_CONCURRENCY when
Telegram's round trip, not the CPU, is what limits the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from telegram.error import RetryAfter, TelegramError

from bot.limits import Priority
from bot.sender import BlockedError, Sender
from bot.waiting import first_of
from storage.broadcasts import (
    BroadcastInfo,
    BroadcastStatus,
    BroadcastStore,
    DeliveryStatus,
    Outcome,
)
from storage.errors import StorageUnavailableError

log = logging.getLogger(__name__)


@dataclass
class Progress:
    """Counts for the admin's panel, kept as the senders report."""

    total: int
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    sent_this_run: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def left(self) -> int:
        """Recipients not yet settled."""
        return max(0, self.total - self.sent - self.failed - self.blocked)

    @property
    def rate(self) -> float:
        """Messages a second since this run began."""
        elapsed = time.monotonic() - self.started
        return self.sent_this_run / elapsed if elapsed > 0 else 0.0

    def count(self, outcome: Outcome) -> None:
        """Adds one settled recipient."""
        if outcome.status is DeliveryStatus.SENT:
            self.sent += 1
            self.sent_this_run += 1
        elif outcome.status is DeliveryStatus.BLOCKED:
            self.blocked += 1
        elif outcome.status is DeliveryStatus.FAILED:
            self.failed += 1


class Broadcaster:
    """Runs broadcasts in the background, one task each."""

    def __init__(
        self,
        sender: Sender,
        store: BroadcastStore,
        *,
        rate: float,
        concurrency: int = 8,
        report: Callable[[BroadcastInfo, Progress, bool], object] | None = None,
        report_every: timedelta = timedelta(seconds=3),
    ) -> None:
        self.sender = sender
        self.store = store
        self.rate = rate
        self.concurrency = concurrency
        self.window = max(concurrency, math.ceil(rate / 10))
        self.report = report
        self.report_every = report_every
        self._running: dict[int, asyncio.Task[Progress]] = {}
        self._stopping = asyncio.Event()
        self.recovered = 0

    def launch(self, broadcast_id: int) -> asyncio.Task[Progress]:
        """Starts delivering (once per broadcast); returns the task."""
        task = self._running.get(broadcast_id)
        if task is None or task.done():
            run = _Run(self, broadcast_id)
            task = asyncio.create_task(run.deliver(), name=f"broadcast-{broadcast_id}")
            self._running[broadcast_id] = task
        return task

    async def resume(self) -> list[int]:
        """Takes over broadcasts whose process is gone (a restart, a dead process) and
        goes on where they stopped; returns their ids."""
        resumed = []
        for broadcast_id in await self.store.claim_orphans():
            again = await self.store.recover_in_flight(broadcast_id)
            self.recovered += again
            log.warning(
                "resuming broadcast %s: %d recipients were in flight when it stopped and are "
                "sent again (any who already had it get it twice)",
                broadcast_id,
                again,
            )
            self.launch(broadcast_id)
            resumed.append(broadcast_id)
        return resumed

    async def close(self) -> None:
        """Stops gracefully: sends in flight finish and are recorded, the rest waits."""
        self._stopping.set()
        for task in list(self._running.values()):
            with contextlib.suppress(Exception):
                await task


class _Run:
    """One delivery of one broadcast: a feeder, a pool of senders, a progress reporter."""

    def __init__(self, broadcaster: Broadcaster, broadcast_id: int) -> None:
        self.owner = broadcaster
        self.store = broadcaster.store
        self.broadcast_id = broadcast_id
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.settled: list[Outcome] = []
        self.room = asyncio.Event()
        self.progress = Progress(total=0)

    async def deliver(self) -> Progress:
        """Sends to every pending recipient; ends when done, cancelled or told to stop."""
        info = await self.store.info(self.broadcast_id)
        if info is None or info.status is not BroadcastStatus.SENDING:
            return self.progress
        self.progress = Progress(
            total=info.total,
            sent=info.counts.get(DeliveryStatus.SENT, 0),
            failed=info.counts.get(DeliveryStatus.FAILED, 0),
            blocked=info.counts.get(DeliveryStatus.BLOCKED, 0),
        )
        window = self.owner.window
        senders = [asyncio.create_task(self._sender(info)) for _ in range(self.owner.concurrency)]
        reporter = asyncio.create_task(self._reporter(info))
        status = BroadcastStatus.SENDING
        unrecorded = 0  # claimed in the database, outcome not yet recorded there
        try:
            while not self.owner._stopping.is_set():
                # Cleared before the exchange: sends that settle while it runs wake us again.
                self.room.clear()
                outcomes, self.settled = self.settled, []
                # The invariant the doubling bound rests on: claimed-but-unrecorded never
                # exceeds the window, so this claim fills it back up and no further.
                wanted = window - (unrecorded - len(outcomes))
                claimed, status = await self._exchange(outcomes, wanted)
                unrecorded += len(claimed) - len(outcomes)
                if status is not BroadcastStatus.SENDING:
                    break
                for user_id in claimed:
                    self.queue.put_nowait(user_id)
                if not unrecorded:
                    break  # nothing claimed, nothing outstanding: everyone is settled
                await first_of(self.owner._stopping, self.room)
        finally:
            while not self.queue.empty():  # claimed but never sent: back to pending below
                self.queue.get_nowait()
                self.queue.task_done()
            await self.queue.join()  # let sends already under way finish
            for task in (*senders, reporter):
                task.cancel()
            await asyncio.gather(*senders, reporter, return_exceptions=True)
            await self.store.exchange(self.broadcast_id, self.settled, 0)
            self.settled = []
            await self.store.recover_in_flight(self.broadcast_id)
        finished = status is BroadcastStatus.SENDING and not self.owner._stopping.is_set()
        if finished:
            await self.store.finish(self.broadcast_id, BroadcastStatus.DONE)
        if finished or status is BroadcastStatus.CANCELLED:
            log.info(
                "broadcast %s %s: %d sent, %d failed, %d blocked, %.1f/s",
                self.broadcast_id,
                "finished" if finished else "stopped",
                self.progress.sent,
                self.progress.failed,
                self.progress.blocked,
                self.progress.rate,
            )
            if self.owner.report is not None:
                latest = await self.store.info(self.broadcast_id) or info
                await _maybe_await(self.owner.report(latest, self.progress, True))
        return self.progress

    async def _exchange(
        self, outcomes: list[Outcome], claim: int
    ) -> tuple[list[int], BroadcastStatus]:
        """Records and claims; a database outage pauses delivery rather than ending it."""
        pause = 1.0
        while True:
            try:
                return await self.store.exchange(self.broadcast_id, outcomes, claim)
            except StorageUnavailableError as error:
                log.warning("broadcast %s waits for the database (%s)", self.broadcast_id, error)
                await asyncio.sleep(pause)
                pause = min(30.0, pause * 2)

    async def _sender(self, info: BroadcastInfo) -> None:
        while True:
            user_id = await self.queue.get()
            try:
                outcome = await self._send_one(info, user_id)
                self.settled.append(outcome)
                self.progress.count(outcome)
            finally:
                self.queue.task_done()
            # Half a window settled (or all of it): time to record them and claim more, so
            # the next recipients are claimed before the queue runs dry.
            if len(self.settled) * 2 >= self.owner.window or self.queue.empty():
                self.room.set()

    async def _send_one(self, info: BroadcastInfo, user_id: int) -> Outcome:
        assert info.source_chat_id is not None
        assert info.source_message_id is not None
        copy = {
            "chat_id": user_id,
            "from_chat_id": info.source_chat_id,
            "message_id": info.source_message_id,
        }
        try:
            await self.owner.sender.call(
                "copyMessage", copy, chat_id=user_id, priority=Priority.BROADCAST
            )
        except BlockedError:
            return Outcome(user_id, DeliveryStatus.BLOCKED, "blocked the bot")
        except RetryAfter as error:
            return Outcome(user_id, DeliveryStatus.FAILED, f"asked to wait {error.retry_after} s")
        except TelegramError as error:  # refused, or still failing after the sender's retries
            return Outcome(user_id, DeliveryStatus.FAILED, f"{type(error).__name__}: {error}"[:250])
        return Outcome(user_id, DeliveryStatus.SENT)

    async def _reporter(self, info: BroadcastInfo) -> None:
        report = self.owner.report
        if report is None:
            return
        while True:
            await asyncio.sleep(self.owner.report_every.total_seconds())
            try:
                await _maybe_await(report(info, self.progress, False))
            except Exception as error:  # a panel that cannot be edited must not stop delivery
                log.info("broadcast %s: progress not shown (%s)", info.id, error)


async def _maybe_await(value: object) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        await value
