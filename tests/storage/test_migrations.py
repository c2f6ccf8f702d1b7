"""Migrations build exactly the schema the models describe, and come down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.columns import utc_now
from storage.migrate import current_revision, head_revision, migrate
from storage.models import Base
from storage.schema import HEAD_REVISION, ensure_schema, schema_revision
from tests.storage.conftest import Target

TABLES = {
    "users",
    "sessions",
    "answers",
    "processed_updates",
    "broadcasts",
    "broadcast_recipients",
    "inbox",
}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_an_empty_database_to_head_and_back_down(target: Target) -> None:
    database = target.open()
    try:
        assert await current_revision(database) is None
        await migrate(database)
        assert await current_revision(database) == head_revision()
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) >= TABLES
            assert await connection.run_sync(_drift) == [], "models and migrations disagree"
        await migrate(database, "base")
        assert await current_revision(database) is None
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
        await migrate(database)  # and up again, as a redeploy after a rollback would
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_migrating_twice_is_harmless(target: Target) -> None:
    database = target.open()
    try:
        await migrate(database)
        await migrate(database)
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


def test_the_start_up_check_knows_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION, "update storage/schema.py HEAD_REVISION"


async def test_start_up_migrates_only_a_database_behind_the_head(target: Target) -> None:
    database = target.open()
    try:
        assert await schema_revision(database) is None
        await ensure_schema(database)
        assert await schema_revision(database) == HEAD_REVISION
        await migrate(database, "0004")
        assert await schema_revision(database) == "0004"
        await ensure_schema(database)
        assert await schema_revision(database) == HEAD_REVISION
    finally:
        await database.dispose()


async def test_people_s_languages_become_ones_the_bot_speaks(target: Target) -> None:
    """0008: whatever Telegram sent last becomes the language the person is talked in."""
    database = target.open()
    try:
        await migrate(database, "0007")
        sent = {1: "ru-RU", 2: "es-419", 3: "pt-br", 4: None, 5: "ru", 6: "RUS", 7: "es_MX"}
        async with database.engine.begin() as connection:
            for user_id, language in sent.items():
                await connection.execute(
                    text(
                        "INSERT INTO users (id, first_name, language, created_at, last_seen_at,"
                        " subscribed, blocked) VALUES (:id, '', :language, :now, :now, true, false)"
                    ),
                    {"id": user_id, "language": language, "now": utc_now()},
                )
        await migrate(database)
        async with database.engine.connect() as connection:
            rows = await connection.execute(text("SELECT id, language FROM users ORDER BY id"))
            spoken = {int(row[0]): str(row[1]) for row in rows}
        assert spoken == {1: "ru", 2: "es", 3: "en", 4: "en", 5: "ru", 6: "en", 7: "es"}
    finally:
        await database.dispose()
