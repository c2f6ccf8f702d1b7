"""Whether the database has the schema this code expects, without loading Alembic.

Alembic (and the migration scripts) cost about 12 MB of memory and a few hundred
milliseconds to import, every start. Nearly every start finds the database already at the
newest revision, so the revision is read with one query, and Alembic is imported only when
there is something to migrate (``storage/migrate.py``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.database import Database, translate_errors
from storage.errors import StorageUnavailableError
from storage.presence import migration_lock

log = logging.getLogger(__name__)

#: The newest migration under ``storage/migrations/versions`` (a test checks it is Alembic's
#: head, so adding a migration without updating this fails ``make test``).
HEAD_REVISION = "0008"


async def schema_revision(database: Database) -> str | None:
    """The revision the database is at; None for a database Alembic never touched."""
    async with translate_errors(database), database.engine.connect() as connection:
        try:
            found = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError as error:
            if "alembic_version" not in str(error.orig).lower():
                raise
            return None  # no such table: a new, empty database
        return str(found) if found is not None else None


async def ensure_schema(database: Database) -> None:
    """Brings the database to ``HEAD_REVISION``, importing Alembic only if it must.

    Migrating happens under a lock (``storage/presence.py``), so of two processes starting
    together one migrates and the other finds it done. A database at a revision this code
    does not know (a newer release migrated it) is refused with one line: running on a
    schema it was not written for would corrupt it quietly."""
    if await schema_revision(database) == HEAD_REVISION:
        return
    async with migration_lock(database):
        found = await schema_revision(database)
        if found == HEAD_REVISION:
            return  # another process migrated it while this one waited
        if found is not None and found not in _known_revisions():
            raise StorageUnavailableError(
                f"the database is at schema revision {found}, newer than this release's "
                f"{HEAD_REVISION}; run the release that migrated it (or move it back with "
                "that release's `make migrate`)"
            )
        from storage.migrate import migrate  # Alembic, only now (see the module docstring)

        await migrate(database)


def _known_revisions() -> set[str]:
    """Every revision this code has a migration for (the files are named after them); read
    only when the database is not at head, so a normal start lists no folder."""
    folder = Path(__file__).parent / "migrations" / "versions"
    return {path.name.split("_", 1)[0] for path in folder.glob("0*.py")}
