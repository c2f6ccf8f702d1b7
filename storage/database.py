"""Connecting to the database, and the one place a unit of work begins and commits.

``DATABASE_URL`` picks the database. SQLite (the default, a file under ``./data/``) is
opened with WAL, a busy timeout and foreign keys on, and every write transaction starts
with ``BEGIN IMMEDIATE`` behind an in-process lock, so writers queue in order instead of
failing with "database is locked" halfway through. PostgreSQL (``postgresql+asyncpg://``)
uses the same code; there, row locks keep one user's events in order.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from storage.checkpoints import Checkpointer
from storage.errors import StorageUnavailableError, Unavailability

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/closer.db"
#: How long SQLite waits for another process's write lock, and PostgreSQL for a connection.
BUSY_TIMEOUT_SECONDS = 5.0
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


class Database:
    """An async engine plus the session factory every unit of work goes through."""

    def __init__(
        self,
        url: str | URL,
        *,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
        schema: str | None = None,
    ) -> None:
        """``schema`` (PostgreSQL only) puts every table in that schema, e.g. for tests."""
        self.url = parse_database_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.busy_timeout = busy_timeout
        self.schema = schema
        self._connect_args = _connect_args(self.url, busy_timeout, schema)
        self.engine = _create_engine(self.url, self._connect_args)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._reads = async_sessionmaker(
            self.engine.execution_options(closer_read_only=True), expire_on_commit=False
        )
        # SQLite has one writer at a time; queueing writers here, in order, is fairer and
        # faster than letting them spin on the file lock's busy handler.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        file = sqlite_file(self.url)
        self._checkpointer = Checkpointer(file) if file is not None else None

    def unpooled_engine(self) -> AsyncEngine:
        """An engine of connections outside the pool, with the pool's settings: for a
        connection held for the life of the process, or for one lock (``storage/presence.py``).
        The caller disposes of it."""
        return create_async_engine(self.url, poolclass=NullPool, connect_args=self._connect_args)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction on an ORM session: commits on success, rolls back on error.

        Database failures (locked, read-only, gone) surface as StorageUnavailableError.
        """
        async with (
            self._writer_turn(),
            translate_errors(self),
            self._sessions() as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction on a Core connection, for multi-row statements."""
        async with self._writer_turn(), translate_errors(self), self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        if self._checkpointer is not None:
            self._checkpointer.start()
        async with self._write_lock:
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (on SQLite a deferred one, which never blocks writers)."""
        async with translate_errors(self), self._reads() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Closes every pooled connection (after a last checkpoint, on SQLite)."""
        if self._checkpointer is not None:
            await self._checkpointer.stop()
        await self.engine.dispose()

    def describe(self) -> str:
        """The URL with any password hidden, for logs and error messages."""
        return self.url.render_as_string(hide_password=True)


def parse_database_url(url: str | URL) -> URL:
    """Parses and checks a database URL; raises ValueError naming what is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"DATABASE_URL is not a database URL: {error}") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        supported = " or ".join(f"{d}://..." for d in SUPPORTED_DRIVERS)
        raise ValueError(f"DATABASE_URL uses {parsed.drivername!r}; use {supported}")
    if parsed.get_backend_name() == "sqlite" and not parsed.database:
        raise ValueError(
            "DATABASE_URL for SQLite needs a file path, e.g. sqlite+aiosqlite:///data/closer.db"
        )
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None (memory, URI forms, other databases)."""
    database = url.database or ""
    if (
        url.get_backend_name() != "sqlite"
        or database in ("", ":memory:")
        or database.startswith("file:")
    ):
        return None
    return Path(database)


def _connect_args(url: URL, busy_timeout: float, schema: str | None) -> dict[str, Any]:
    """The driver's connection arguments (also for connections outside the pool)."""
    if url.get_backend_name() == "sqlite":
        if schema is not None:
            raise ValueError("schema is for PostgreSQL; SQLite keeps one schema per file")
        return {"timeout": busy_timeout}
    server_settings = {"lock_timeout": str(int(busy_timeout * 1000))}
    if schema is not None:
        server_settings["search_path"] = schema
    return {
        "timeout": busy_timeout,
        "command_timeout": 30,
        # A row lock held elsewhere fails after lock_timeout instead of hanging forever.
        "server_settings": server_settings,
    }


def _create_engine(url: URL, connect_args: dict[str, Any]) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, connect_args)
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=connect_args["timeout"],
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _create_sqlite_engine(url: URL, connect_args: dict[str, Any]) -> AsyncEngine:
    database = url.database or ""
    if database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageUnavailableError(
                f"cannot create the folder for the SQLite database {database!r}: {error.strerror}"
            ) from error
    engine = create_async_engine(url, connect_args=connect_args)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # SQLAlchemy, not the sqlite3 module, decides when transactions begin (see its
        # "sqlite_transactions" docs); the pragmas make the file safe to share and to crash.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(connect_args['timeout'] * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Checkpoints run in the background (storage/checkpoints.py), never inside a commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get("closer_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@asynccontextmanager
async def translate_errors(database: Database) -> AsyncIterator[None]:
    """Turns driver failures into StorageUnavailableError, saying what went wrong."""
    try:
        yield
    except (TimeoutError, DBAPIError, OSError) as error:
        found = _reason(database, error)
        if found is None:
            raise
        reason, kind = found
        log.error("database unavailable: %s", reason)
        raise StorageUnavailableError(reason, kind) from error


def _reason(database: Database, error: BaseException) -> tuple[str, Unavailability] | None:
    where = database.describe()
    original = getattr(error, "orig", None) or error
    text = str(original).lower()
    if "database is locked" in text or "lock timeout" in text:
        waited = f"waited {database.busy_timeout:g} s"
        return f"{where} is locked by another process ({waited}); try again when it is released", (
            Unavailability.LOCKED
        )
    if "readonly" in text or "read-only" in text or "read only" in text:
        return f"{where} is read-only; writes are refused until it is writable again", (
            Unavailability.READ_ONLY
        )
    if "unable to open database file" in text:
        return f"{where} cannot be opened (does its folder exist and is it writable?)", (
            Unavailability.UNREACHABLE
        )
    if "disk i/o error" in text or "disk is full" in text:
        return f"{where}: the disk failed or is full", Unavailability.FAILED
    if isinstance(error, OperationalError) and isinstance(original, sqlite3.OperationalError):
        return f"{where}: {original}", Unavailability.FAILED
    if isinstance(error, (OSError, TimeoutError)) or "connect" in text:
        return f"{where} cannot be reached ({type(original).__name__}: {original})", (
            Unavailability.UNREACHABLE
        )
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return f"{where}: the connection was lost", Unavailability.UNREACHABLE
    return None
