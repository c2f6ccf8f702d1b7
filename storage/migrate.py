"""Applying Alembic migrations, at start-up or by hand.

python -m storage.migrate              # upgrade DATABASE_URL (or the default) to head
python -m storage.migrate --to 0001    # upgrade or downgrade to a revision
python -m storage.migrate --current    # print the revision the database is at
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.database import DEFAULT_DATABASE_URL, Database, translate_errors
from storage.errors import StorageUnavailableError

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def alembic_config() -> Config:
    """An Alembic configuration that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def migrate(database: Database, revision: str = "head") -> None:
    """Moves the database to ``revision`` (upgrading or downgrading as needed)."""
    async with translate_errors(database), database.engine.begin() as connection:
        await connection.run_sync(_move_to, revision)


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with translate_errors(database), database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _move_to(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(config)
    target = script.get_revision(revision) if revision not in ("head", "base") else None
    going_down = revision == "base" or (
        target is not None
        and current is not None
        and _is_ancestor(script, target.revision, current)
    )
    if going_down:
        log.info("downgrading database from %s to %s", current, revision)
        command.downgrade(config, revision)
    else:
        log.info("upgrading database from %s to %s", current, revision)
        command.upgrade(config, revision)


def _is_ancestor(script: ScriptDirectory, older: str, newer: str) -> bool:
    return older != newer and any(
        rev.revision == older for rev in script.iterate_revisions(newer, "base")
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: migrate DATABASE_URL and report where it ended up."""
    parser = argparse.ArgumentParser(description="Apply Closer's database migrations.")
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--to", default="head", help="revision to move to (default: head)")
    parser.add_argument("--current", action="store_true", help="only print the revision")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

    async def run() -> str | None:
        database = Database(args.url)
        try:
            if not args.current:
                await migrate(database, args.to)
            return await current_revision(database)
        finally:
            await database.dispose()

    try:
        revision = asyncio.run(run())
    except (StorageUnavailableError, ValueError) as error:
        print(f"migration failed: {error}", file=sys.stderr)
        return 1
    print(f"database at revision {revision or 'base (empty)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
