"""Whether the database has the schema this code expects, without loading Alembic.

Alembic (and the migration scripts) cost about 12 MB of memory and a few hundred
milliseconds to import, every start. Nearly every start finds the database already at the
newest revision, so the revision is read with one query, and Alembic is imported only when
there is something to migrate (``storage/migrate.py``).
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage.database import Database, translate_errors

log = logging.getLogger(__name__)

#: The newest migration under ``storage/migrations/versions`` (a test checks it is Alembic's
#: head, so adding a migration without updating this fails ``make test``).
HEAD_REVISION = "0006"


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
    """Brings the database to ``HEAD_REVISION``, importing Alembic only if it must."""
    if await schema_revision(database) == HEAD_REVISION:
        return
    from storage.migrate import migrate  # Alembic, only now (see the module docstring)

    await migrate(database)
