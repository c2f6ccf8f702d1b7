"""Alembic environment: runs on a connection handed over by ``storage.migrate``.

Programs never call Alembic's command line; ``storage.migrate`` opens the async engine,
and passes a synchronous connection in ``config.attributes["connection"]`` (Alembic's
"connection sharing" recipe for asyncio), so migrations run inside the caller's event loop.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

config = context.config


def run_migrations(connection: Connection) -> None:
    """Runs the pending migrations on an open connection."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is limited
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `python -m storage.migrate`, not the alembic CLI")
    run_migrations(connection)


_main()
