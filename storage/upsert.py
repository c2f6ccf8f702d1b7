"""``INSERT ... ON CONFLICT`` for whichever database is in use; both speak the same clause."""

from __future__ import annotations

from typing import Any


def insert_for(dialect_name: str, table: Any) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_*`` (each dialect is
    imported when first asked for, so a bot on SQLite never loads PostgreSQL's)."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect_name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise ValueError(f"no upsert for {dialect_name!r}")
