"""A locked, read-only, missing or unreachable database: a clear error, never a hang."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.database import Database, parse_database_url
from storage.errors import StorageUnavailableError
from storage.migrate import migrate
from storage.models import User
from storage.records import ConversationUpdate, Decision, StoredConversation, UserProfile
from tests.storage.conftest import Target, applied, conversation_store

SAM = UserProfile(id=7, first_name="Sam")
DEADLINE = 10.0  # far above the 0.3 s busy timeout: reaching it would mean a hang


def _touch(_stored: StoredConversation | None) -> Decision[str]:
    snapshot = {"state": "welcome", "content_version": "t"}
    update = ConversationUpdate(
        snapshot=snapshot, content_version="t", step="welcome", finished=False
    )
    return Decision(update, "stored")


async def test_a_database_locked_by_another_process_fails_clearly(target: Target) -> None:
    setup = target.open()
    await migrate(setup)
    await applied(conversation_store(setup), SAM, None, _touch)
    impatient = target.open(busy_timeout=0.3)
    try:
        if target.backend == "sqlite":
            holder = sqlite3.connect(target.url.split("///", 1)[1], isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                with pytest.raises(StorageUnavailableError, match="is locked by another process"):
                    await asyncio.wait_for(
                        applied(conversation_store(impatient), SAM, 1, _touch), DEADLINE
                    )
            finally:
                holder.rollback()
                holder.close()
        else:
            async with setup.write() as session:
                await session.execute(select(User).where(User.id == SAM.id).with_for_update())
                with pytest.raises(StorageUnavailableError, match="is locked by another process"):
                    await asyncio.wait_for(
                        applied(conversation_store(impatient), SAM, 1, _touch), DEADLINE
                    )
        # Once the lock is gone, the same event goes through: nothing was half-applied.
        assert await applied(conversation_store(impatient), SAM, 1, _touch) == "stored"
    finally:
        await impatient.dispose()
        await setup.dispose()


async def test_a_read_only_sqlite_database_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "closer.db"
    writable = Database(f"sqlite+aiosqlite:///{path}")
    await migrate(writable)
    await writable.dispose()
    read_only = Database(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(StorageUnavailableError, match="read-only"):
            await applied(conversation_store(read_only), SAM, 1, _touch)
    finally:
        await read_only.dispose()


async def test_an_unreachable_postgresql_fails_fast_with_the_address() -> None:
    database = Database("postgresql+asyncpg://closer:secret@127.0.0.1:1/closer", busy_timeout=0.5)
    try:
        with pytest.raises(StorageUnavailableError, match="cannot be reached") as caught:
            await asyncio.wait_for(applied(conversation_store(database), SAM, 1, _touch), DEADLINE)
        assert "127.0.0.1:1" in str(caught.value)
        assert "secret" not in str(caught.value), "passwords never reach a message"
    finally:
        await database.dispose()


def test_a_sqlite_file_whose_folder_cannot_exist_fails_clearly(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageUnavailableError, match="cannot create the folder"):
        Database(f"sqlite+aiosqlite:///{blocker}/closer.db")


async def test_a_sqlite_file_that_vanished_from_under_us_is_reported(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///file:{tmp_path}/gone.db?mode=rw&uri=true")
    try:
        with pytest.raises(StorageUnavailableError, match="cannot be opened"):
            await applied(conversation_store(database), SAM, 1, _touch)
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://root@localhost/closer", "uses 'mysql'"),
        ("sqlite:///data/closer.db", "uses 'sqlite'"),
        ("postgresql://x@y/z", "uses 'postgresql'"),
        ("sqlite+aiosqlite://", "needs a file path"),
        ("not a url", "is not a database URL"),
    ],
)
def test_bad_database_urls_are_named(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_database_url(url)
