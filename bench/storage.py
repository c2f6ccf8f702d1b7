"""The cost of one stored event, as the bot performs it, on SQLite and PostgreSQL.

A stored event is everything the bot does in the database for a person's tap or message:
claim the update id (so a redelivered update is applied once), touch the user, load the
conversation, run the engine, write the snapshot, the answer and the calls that show the
turn (outbox rows), and commit, all in one transaction (``ConversationService.apply``
with an update id, as the handlers call it); and, as if Telegram confirmed every call at
once, the record of their delivery (deleting those rows), which rides in the next
transaction as it does in the bot.

Each figure comes with two baselines measured in the same run: the engine alone (the same
events, the same conversations, no database), and the cheapest possible write transaction
on the same database (one INSERT and a commit). The ratio to the bare commit says how much
the unit of work adds on top of what the database itself costs; the engine's share says
how little of an event is the dialogue itself.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.report import merge, table
from bot.conversation import ConversationService
from dialogs import default_engine
from dialogs.content_model import StepKind
from dialogs.engine import DialogueEngine
from dialogs.events import Begin, Choose, Event
from dialogs.snapshot import Snapshot
from storage.batches import BatchWriter
from storage.conversations import ConversationStore
from storage.database import Database
from storage.errors import StorageUnavailableError
from storage.migrate import migrate
from storage.outbox import Delivered, OutboxStore
from storage.presence import Presence
from storage.records import UserProfile

POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
)


#: Update ids, as Telegram numbers them: one counter for the whole run.
_update_ids = itertools.count(1)


def _answer(engine: DialogueEngine, snapshot: Snapshot, person: int) -> Choose:
    """The answer a benchmark person gives at their step (different people, different paths)."""
    step = engine.step(snapshot.state)
    option = step.options[person % len(step.options)]
    if option.action is not None:
        option = step.options[0]
    return Choose(option.id, snapshot.seq)


async def stored_events(service: ConversationService, users: int, first_id: int) -> list[int]:
    """Walks ``users`` people through the whole conversation, one stored event at a time."""
    timings: list[int] = []
    engine = service.engine
    for user_number in range(users):
        user = UserProfile(id=first_id + user_number, first_name="Bench")
        event: Event = Begin()
        while True:
            started = time.perf_counter_ns()
            turn = await service.apply(user, event, update_id=next(_update_ids))
            timings.append(time.perf_counter_ns() - started)
            if turn is None or engine.step(turn.snapshot.state).kind is StepKind.END:
                break
            event = _answer(engine, turn.snapshot, user_number)
    return timings


def engine_alone(engine: DialogueEngine, users: int) -> list[int]:
    """The same conversations through the engine alone: no database, no update ids."""
    timings: list[int] = []
    for user_number in range(users):
        snapshot: Snapshot | None = None
        event: Event = Begin()
        while True:
            started = time.perf_counter_ns()
            turn = engine.apply(snapshot, event, name="Bench")
            timings.append(time.perf_counter_ns() - started)
            snapshot = turn.snapshot
            if engine.step(snapshot.state).kind is StepKind.END:
                break
            event = _answer(engine, snapshot, user_number)
    return timings


async def concurrent_throughput(service: ConversationService, users: int, first_id: int) -> float:
    """Events per second with ``users`` people talking at once."""
    started = time.perf_counter()
    counts = await asyncio.gather(*(stored_events(service, 1, first_id + n) for n in range(users)))
    elapsed = time.perf_counter() - started
    return sum(len(c) for c in counts) / elapsed


async def bare_commits(database: Database, count: int) -> list[int]:
    """The floor: one tiny INSERT and a commit per transaction, through the same Database."""
    async with database.write() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER)"))
    timings: list[int] = []
    for number in range(count):
        started = time.perf_counter_ns()
        async with database.write() as session:
            await session.execute(text("INSERT INTO bench_floor (id) VALUES (:n)"), {"n": number})
        timings.append(time.perf_counter_ns() - started)
    return timings


async def measure(database: Database, users: int) -> dict[str, Any]:
    """All figures for one database."""
    await migrate(database)
    engine = default_engine()
    writer = BatchWriter(database)
    outbox = OutboxStore(database, writer, Presence(database, "bench"))
    outbox.listener = lambda rows: outbox.record(Delivered(ids=[row.id for row in rows]))
    service = ConversationService(engine, ConversationStore(database, writer, outbox))
    await stored_events(service, 5, 10_000_000)  # warm up pools and caches
    sequential = await stored_events(service, users, 20_000_000)
    alone = engine_alone(engine, users)
    floor = await bare_commits(database, 500)
    throughput = await concurrent_throughput(service, 50, 30_000_000)
    await writer.close()
    median_us = statistics.median(sequential) / 1000
    floor_us = statistics.median(floor) / 1000
    engine_us = statistics.median(alone) / 1000
    return {
        "events": len(sequential),
        "stored_event_median_us": round(median_us, 1),
        "stored_event_p95_us": round(sorted(sequential)[int(0.95 * len(sequential))] / 1000, 1),
        "engine_alone_median_us": round(engine_us, 1),
        "engine_share_of_stored_event": round(engine_us / median_us, 3),
        "bare_commit_median_us": round(floor_us, 1),
        "ratio_stored_event_over_bare_commit": round(median_us / floor_us, 2),
        "events_per_second_50_users_concurrent": round(throughput),
    }


async def run(users: int) -> dict[str, dict[str, Any] | str]:
    """SQLite in a temporary folder, and PostgreSQL in a throwaway schema if reachable."""
    results: dict[str, dict[str, Any] | str] = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            results["sqlite"] = await measure(sqlite, users)
        finally:
            await sqlite.dispose()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(POSTGRES_URL)
    try:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except (StorageUnavailableError, OSError) as error:
        results["postgresql"] = f"skipped: {error}"
        await admin.dispose()
        return results
    postgres = Database(POSTGRES_URL, schema=schema)
    try:
        figures = await measure(postgres, users)
        async with postgres.engine.connect() as connection:
            figures["server_version"] = str(await connection.scalar(text("SHOW server_version")))
        results["postgresql"] = figures
    finally:
        await postgres.dispose()
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    """Runs the storage benchmark and records it under ``storage`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args(argv)
    engine_alone = default_engine()
    results = asyncio.run(run(args.users))
    merge("storage", results)
    print(f"Stored events ({engine_alone.content.version}), per database:")
    for backend, figures in results.items():
        print(f" {backend}:")
        if isinstance(figures, str):
            print(f"  {figures}")
        else:
            print(table([(key, str(value)) for key, value in figures.items()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
