"""Start-up with 100,000 stored sessions: time to the first reply, and the bot's peak memory.

The database is filled the way a busy bot's would be: one person per session, every one
of them half-way through the conversation, with their answers and processed update ids.
The bot process is started against it, and one of those people sends /start at once (the
update waits in the stand-in until the bot first polls). The clock runs from launching the
process to that person's keyboard arriving, and the reply must be their resumed question
(so the session really was read). Then 200 other stored people come back at once, to
show that sessions are read on demand: peak memory (VmHWM) is read after all of them.

The baseline, in the same run: the same start-up on an empty database, where the first
person and then the same 200 people are new (they get the welcome). The ratios compare the
same moments of the two runs, the first reply and the peak once the 200 were answered, so
they show what the stored sessions cost (goal: under 2 s and 150 MB, whatever is stored).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.dialogue import CLOSER_TOKEN, LOOPBACK_POOL
from bench.processes import start_python, start_standin
from bench.report import merge, table
from dialogs import default_engine
from dialogs.events import Begin, Choose
from dialogs.snapshot import Snapshot
from standin.client import Person, StandInClient, message_text
from storage.columns import utc_now
from storage.database import Database
from storage.migrate import migrate
from storage.models import Answer, ConversationSession, ProcessedUpdate, User

SESSIONS = 100_000
FIRST_PERSON = 50_000_000
CHUNK = 5_000
RETURNING = 200
#: Answers given before the seeded people paused: past the context questions, into the factors.
ANSWERS_GIVEN = 6
REPLY_TIMEOUT = 30.0


def midway_snapshot() -> Snapshot:
    """A snapshot of someone who answered ``ANSWERS_GIVEN`` questions, made by the engine."""
    engine = default_engine()
    turn = engine.apply(None, Begin())
    while len(turn.snapshot.answers) < ANSWERS_GIVEN:
        button = turn.messages[-1].options[0]
        turn = engine.apply(turn.snapshot, Choose(button.id, button.seq))
    return turn.snapshot


def expected_reply(snapshot: Snapshot, name: str) -> str:
    """What the bot's keyboard message ends with when this person sends /start."""
    return default_engine().apply(snapshot, Begin(), name=name).messages[-1].text


async def seed(url: str, count: int, snapshot: Snapshot) -> None:
    """Migrates and fills the database with ``count`` people half-way through."""
    database = Database(url)
    await migrate(database)
    now = utc_now()
    document = snapshot.to_dict()
    for start in range(0, count, CHUNK):
        numbers = range(start, min(count, start + CHUNK))
        async with database.write() as session:
            await session.execute(
                insert(User),
                [
                    {
                        "id": FIRST_PERSON + n,
                        "first_name": "Reader",
                        "language": "en",
                        "created_at": now - timedelta(days=2),
                        "last_seen_at": now,
                        "subscribed": True,
                        "blocked": False,
                    }
                    for n in numbers
                ],
            )
            await session.execute(
                insert(ConversationSession),
                [
                    {
                        "id": n + 1,
                        "user_id": FIRST_PERSON + n,
                        "is_current": True,
                        "snapshot": document,
                        "content_version": snapshot.content_version,
                        "step": snapshot.state,
                        "started_at": now - timedelta(days=2),
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
            await session.execute(
                insert(Answer),
                [
                    {"session_id": n + 1, "step": step, "option": option, "answered_at": now}
                    for n in numbers
                    for step, option in snapshot.answers.items()
                ],
            )
            await session.execute(
                insert(ProcessedUpdate),
                [
                    # earlier than any the stand-in hands out (it starts at 1)
                    {"update_id": -(n * ANSWERS_GIVEN + k + 1), "processed_at": now}
                    for n in numbers
                    for k in range(ANSWERS_GIVEN)
                ],
            )
    await database.dispose()


async def first_reply(url: str, expected: str | None, returning: int) -> dict[str, Any]:
    """Starts the bot on ``url``'s database; times its first reply; brings people back."""
    standin, standin_url = await start_standin("standin-startup")
    env = {
        "TELEGRAM_BOT_TOKEN": CLOSER_TOKEN,
        "TELEGRAM_API_BASE_URL": standin_url,
        "DATABASE_URL": url,
        "TELEGRAM_POOL_SIZE": LOOPBACK_POOL,
        "LOG_LEVEL": "INFO",
        "TELEGRAM_MESSAGES_PER_SECOND": "0",  # the stand-in enforces no limits here
        "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "0",
    }
    try:
        async with StandInClient(standin_url) as client:
            await client.register_bot(CLOSER_TOKEN)
            first = client.conversation(Person(FIRST_PERSON, "Reader"))
            started = time.perf_counter()
            bot = await start_python("closer-startup", ["-m", "bot"], env)
            try:
                await first.send("/start")
                reply = await first.next_message(timeout=REPLY_TIMEOUT)
                while not reply.get("reply_markup"):
                    reply = await first.next_message(timeout=REPLY_TIMEOUT)
                seconds = time.perf_counter() - started
                if expected is not None and not message_text(reply).endswith(expected):
                    raise AssertionError(f"not the resumed question: {message_text(reply)!r}")
                rss_first = bot.peak_rss_mb()
                resumed = await _bring_back(client, returning, expected)
                return {
                    "seconds_to_first_reply": round(seconds, 3),
                    "peak_rss_mb_after_first_reply": round(rss_first, 1),
                    "people_back": resumed,
                    "people_asked_back": returning,
                    "peak_rss_mb": round(bot.peak_rss_mb(), 1),
                }
            finally:
                await bot.stop()
    finally:
        await standin.stop()


async def _bring_back(client: StandInClient, count: int, expected: str | None) -> int:
    """``count`` random people send /start at once; how many got their own resumed question
    back (``expected``; a fresh welcome, or nothing within the timeout, does not count), or
    on an empty database (``expected`` None) how many got the welcome's keyboard."""
    chosen = random.Random(3).sample(range(1, SESSIONS), count)

    async def one(n: int) -> bool:
        chat = client.conversation(Person(FIRST_PERSON + n, "Reader"))
        await chat.send("/start")
        try:
            while True:
                reply = await chat.next_message(timeout=REPLY_TIMEOUT)
                if reply.get("reply_markup"):
                    return expected is None or message_text(reply).endswith(expected)
        except TimeoutError:
            return False

    results = await asyncio.gather(*(one(n) for n in chosen))
    return sum(results)


async def run(quick: bool) -> dict[str, Any]:
    """Seeds both databases, then measures the empty one and the full one."""
    with tempfile.TemporaryDirectory(prefix="closer-bench-startup-") as folder:
        return await _measure_all(quick, Path(folder))


async def _measure_all(quick: bool, folder: Path) -> dict[str, Any]:
    snapshot = midway_snapshot()
    empty = f"sqlite+aiosqlite:///{folder / 'empty.db'}"
    full = f"sqlite+aiosqlite:///{folder / 'hundred-thousand.db'}"
    await seed(empty, 0, snapshot)
    seeding = time.perf_counter()
    await seed(full, SESSIONS, snapshot)
    seeded_in = time.perf_counter() - seeding
    returning = RETURNING // 4 if quick else RETURNING
    baseline = await first_reply(empty, None, returning)
    loaded = await first_reply(full, expected_reply(snapshot, "Reader"), returning)
    return {
        "sessions": SESSIONS,
        "seeded_in_seconds": round(seeded_in, 1),
        "database_mb": round((folder / "hundred-thousand.db").stat().st_size / 1e6, 1),
        "empty": baseline,
        "stored_100k": loaded,
        "seconds": loaded["seconds_to_first_reply"],
        "peak_rss_mb": loaded["peak_rss_mb"],
        "ratio_seconds_vs_empty": round(
            loaded["seconds_to_first_reply"] / baseline["seconds_to_first_reply"], 2
        ),
        # the same moment in both runs: once the same number of people were answered
        "ratio_rss_vs_empty": round(loaded["peak_rss_mb"] / baseline["peak_rss_mb"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Runs the start-up benchmark and records it under ``startup_100k`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.quick))
    merge("startup_100k", results)
    print(f"Start-up with {SESSIONS:,} stored sessions (bot in its own process):")
    rows = [
        ("empty database: first reply", f"{results['empty']['seconds_to_first_reply']} s"),
        ("empty database: peak memory", f"{results['empty']['peak_rss_mb']} MB"),
        ("100k sessions: first reply", f"{results['seconds']} s"),
        ("100k sessions: peak memory", f"{results['peak_rss_mb']} MB"),
        ("  people back after start", str(results["stored_100k"]["people_back"])),
        ("  ratio of times / of memory", f"{results['ratio_seconds_vs_empty']} / "
         f"{results['ratio_rss_vs_empty']}"),
    ]  # fmt: skip
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
