"""People's events, stored: the SQL of a batch of turns, one transaction for all of them.

For each event: claim its update id (a redelivered update is recognised here and skipped),
create or refresh the person, load their conversation, let the caller's decide-function
(the dialogue engine, in the bot) say what changed and which calls show it, then write the
snapshot, the answer, the preferences it changed and the calls (``storage/outbox.py``).
Every kind of write is one multi-row statement for the whole batch, built once per dialect
with every value a bound parameter, so each batch only binds values and hits SQLAlchemy's
compiled-statement cache. The batch writer (``storage/batches.py``) decides what a batch
is; this module decides what it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.batches import Batch, Kind
from storage.columns import UtcDateTime
from storage.models import Answer, ConversationSession, ProcessedUpdate, SafetyReply, User
from storage.outbox import OutboxStore, Queued
from storage.records import ConversationUpdate, Decision, StoredConversation, UserProfile
from storage.upsert import insert_for

ResultT = TypeVar("ResultT")
Decide = Callable[[StoredConversation | None], Decision[ResultT]]
#: What ``Batch.notes`` calls the update ids applied in this transaction (the inbox need
#: not keep them: if the transaction fails, they fail with it and are fetched again).
APPLIED_UPDATES = "applied_update_ids"

SESSION_COLUMNS = (
    ConversationSession.id,
    ConversationSession.user_id,
    ConversationSession.snapshot,
    ConversationSession.content_version,
    ConversationSession.started_at,
    ConversationSession.updated_at,
    ConversationSession.completed_at,
    ConversationSession.reminder_sent_at,
)


@dataclass(frozen=True, slots=True)
class TurnRequest(Generic[ResultT]):
    """One person's event: who, which update (None for the bot's own), and the decision."""

    user: UserProfile
    update_id: int | None
    decide: Decide[ResultT]


@dataclass(frozen=True, slots=True)
class TurnResult(Generic[ResultT]):
    """A committed event: the decide-function's result, and the calls written with it."""

    result: ResultT
    rows: tuple[Queued, ...]


@dataclass(frozen=True)
class TurnStatements:
    """Every statement a batch of events needs, built once per dialect."""

    claim_updates: Any
    touch_users: Any
    current_sessions: Any
    retire_sessions: Any
    insert_sessions: Any
    update_sessions: Any
    upsert_answers: Any
    delete_answers: Any
    set_subscribed: Any
    count_safety_reply: Any
    schedule_checkin: Any

    @classmethod
    def for_dialect(cls, dialect: str) -> TurnStatements:
        """Builds the statements for ``sqlite`` or ``postgresql``."""
        users = insert_for(dialect, User)
        answers = insert_for(dialect, Answer)
        return cls(
            claim_updates=insert_for(dialect, ProcessedUpdate)
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id),
            # No RETURNING: an upsert that returns rows is sent one row at a time; what the
            # batch needs of the people comes with their sessions, in one query.
            touch_users=users.on_conflict_do_update(
                index_elements=[User.id],
                set_={
                    "first_name": users.excluded.first_name,
                    # The language is chosen once (from Telegram's, at first contact) and
                    # then only by the person (/language): never overwritten here.
                    "last_seen_at": users.excluded.last_seen_at,
                    "blocked": False,
                    "blocked_at": None,
                },
            ),
            current_sessions=select(
                User.id.label("person"),
                User.subscribed,
                User.language,
                User.keyboard_message_id,
                *SESSION_COLUMNS,
            )
            .outerjoin(
                ConversationSession,
                and_(ConversationSession.user_id == User.id, ConversationSession.is_current),
            )
            .where(User.id.in_(bindparam("user_ids", expanding=True))),
            retire_sessions=update(ConversationSession)
            .where(ConversationSession.id.in_(bindparam("session_ids", expanding=True)))
            .values(is_current=False),
            insert_sessions=insert_for(dialect, ConversationSession).returning(
                ConversationSession.user_id, ConversationSession.id, sort_by_parameter_order=True
            ),
            update_sessions=update(ConversationSession)
            .where(ConversationSession.id == bindparam("b_id"))
            .values(
                snapshot=bindparam("b_snapshot", type_=ConversationSession.snapshot.type),
                content_version=bindparam("b_version"),
                step=bindparam("b_step"),
                top_factor=bindparam("b_top_factor"),
                track=bindparam("b_track"),
                updated_at=bindparam("b_now", type_=UtcDateTime()),
                completed_at=func.coalesce(
                    ConversationSession.completed_at,
                    bindparam("b_completed", type_=UtcDateTime()),
                ),
            ),
            upsert_answers=answers.on_conflict_do_update(
                index_elements=[Answer.session_id, Answer.step],
                set_={
                    "option": answers.excluded.option,
                    "answered_at": answers.excluded.answered_at,
                },
            ),
            delete_answers=delete(Answer).where(
                Answer.session_id == bindparam("b_session"), Answer.step == bindparam("b_step")
            ),
            set_subscribed=update(User)
            .where(User.id == bindparam("b_user"))
            .values(subscribed=bindparam("b_subscribed")),
            count_safety_reply=insert_for(dialect, SafetyReply),
            schedule_checkin=update(ConversationSession)
            .where(ConversationSession.id == bindparam("b_id"))
            .values(
                checkin_due_at=bindparam("b_due", type_=UtcDateTime()),
                checkin_sent_at=None,
            ),
        )


class Turns(Kind[TurnRequest[Any], TurnResult[Any] | None]):
    """The batch writer's kind for people's events (first in every transaction)."""

    order = 10

    def __init__(self, dialect: str, outbox: OutboxStore) -> None:
        self.sql = TurnStatements.for_dialect(dialect)
        self.outbox = outbox
        self.events_committed = 0

    async def run(
        self,
        connection: AsyncConnection,
        payloads: list[TurnRequest[Any]],
        now: datetime,
        batch: Batch,
    ) -> list[TurnResult[Any] | None]:
        fresh = await self._claim_updates(connection, payloads, now)
        batch.notes[APPLIED_UPDATES] = {r.update_id for r in fresh if r.update_id is not None}
        decided: dict[int, tuple[StoredConversation | None, Decision[Any]]] = {}
        if fresh:
            taken_in = {id(request) for request in fresh}
            await self._touch_users(connection, fresh, now)
            people = await self._current_sessions(connection, [r.user.id for r in fresh])
            for index, request in enumerate(payloads):
                if id(request) not in taken_in:
                    continue
                row = people[request.user.id]
                stored = stored_conversation(row) if row.id is not None else None
                decided[index] = (stored, request.decide(stored))
            await self._write(connection, payloads, decided, now)
        calls = [call for _, decision in decided.values() for call in decision.calls]
        rows = await self.outbox.write(connection, calls, now)
        results: list[TurnResult[Any] | None] = []
        taken = 0
        for index in range(len(payloads)):
            if index not in decided:
                results.append(None)  # applied before: a redelivered update
                continue
            decision = decided[index][1]
            mine = tuple(rows[taken : taken + len(decision.calls)])
            taken += len(decision.calls)
            results.append(TurnResult(decision.result, mine))
        return results

    def committed(
        self, payloads: list[TurnRequest[Any]], results: list[TurnResult[Any] | None]
    ) -> None:
        self.events_committed += len(payloads)
        self.outbox.notify([row for result in results if result for row in result.rows])

    async def _claim_updates(
        self, connection: AsyncConnection, batch: list[TurnRequest[Any]], now: datetime
    ) -> list[TurnRequest[Any]]:
        """Records the batch's update ids; requests whose id was already there are dropped."""
        claims = [{"update_id": r.update_id, "processed_at": now} for r in batch if r.update_id]
        if not claims:
            return batch
        result = await connection.execute(self.sql.claim_updates, claims)
        claimed = set(result.scalars().all())
        return [r for r in batch if r.update_id is None or r.update_id in claimed]

    async def _touch_users(
        self, connection: AsyncConnection, batch: list[TurnRequest[Any]], now: datetime
    ) -> None:
        """Creates or refreshes each person (writing to us means they have unblocked us)."""
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
        await connection.execute(self.sql.touch_users, rows)

    async def _current_sessions(
        self, connection: AsyncConnection, user_ids: Sequence[int]
    ) -> dict[int, Any]:
        """Each person with their current session (its columns None when they have none)."""
        rows = await connection.execute(self.sql.current_sessions, {"user_ids": list(user_ids)})
        return {row.person: row for row in rows}

    async def _write(
        self,
        connection: AsyncConnection,
        payloads: list[TurnRequest[Any]],
        decided: dict[int, tuple[StoredConversation | None, Decision[Any]]],
        now: datetime,
    ) -> None:
        sql = self.sql
        changed = [
            (payloads[index].user.id, stored, decision.update)
            for index, (stored, decision) in decided.items()
            if decision.update is not None
        ]
        retiring = [stored.session_id for _, stored, u in changed if stored and u.restarted]
        if retiring:
            await connection.execute(sql.retire_sessions, {"session_ids": retiring})
        new = [(user, u) for user, stored, u in changed if stored is None or u.restarted]
        session_ids = await self._insert_sessions(connection, new, now) if new else {}
        existing = [(user, stored, u) for user, stored, u in changed if stored and not u.restarted]
        for user, stored, _ in existing:
            assert stored is not None
            session_ids[user] = stored.session_id
        if existing:
            await connection.execute(
                sql.update_sessions,
                [
                    {
                        "b_id": session_ids[user],
                        "b_snapshot": u.snapshot,
                        "b_version": u.content_version,
                        "b_step": u.step,
                        "b_top_factor": u.top_factor,
                        "b_track": u.track,
                        "b_now": now,
                        "b_completed": now if u.finished else None,
                    }
                    for user, _, u in existing
                ],
            )
        kept, removed = [], []
        for user, _, change in changed:
            if change.answer is None:
                continue
            session_id = session_ids[user]
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
            {"b_user": user, "b_subscribed": u.subscribed}
            for user, _, u in changed
            if u.subscribed is not None
        ]
        if preferences:
            await connection.execute(sql.set_subscribed, preferences)
        safety = [
            {"sent_at": now, "kinds": ",".join(u.safety_reply)}
            for _, _, u in changed
            if u.safety_reply
        ]
        if safety:
            await connection.execute(sql.count_safety_reply, safety)
        checkins = [
            {"b_id": session_ids[user], "b_due": u.checkin_due_at}
            for user, _, u in changed
            if u.checkin_due_at is not None
        ]
        if checkins:
            await connection.execute(sql.schedule_checkin, checkins)

    async def _insert_sessions(
        self,
        connection: AsyncConnection,
        new: list[tuple[int, ConversationUpdate]],
        now: datetime,
    ) -> dict[int, int]:
        rows = [
            {
                "user_id": user,
                "is_current": True,
                "started_at": now,
                "updated_at": now,
                "completed_at": now if u.finished else None,
                "snapshot": u.snapshot,
                "content_version": u.content_version,
                "step": u.step,
                "top_factor": u.top_factor,
                "track": u.track,
            }
            for user, u in new
        ]
        result = await connection.execute(self.sql.insert_sessions, rows)
        return {row[0]: row[1] for row in result.all()}


def stored_conversation(row: Any) -> StoredConversation:
    """A ``current_sessions`` row (a person and their current session) as plain data."""
    return StoredConversation(
        session_id=row.id,
        snapshot=dict(row.snapshot),
        content_version=row.content_version,
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        reminder_sent_at=row.reminder_sent_at,
        subscribed=bool(row.subscribed),
        keyboard_message_id=row.keyboard_message_id,
        language=row.language,
    )
