"""``INSERT ... ON CONFLICT`` for whichever database is in use; both speak the same clause."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect_name: str, table: Any) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_*``."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for {dialect_name!r}")
