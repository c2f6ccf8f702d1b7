"""Applying events to stored conversations: load, decide, commit, all or nothing.

The caller passes a decide-function (in the bot, the dialogue engine). It receives the
user's current conversation and returns what changed; the change, the answer row and the
processed update id commit in one transaction, or none of them do. A redelivered update
id is recognised before anything is decided, so it is applied once.

Events are committed in batches. Requests queue up while a transaction is in flight; the
writer then takes every queued request (at most one per user, in arrival order) and
applies them all in one transaction, with one multi-row statement per kind of write. Each
SQL statement through SQLAlchemy's aiosqlite adapter costs three or four thread round trips,
so a batch of fifty events costs about what one event would on its own (BENCHMARKS.md has
the figures). A batch is still all-or-nothing for every event in it; if it fails for any
reason other than the database being unavailable, its events are retried one by one, so one
bad event cannot take others down with it.

Ordering: one user's events are never in the same batch, and a later event waits in the
queue until the earlier one has committed. On PostgreSQL several batches (of different
users) can be in flight at once, so a user whose row another process holds up delays
only the events batched with theirs. Across processes, SQLite takes one writer at a
time (``BEGIN IMMEDIATE``), and on PostgreSQL the user-row upsert locks the rows of a
batch, in id order so that two batches cannot deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.columns import utc_now
from storage.database import Database
from storage.errors import StorageUnavailableError, Unavailability
from storage.models import User
from storage.records import ConversationUpdate, Decision, StoredConversation, UserProfile
from storage.statements import ConversationStatements

log = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")
Decide = Callable[[StoredConversation | None], Decision[ResultT]]

#: Most events committed in one transaction; bounds how long one commit holds the lock.
MAX_BATCH = 100
#: Batches in flight at once on PostgreSQL (SQLite has one writer, so one there).
POSTGRES_WRITERS = 4
#: How long delivery notes wait for a transaction to ride in before taking their own
#: (see ``note_delivered``). A crash inside it shows people a question twice; shorter
#: means more transactions of their own, which cost latency (BENCHMARKS.md).
SETTLE_AFTER_SECONDS = 1.0


@dataclass(eq=False)
class _Request(Generic[ResultT]):
    user: UserProfile
    update_id: int | None
    decide: Decide[ResultT]
    future: asyncio.Future[ResultT | None]
    stored: StoredConversation | None = None
    decision: Decision[ResultT] | None = field(default=None)
    owed_since: datetime | None = None  # when this event's turn was marked owed its reply


@dataclass(eq=False)
class _Errand:
    """Inbox rows to add or drop, replies to settle; they ride along in the next
    transaction of events."""

    keep: list[dict[str, Any]]
    forget: list[int]
    future: asyncio.Future[None]
    settle: dict[int, datetime] = field(default_factory=dict)


class ConversationStore:
    """Stores conversations; every user event's unit of work goes through here."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime] = utc_now,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.database = database
        self.clock = clock
        self.max_batch = max_batch
        self._queue: deque[_Request[Any]] = deque()
        self._errands: list[_Errand] = []
        self._writers: set[asyncio.Task[None]] = set()
        self._max_writers = 1 if database.is_sqlite else POSTGRES_WRITERS
        self._in_flight: set[int] = set()
        self._sql = ConversationStatements.for_dialect(database.url.get_backend_name())
        self._delivered: dict[int, datetime] = {}
        self._settling: asyncio.Task[None] | None = None
        self.settle_after = SETTLE_AFTER_SECONDS
        self.batches_committed = 0
        self.events_committed = 0

    async def apply_event(
        self, user: UserProfile, update_id: int | None, decide: Decide[ResultT]
    ) -> ResultT | None:
        """Runs ``decide`` on the user's conversation and commits what it returns.

        Returns the decide-function's result, or None when ``update_id`` was applied before.
        Raises StorageUnavailableError (nothing stored) when the database cannot take it.
        """
        result, _ = await self.apply_event_owed(user, update_id, decide)
        return result

    async def apply_event_owed(
        self, user: UserProfile, update_id: int | None, decide: Decide[ResultT]
    ) -> tuple[ResultT | None, datetime | None]:
        """Like ``apply_event``, and also when the session was marked owed the turn's reply
        (None if nothing was written): the time to pass to ``note_delivered``."""
        future: asyncio.Future[ResultT | None] = asyncio.get_running_loop().create_future()
        request = _Request(user, update_id, decide, future)
        self._queue.append(request)
        self._wake_writer()
        result = await future
        return result, request.owed_since

    async def keep_updates(self, updates: Sequence[dict[str, Any]]) -> None:
        """Puts raw updates in the inbox, in the same transaction as the next events."""
        await self._errand(_Errand(list(updates), [], asyncio.get_running_loop().create_future()))

    async def forget_updates(self, update_ids: Sequence[int]) -> None:
        """Drops handled updates from the inbox, in the same transaction as the next events."""
        await self._errand(
            _Errand([], list(update_ids), asyncio.get_running_loop().create_future())
        )

    def note_delivered(self, user_id: int, owed_since: datetime) -> None:
        """Records that the user's latest reply arrived, so their session is owed nothing.

        Every committed event marks its session as owed a reply; these notes clear the
        marks in one statement, riding in the next transaction that commits anyway, or in
        their own a second later when none does. A crash in between leaves the
        mark, and the next start shows that person their question again (once more than
        needed, at worst). ``owed_since`` (from ``apply_event_owed``) names the turn, so
        a note can never clear the mark of a later turn."""
        known = self._delivered.get(user_id)
        self._delivered[user_id] = owed_since if known is None else max(known, owed_since)
        if self._settling is None or self._settling.done():
            self._settling = asyncio.create_task(self._settle_soon(), name="settle-replies")
            self._settling.add_done_callback(_log_failure)

    def _notes_errand(self) -> _Errand:
        """The delivery notes taken so far, as an errand; they come back if it fails."""
        notes, self._delivered = self._delivered, {}
        errand = _Errand([], [], asyncio.get_running_loop().create_future(), notes)

        def restore_on_failure(future: asyncio.Future[None]) -> None:
            # Cancelled (the waiter went away) or failed: the notes may not be written, so
            # they are kept for the next round; writing one twice is harmless.
            if future.cancelled() or future.exception() is not None:
                for user_id, at in notes.items():
                    known = self._delivered.get(user_id)
                    self._delivered[user_id] = at if known is None else max(known, at)

        errand.future.add_done_callback(restore_on_failure)
        return errand

    async def _settle_soon(self) -> None:
        while self._delivered:  # notes taken meanwhile (or put back) get their round too
            await asyncio.sleep(self.settle_after)
            await self.settle_delivered()

    async def settle_delivered(self) -> None:
        """Writes the delivery notes taken so far, now (if nothing else wrote them first)."""
        if not self._delivered:
            return
        try:
            await self._errand(self._notes_errand())
        except StorageUnavailableError as error:  # the notes are kept for the next round
            log.warning("reply notes not written yet (%s)", error)

    async def _errand(self, errand: _Errand) -> None:
        if not errand.keep and not errand.forget and not errand.settle:
            return
        self._errands.append(errand)
        self._wake_writer()
        await errand.future

    def _wake_writer(self) -> None:
        if len(self._writers) < self._max_writers:
            self._writers.add(asyncio.create_task(self._drain(), name="conversation-writer"))

    async def load(self, user_id: int) -> StoredConversation | None:
        """The user's current conversation, or None if they never started one."""
        async with self.database.read() as session:
            connection = await session.connection()
            subscribed = await connection.scalar(select(User.subscribed).where(User.id == user_id))
            rows = await connection.execute(self._sql.current_sessions, {"user_ids": [user_id]})
            row = rows.one_or_none()
            return _to_stored(row, bool(subscribed)) if row is not None else None

    @property
    def users_in_flight(self) -> frozenset[int]:
        """Users whose event is being committed right now."""
        return frozenset(self._in_flight)

    async def close(self) -> None:
        """Waits for queued events to commit, and writes the delivery notes taken."""
        if self._settling is not None and not self._settling.done():
            self._settling.cancel()  # notes it was writing come back (restore_on_failure)
            with contextlib.suppress(asyncio.CancelledError, StorageUnavailableError):
                await self._settling
        while self._writers:
            await asyncio.gather(*self._writers)
        await self.settle_delivered()

    async def _drain(self) -> None:
        try:
            while True:
                batch = self._take_batch()
                errands, self._errands = self._errands, []
                if not batch and not errands:
                    break
                if self._delivered:  # delivery notes ride along with whatever commits next
                    errands.append(self._notes_errand())
                users = {request.user.id for request in batch}
                self._in_flight |= users
                try:
                    await self._commit(batch, errands)
                finally:
                    self._in_flight -= users
        finally:
            # Leave the set in the same step as finding the queue empty: a request queued
            # after this point sees one writer fewer and starts its own.
            self._writers.discard(asyncio.current_task())

    def _take_batch(self) -> list[_Request[Any]]:
        """The oldest request of each idle user, up to ``max_batch``; the rest wait in order."""
        batch: list[_Request[Any]] = []
        waiting: deque[_Request[Any]] = deque()
        users = set(self._in_flight)
        while self._queue:
            request = self._queue.popleft()
            if request.future.done():  # the caller gave up (cancelled) before we began
                continue
            if request.user.id in users or len(batch) >= self.max_batch:
                users.add(request.user.id)  # later events of this user keep their order too
                waiting.append(request)
            else:
                users.add(request.user.id)
                batch.append(request)
        self._queue = waiting
        return batch

    async def _commit(self, batch: list[_Request[Any]], errands: Sequence[_Errand] = ()) -> None:
        try:
            await self._apply(batch, errands)
        except StorageUnavailableError as error:
            for errand in errands:
                _fail_errand(errand, error)
            if (
                error.kind is Unavailability.LOCKED
                and len(batch) > 1
                and not self.database.is_sqlite
            ):
                # A row another process holds: only the event of that user has to wait.
                for request in batch:
                    await self._commit([request])
                return
            for request in batch:
                _fail(request, error)
            return
        except Exception as error:
            if errands and not batch:
                for errand in errands:
                    _fail_errand(errand, error)
                log.error("inbox and reply bookkeeping failed: %r", error)
                return
            if errands:  # the errands on their own, then the events on their own
                await self._commit([], errands)
                for request in batch:
                    await self._commit([request])
                return
            if len(batch) == 1:
                _fail(batch[0], error)
                return
            log.warning("a batch of %d events failed (%r); retrying one by one", len(batch), error)
            for request in batch:
                await self._commit([request])
            return
        for errand in errands:
            if not errand.future.done():
                errand.future.set_result(None)
        for request in batch:
            if not request.future.done():
                request.future.set_result(
                    request.decision.result if request.decision is not None else None
                )
        self.batches_committed += 1
        self.events_committed += len(batch)

    async def _apply(self, batch: list[_Request[Any]], errands: Sequence[_Errand]) -> None:
        for request in batch:
            request.stored = request.decision = request.owed_since = None
        async with self.database.transaction() as connection:
            now = self.clock()
            # An update applied in this very transaction needs no inbox row: if the
            # transaction fails, the errand fails with it and the update is fetched again.
            applied_here = {r.update_id for r in batch if r.update_id is not None}
            await self._run_errands(connection, errands, now, applied_here)
            fresh = await self._claim_updates(connection, batch, now)
            if not fresh:
                return
            subscribed = await self._touch_users(connection, fresh, now)
            sessions = await self._current_sessions(connection, [r.user.id for r in fresh])
            for request in fresh:
                row = sessions.get(request.user.id)
                request.stored = _to_stored(row, subscribed[request.user.id]) if row else None
                request.decision = request.decide(request.stored)
                if request.decision.update is not None:
                    request.owed_since = now
            await self._write(connection, fresh, now)

    async def _run_errands(
        self,
        connection: AsyncConnection,
        errands: Sequence[_Errand],
        now: datetime,
        applied_here: set[int],
    ) -> None:
        keep = {
            int(update["update_id"]): {
                "update_id": update["update_id"],
                "payload": update,
                "received_at": now,
            }
            for errand in errands
            for update in errand.keep
            if int(update["update_id"]) not in applied_here
        }
        forget = [update_id for errand in errands for update_id in errand.forget]
        settle = {
            user_id: at for errand in errands for user_id, at in errand.settle.items()
        }  # a later note of the same user wins (dicts keep the last value)
        if settle:
            await connection.execute(
                self._sql.settle_owed,
                [{"b_user": user_id, "b_at": at} for user_id, at in settle.items()],
            )
        if keep:
            await connection.execute(self._sql.keep_inbox, list(keep.values()))
        if forget:
            await connection.execute(self._sql.forget_inbox, {"update_ids": forget})

    async def _claim_updates(
        self, connection: AsyncConnection, batch: list[_Request[Any]], now: datetime
    ) -> list[_Request[Any]]:
        """Records the batch's update ids; requests whose id was already there are dropped."""
        claims = [{"update_id": r.update_id, "processed_at": now} for r in batch if r.update_id]
        if not claims:
            return batch
        result = await connection.execute(self._sql.claim_updates, claims)
        claimed = set(result.scalars().all())
        return [r for r in batch if r.update_id is None or r.update_id in claimed]

    async def _touch_users(
        self, connection: AsyncConnection, batch: list[_Request[Any]], now: datetime
    ) -> dict[int, bool]:
        """Creates or refreshes each user (writing to us means they have unblocked us)."""
        rows = [
            {
                "id": r.user.id,
                "first_name": r.user.first_name,
                "language": r.user.language,
                "created_at": now,
                "last_seen_at": now,
                "subscribed": True,
                "blocked": False,
            }
            for r in sorted(batch, key=lambda r: r.user.id)  # lock rows in one order
        ]
        result = await connection.execute(self._sql.touch_users, rows)
        return {user_id: bool(subscribed) for user_id, subscribed in result.all()}

    async def _current_sessions(
        self, connection: AsyncConnection, user_ids: Sequence[int]
    ) -> dict[int, Any]:
        rows = await connection.execute(self._sql.current_sessions, {"user_ids": list(user_ids)})
        return {row.user_id: row for row in rows}

    async def _write(
        self, connection: AsyncConnection, batch: list[_Request[Any]], now: datetime
    ) -> None:
        sql = self._sql
        changed = [(r, r.decision.update) for r in batch if r.decision and r.decision.update]
        retiring = [r.stored.session_id for r, u in changed if r.stored and u.restarted]
        if retiring:
            await connection.execute(sql.retire_sessions, {"session_ids": retiring})
        new = [(r, u) for r, u in changed if r.stored is None or u.restarted]
        session_ids = await self._insert_sessions(connection, new, now) if new else {}
        existing = [(r, u) for r, u in changed if r.stored is not None and not u.restarted]
        for request, _ in existing:
            assert request.stored is not None
            session_ids[request.user.id] = request.stored.session_id
        if existing:
            await connection.execute(
                sql.update_sessions,
                [
                    {
                        "b_id": session_ids[r.user.id],
                        "b_snapshot": u.snapshot,
                        "b_version": u.content_version,
                        "b_step": u.step,
                        "b_top_factor": u.top_factor,
                        "b_track": u.track,
                        "b_now": now,
                        "b_completed": now if u.finished else None,
                    }
                    for r, u in existing
                ],
            )
        kept, removed = [], []
        for request, change in changed:
            if change.answer is None:
                continue
            session_id = session_ids[request.user.id]
            if change.answer.option is None:
                removed.append({"b_session": session_id, "b_step": change.answer.step})
            else:
                kept.append(
                    {
                        "session_id": session_id,
                        "step": change.answer.step,
                        "option": change.answer.option,
                        "answered_at": now,
                    }
                )
        if kept:
            await connection.execute(sql.upsert_answers, kept)
        if removed:
            await connection.execute(sql.delete_answers, removed)
        preferences = [
            {"b_user": r.user.id, "b_subscribed": u.subscribed}
            for r, u in changed
            if u.subscribed is not None
        ]
        if preferences:
            await connection.execute(sql.set_subscribed, preferences)
        safety = [
            {"sent_at": now, "kinds": ",".join(u.safety_reply)}
            for _, u in changed
            if u.safety_reply
        ]
        if safety:
            await connection.execute(sql.count_safety_reply, safety)
        checkins = [
            {"b_id": session_ids[r.user.id], "b_due": u.checkin_due_at}
            for r, u in changed
            if u.checkin_due_at is not None
        ]
        if checkins:
            await connection.execute(sql.schedule_checkin, checkins)

    async def _insert_sessions(
        self,
        connection: AsyncConnection,
        new: list[tuple[_Request[Any], ConversationUpdate]],
        now: datetime,
    ) -> dict[int, int]:
        rows = [
            {
                "user_id": r.user.id,
                "is_current": True,
                "started_at": now,
                "updated_at": now,
                "reply_owed_at": now,
                "completed_at": now if u.finished else None,
                "snapshot": u.snapshot,
                "content_version": u.content_version,
                "step": u.step,
                "top_factor": u.top_factor,
                "track": u.track,
            }
            for r, u in new
        ]
        result = await connection.execute(self._sql.insert_sessions, rows)
        return {row[0]: row[1] for row in result.all()}


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("writing reply notes failed: %r", error)


def _fail_errand(errand: _Errand, error: BaseException) -> None:
    if not errand.future.done():
        errand.future.set_exception(error)


def _fail(request: _Request[Any], error: BaseException) -> None:
    if not request.future.done():
        request.future.set_exception(error)


def _to_stored(row: Any, subscribed: bool) -> StoredConversation:
    return StoredConversation(
        session_id=row.id,
        snapshot=dict(row.snapshot),
        content_version=row.content_version,
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        reminder_sent_at=row.reminder_sent_at,
        subscribed=subscribed,
        reply_owed_at=row.reply_owed_at,
    )
