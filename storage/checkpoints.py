"""SQLite checkpoints in the background, off the path of every commit.

In WAL mode, committed pages go to a log file and are copied back into the database by a
checkpoint. By default SQLite runs one inside whichever commit pushes the log past 1000
pages, with an fsync, so that one user's event waits for it: a latency spike. Here the
connections turn automatic checkpoints off, and a thread of our own runs a passive
checkpoint every second, which never blocks readers or the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

#: How often the log is copied back into the database.
INTERVAL_SECONDS = 1.0


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection, every second."""

    def __init__(self, path: Path, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0
        self._task: asyncio.Task[None] | None = None
        self._connection: sqlite3.Connection | None = None

    def start(self) -> None:
        """Starts the background loop (once), in the running event loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sqlite-checkpoints")

    async def stop(self) -> None:
        """Stops the loop after a last checkpoint."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            await asyncio.to_thread(self._checkpoint)
            self._connection.close()
            self._connection = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as error:  # the database may be locked or gone a while
                log.info("checkpoint skipped: %s", error)

    def _checkpoint(self) -> None:
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, timeout=1.0, check_same_thread=False)
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.checkpoints += 1
