"""The batch writer: every write the bot makes while it runs, committed in shared transactions.

Each statement through SQLAlchemy's async adapters costs a few thread or network round
trips, so a transaction of its own for every event, every inbox row and every delivery
record would put each person's event in a queue behind the others'. Here writes are jobs:
they wait while a transaction is in flight, and the next transaction takes every job that
is waiting, running each kind of job once for all of them (one multi-row statement per
kind of write). A batch of fifty events costs about what one would on its own.

What a job is, and its SQL, belongs to its kind (``storage/turns.py`` for people's events,
``storage/inbox.py`` and ``storage/outbox.py`` for the records around them); this module
only schedules:

- **Order.** Jobs with the same key (a person's events) never share a batch, and a later
  one waits until the earlier one has committed, so one person's events apply in the order
  they came. Jobs without a key ride along in any batch.
- **All or nothing.** A batch commits whole or not at all. If it fails for any reason but
  the database being unavailable, its jobs are retried one per transaction, so one bad job
  cannot take the others down with it. If the database is unavailable, every job of the
  batch fails with ``StorageUnavailableError`` (nothing was stored), except on PostgreSQL
  when a row another process holds made it wait too long: then only that job waits again.
- **After the commit.** Each kind hears about what it committed before anyone's await
  returns (the outbox hands committed calls to the sender at once, whether or not the
  caller is still waiting for the result).
- **Jobs that can wait a moment** (``lazy``: the records of delivered calls) start no
  transaction of their own: they ride in the next one, or in their own once they have
  waited ``lazy`` seconds, so the records of a busy bot's deliveries cost no transaction.

On SQLite there is one writer at a time anyway (``BEGIN IMMEDIATE``); on PostgreSQL several
batches can be in flight at once, of different keys.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.columns import utc_now
from storage.database import Database
from storage.errors import StorageUnavailableError, Unavailability

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT")
ResultT = TypeVar("ResultT")

#: Most jobs committed in one transaction; bounds how long one commit holds the lock.
MAX_BATCH = 100
#: Batches in flight at once on PostgreSQL (SQLite has one writer, so one there).
POSTGRES_WRITERS = 4


class Kind(Generic[PayloadT, ResultT]):
    """A kind of write: how a batch of its jobs runs in a transaction, and what happens once
    they are committed. ``order`` places kinds within a transaction (lowest first)."""

    order: int = 0

    async def run(
        self, connection: AsyncConnection, payloads: list[PayloadT], now: datetime, batch: Batch
    ) -> list[ResultT]:
        """Runs every job of this kind in the batch; one result per payload, in order."""
        raise NotImplementedError

    def committed(self, payloads: list[PayloadT], results: list[ResultT]) -> None:
        """Called once the transaction has committed, before any waiter is told."""


@dataclass
class Batch:
    """What the kinds of one transaction share: whatever one kind tells the ones after it
    (the update ids events applied, so the inbox need not keep them)."""

    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class _Job:
    kind: Kind[Any, Any]
    payload: Any
    key: Hashable | None
    future: asyncio.Future[Any]
    lazy: float | None = None


class BatchWriter:
    """Queues jobs and commits them in shared transactions."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime] = utc_now,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.database = database
        self.clock = clock
        self.max_batch = max_batch
        self._queue: deque[_Job] = deque()
        self._writers: set[asyncio.Task[None]] = set()
        self._max_writers = 1 if database.is_sqlite else POSTGRES_WRITERS
        self._in_flight: set[Hashable] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._lazy_due = False  # lazy jobs have waited long enough: commit them anyway
        self.batches_committed = 0
        self.jobs_committed = 0

    async def submit(
        self, kind: Kind[PayloadT, ResultT], payload: PayloadT, key: Hashable | None = None
    ) -> ResultT:
        """Queues one job and returns its result once committed (raises what failed it)."""
        return await self.submit_soon(kind, payload, key)

    def submit_soon(
        self,
        kind: Kind[PayloadT, ResultT],
        payload: PayloadT,
        key: Hashable | None = None,
        lazy: float | None = None,
    ) -> asyncio.Future[ResultT]:
        """Queues one job; its future is done once committed (for callers that need not
        wait). ``lazy``: ride in the next transaction, or start one after that many seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResultT] = loop.create_future()
        self._queue.append(_Job(kind, payload, key, future, lazy))
        if lazy is None:
            self._wake()
        elif self._timer is None:
            self._timer = loop.call_later(lazy, self._wake, True)
        return future

    def _wake(self, lazy_too: bool = False) -> None:
        """Starts a writer for the queued jobs, unless as many as allowed already run
        (``lazy_too``: the lazy jobs' time is up, so they are reason enough)."""
        if lazy_too:
            self._timer = None
            self._lazy_due = bool(self._queue)
        if self._queue and len(self._writers) < self._max_writers:
            self._writers.add(asyncio.create_task(self._drain(), name="batch-writer"))

    @property
    def keys_in_flight(self) -> frozenset[Hashable]:
        """Keys whose job is being committed right now."""
        return frozenset(self._in_flight)

    async def close(self) -> None:
        """Waits until every queued job has been committed (or has failed)."""
        self._wake(lazy_too=True)
        while self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)

    async def _drain(self) -> None:
        try:
            while True:
                batch = self._take_batch()
                if not batch:
                    break
                keys = {job.key for job in batch if job.key is not None}
                self._in_flight |= keys
                try:
                    await self._commit(batch)
                finally:
                    self._in_flight -= keys
        finally:
            # Leave the set in the same step as finding the queue empty: a job queued after
            # this point sees one writer fewer and starts its own.
            current = asyncio.current_task()
            if current is not None:
                self._writers.discard(current)

    def _take_batch(self) -> list[_Job]:
        """Waiting jobs, up to ``max_batch``, but at most one per key and none whose key is
        in flight; the rest keep their place and order. Lazy jobs alone make no batch,
        until their time is up."""
        if not self._lazy_due and all(job.lazy is not None for job in self._queue):
            return []  # they wait for a transaction to ride in (or for their timer)
        self._lazy_due = False
        batch: list[_Job] = []
        waiting: deque[_Job] = deque()
        busy = set(self._in_flight)
        while self._queue:
            job = self._queue.popleft()
            if job.future.done():  # the caller gave up (cancelled) before we began
                continue
            if len(batch) >= self.max_batch or (job.key is not None and job.key in busy):
                if job.key is not None:
                    busy.add(job.key)  # later jobs of this key keep their order too
                waiting.append(job)
                continue
            if job.key is not None:
                busy.add(job.key)
            batch.append(job)
        self._queue = waiting
        if self._timer is not None and not any(job.lazy is not None for job in waiting):
            self._timer.cancel()  # every lazy job rides in this batch: no need to wake
            self._timer = None
        return batch

    async def _commit(self, batch: list[_Job]) -> None:
        try:
            done = await self._run(batch)
        except StorageUnavailableError as error:
            if (
                error.kind is Unavailability.LOCKED
                and len(batch) > 1
                and not self.database.is_sqlite
            ):
                # A row another process holds: only the job that touched it has to wait.
                for job in batch:
                    await self._commit([job])
                return
            _fail(batch, error)
            return
        except Exception as error:
            if len(batch) == 1:
                log.error("a %s write failed: %r", type(batch[0].kind).__name__, error)
                _fail(batch, error)
                return
            log.warning("a batch of %d writes failed (%r); retrying one by one", len(batch), error)
            for job in batch:
                await self._commit([job])
            return
        for job, result in done:
            if not job.future.done():
                job.future.set_result(result)
        self.batches_committed += 1
        self.jobs_committed += len(batch)

    async def _run(self, batch: list[_Job]) -> list[tuple[_Job, Any]]:
        """One transaction for the whole batch; then each kind is told, then each caller."""
        by_kind: dict[Kind[Any, Any], list[_Job]] = {}
        for job in batch:
            by_kind.setdefault(job.kind, []).append(job)
        kinds = sorted(by_kind, key=lambda kind: kind.order)
        shared = Batch()
        outcomes: dict[Kind[Any, Any], list[Any]] = {}
        async with self.database.transaction() as connection:
            now = self.clock()
            for kind in kinds:
                payloads = [job.payload for job in by_kind[kind]]
                outcomes[kind] = await kind.run(connection, payloads, now, shared)
        done: list[tuple[_Job, Any]] = []
        for kind in kinds:
            jobs = by_kind[kind]
            try:
                kind.committed([job.payload for job in jobs], outcomes[kind])
            except Exception:  # a listener's bug must not make a committed write look failed
                log.exception("after committing %s writes", type(kind).__name__)
            done += zip(jobs, outcomes[kind], strict=True)
        return done


def _fail(jobs: Sequence[_Job], error: BaseException) -> None:
    for job in jobs:
        if not job.future.done():
            job.future.set_exception(error)
