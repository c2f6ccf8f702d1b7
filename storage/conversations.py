"""Stored conversations: a person's event applied and committed, and their current state read.

The caller passes a decide-function (in the bot, the dialogue engine and the calls that show
its turn). It receives the person's current conversation and returns what changed; the
change, the answer row, the processed update id and the calls commit in one transaction, or
none of them do (``storage/turns.py`` writes them, ``storage/batches.py`` batches them with
everyone else's). A redelivered update id is recognised before anything is decided, so it
is applied once. One person's events commit one at a time, in the order they came.
"""

from __future__ import annotations

from typing import Any, TypeVar

from storage.batches import BatchWriter
from storage.database import Database
from storage.outbox import OutboxStore
from storage.records import StoredConversation, UserProfile
from storage.turns import Decide, TurnRequest, TurnResult, Turns, stored_conversation

ResultT = TypeVar("ResultT")


class ConversationStore:
    """Every person's event goes through here; so does reading where they are."""

    def __init__(self, database: Database, writer: BatchWriter, outbox: OutboxStore) -> None:
        self.database = database
        self.writer = writer
        self.turns = Turns(database.url.get_backend_name(), outbox)

    async def apply(
        self, user: UserProfile, update_id: int | None, decide: Decide[ResultT]
    ) -> TurnResult[ResultT] | None:
        """Runs ``decide`` on the person's conversation and commits what it returns, with
        its calls; None when ``update_id`` was applied before. Raises
        StorageUnavailableError (nothing stored) when the database cannot take it."""
        result: TurnResult[ResultT] | None = await self.writer.submit(
            self.turns, TurnRequest(user, update_id, decide), key=user.id
        )
        return result

    async def load(self, user_id: int) -> StoredConversation | None:
        """The person's current conversation, or None if they never started one."""
        async with self.database.read() as session:
            connection = await session.connection()
            rows = await connection.execute(
                self.turns.sql.current_sessions, {"user_ids": [user_id]}
            )
            row = rows.one_or_none()
            return stored_conversation(row) if row is not None and row.id is not None else None

    @property
    def events_committed(self) -> int:
        """People's events committed so far (for the log at shutdown)."""
        return self.turns.events_committed

    @property
    def users_in_flight(self) -> frozenset[Any]:
        """People whose event is being committed right now."""
        return self.writer.keys_in_flight
