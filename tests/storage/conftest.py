"""Storage fixtures: every test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text

from storage.batches import BatchWriter
from storage.conversations import ConversationStore
from storage.database import Database
from storage.migrate import migrate
from storage.outbox import OutboxStore
from storage.presence import Presence
from storage.records import UserProfile
from storage.turns import Decide

ResultT = TypeVar("ResultT")

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
NO_POSTGRES = (
    "TEST_DATABASE_URL is not set, so the PostgreSQL storage tests are skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
)


@dataclass(frozen=True)
class Target:
    """Where a test's database lives, so a test can open more connections to it."""

    backend: str
    url: str
    schema: str | None

    def open(self, **kwargs: float) -> Database:
        """A new Database on the same place (as a second process would have)."""
        return Database(self.url, schema=self.schema, **kwargs)


@pytest.fixture(params=["sqlite", "postgresql"])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'closer.db'}", None)
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = Database(POSTGRES_URL)
    try:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Target("postgresql", POSTGRES_URL, schema)
    finally:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def database(target: Target) -> AsyncIterator[Database]:
    """A migrated, empty database."""
    database = target.open()
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()


def conversation_store(database: Database, owner: str = "test") -> ConversationStore:
    """A conversation store as the bot builds one: its own batch writer and outbox (whose
    rows nobody delivers here), owned by a process named ``owner`` that has not joined
    the database (so on PostgreSQL its rows count as a dead process's)."""
    writer = BatchWriter(database)
    presence = Presence(database, owner)
    return ConversationStore(database, writer, OutboxStore(database, writer, presence))


async def applied(
    store: ConversationStore,
    user: UserProfile,
    update_id: int | None,
    decide: Decide[ResultT],
) -> ResultT | None:
    """What ``decide`` returned for a committed event; None when the update was applied
    before."""
    result = await store.apply(user, update_id, decide)
    return result.result if result is not None else None
