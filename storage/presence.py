"""Which processes are alive on this database, and which one of them leads.

Several ``python -m bot`` processes may share one PostgreSQL database (a rolling deploy
overlaps two; a standby waits beside a running one). PostgreSQL is their only coordinator:

- **Alive.** Each process registers a row in ``processes`` and holds a session advisory
  lock on its row's ``key`` for as long as it runs, on a connection of its own (its
  lifeline). A SIGKILL closes that connection and PostgreSQL drops the lock at once, so
  "alive" is one join against ``pg_locks``, with no heartbeat to tune and no lease to run
  out. What a dead process owned (inbox updates, outbox calls, a broadcast) is taken over.
- **Leader.** The process holding the leader lock (on the same connection) polls Telegram,
  registers the webhook and takes over what the dead left. The others try for it every
  ``CHECK_SECONDS``, so a new leader follows a dead one within that much.
- **Migrations** run under their own advisory lock (``migration_lock``): two processes
  starting together cannot both apply them.

SQLite is for one process: the first holds an exclusive lock on a file beside the
database, and a second one refuses to start with one line saying to use PostgreSQL.

If the lifeline breaks (the database restarted, a connection cut off), the process keeps
its role and reconnects every ``CHECK_SECONDS``; once back, it takes its key again (and
the leader lock, unless someone else led meanwhile, in which case it steps down).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO

from sqlalchemy import ColumnElement, String, delete, false, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute

from storage.columns import utc_now
from storage.database import Database, sqlite_file, translate_errors
from storage.models import Process

log = logging.getLogger(__name__)
#: An owner column (``outbox.owner``, ``inbox.owner``, ``broadcasts.owner``).
Owner = InstrumentedAttribute[str | None]

#: How often a standby tries for leadership and everyone checks their lifeline.
CHECK_SECONDS = 0.5

#: Live processes' tokens: those whose key is held as a session advisory lock in this
#: database (a bigint key shows as classid = high half, objid = low half, objsubid = 1).
_LIVE_TOKENS = (
    text(
        "SELECT p.token FROM processes p JOIN pg_locks l"
        " ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND ((l.classid::bigint << 32) | l.objid::bigint) = p.key"
    )
    .columns(token=String)
    .subquery("live")
)


class PresenceError(RuntimeError):
    """This process cannot join the database (SQLite already has its one process)."""


def advisory_key(name: str) -> int:
    """A positive 62-bit advisory lock key for a name (stable across processes)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


class Presence:
    """This process's place among the processes on one database."""

    def __init__(self, database: Database, token: str) -> None:
        self.database = database
        self.token = token
        self.key = secrets.randbits(62) or 1
        namespace = database.schema or "public"
        self._leader_key = advisory_key(f"closer:leader:{namespace}")
        #: Set while this process leads; cleared when it steps down.
        self.leading = asyncio.Event()
        self._engine: AsyncEngine | None = None
        self._lifeline: AsyncConnection | None = None
        self._lock_file: IO[str] | None = None
        self._holds_leader_lock = False  # on the current lifeline session
        #: Processes alive on the database at the last look, this one included.
        self.live = 1
        #: Called after a look that found the role or the number of processes changed
        #: (the bot shares Telegram's overall limit by them: ``bot/limits.py``).
        self.on_change: Callable[[], None] | None = None

    @property
    def shared(self) -> bool:
        """Whether other processes can be on this database (PostgreSQL)."""
        return not self.database.is_sqlite

    # ------------------------------------------------------------------ joining

    async def join(self) -> None:
        """Registers this process (PostgreSQL) or locks the SQLite file; raises
        ``PresenceError`` if SQLite already has its process."""
        if not self.shared:
            self._lock_sqlite()
            self._become_leader()
            return
        self._engine = self.database.unpooled_engine()
        async with self.database.write() as session:
            await session.execute(
                insert(Process).values(token=self.token, key=self.key, started_at=utc_now())
            )
        await self._connect()
        await self._look()

    def _lock_sqlite(self) -> None:
        file = sqlite_file(self.database.url)
        if file is None:  # in memory: nobody else can open it
            return
        path = Path(f"{file}.process-lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise PresenceError(
                f"another Closer process is running on {file}; SQLite takes one process "
                "at a time (use PostgreSQL in DATABASE_URL to run several)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    async def _connect(self) -> None:
        assert self._engine is not None
        connection = await self._engine.connect()
        try:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
            await connection.commit()
        except BaseException:
            await connection.close()
            raise
        self._lifeline = connection

    # ------------------------------------------------------------------ leading

    async def run(self, stop: asyncio.Event) -> None:
        """Keeps the lifeline and tries for leadership until ``stop`` is set."""
        if not self.shared:
            await stop.wait()
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_SECONDS)
            if stop.is_set():
                break
            try:
                if self._lifeline is None:
                    await self._connect()
                    log.warning("back on the database: this process is alive again")
                await self._look()
            except Exception as error:  # the connection broke: keep the role, reconnect
                await self._drop_lifeline()
                log.warning(
                    "lost the database connection that keeps this process alive (%s)", error
                )

    async def _look(self) -> None:
        """One look, on the lifeline: leadership (tried for unless held) and how many
        processes are alive (which also shows the lifeline is there)."""
        before = (self.leading.is_set(), self.live)
        await self._try_to_lead()
        assert self._lifeline is not None
        live = await self._lifeline.scalar(select(func.count()).select_from(_LIVE_TOKENS))
        await self._lifeline.commit()
        self.live = max(1, int(live or 0))
        if (self.leading.is_set(), self.live) != before and self.on_change is not None:
            self.on_change()

    async def _try_to_lead(self) -> None:
        assert self._lifeline is not None
        if self._holds_leader_lock:
            return
        held = await self._lifeline.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": self._leader_key}
        )
        await self._lifeline.commit()
        if held:
            self._holds_leader_lock = True
            if not self.leading.is_set():
                self._become_leader()
        elif self.leading.is_set():
            # This process lost its lifeline for a while and another took over meanwhile.
            self.leading.clear()
            log.warning("another process leads now; this one stands by")

    def _become_leader(self) -> None:
        self.leading.set()
        log.info("this process leads (polls Telegram and takes over what the dead left)")

    async def _drop_lifeline(self) -> None:
        connection, self._lifeline = self._lifeline, None
        self._holds_leader_lock = False  # the lock went with the session
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    async def leave(self) -> None:
        """On stop: gives up leadership and the lifeline and unregisters (best effort)."""
        self.leading.clear()
        if self._lock_file is not None:
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None
        if not self.shared:
            return
        await self._drop_lifeline()
        with contextlib.suppress(Exception):
            async with self.database.write() as session:
                await session.execute(delete(Process).where(Process.token == self.token))
        if self._engine is not None:
            await self._engine.dispose()

    # ------------------------------------------------------------------ who is alive

    def orphaned(self, owner: Owner) -> ColumnElement[bool]:
        """A condition on an owner column: the owner is gone (or there never was one).
        On SQLite, where this process is the only one, anything not its own."""
        if not self.shared:
            return or_(owner.is_(None), owner != self.token)
        # Never this process's own rows, even while its lifeline is down and it does not
        # show among the living: they are in its hands (taking them "over" from itself
        # sent calls already delivered, whose records were waiting, a second time).
        return or_(
            owner.is_(None),
            (owner != self.token) & owner.not_in(select(_LIVE_TOKENS.c.token)),
        )

    def elsewhere(self, owner: Owner) -> ColumnElement[bool]:
        """A condition on an owner column: another live process holds it."""
        if not self.shared:
            return false()  # nobody else is here
        return (owner != self.token) & owner.in_(select(_LIVE_TOKENS.c.token))


@contextlib.asynccontextmanager
async def migration_lock(database: Database) -> AsyncIterator[None]:
    """Holds the migration lock (PostgreSQL) while the schema is checked and brought up to
    date, so two processes starting together take turns; on SQLite the one process has
    the file already."""
    if database.is_sqlite:
        yield
        return
    key = advisory_key(f"closer:migrate:{database.schema or 'public'}")
    engine = database.unpooled_engine()
    try:
        async with translate_errors(database), engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await connection.commit()
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await connection.commit()
    finally:
        await engine.dispose()
