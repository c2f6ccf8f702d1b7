"""The fault drills: the real bot, in its own process, against the stand-in, made to fail.

Each drill starts a stand-in process and the bot (``python -m bot``) on a fresh SQLite
file, does its damage while simulated people talk to the bot, stops the bot cleanly, and
reads the database back (``chaos.audit``). Figures come from three places that cannot
flatter each other: what people saw (``chaos.people``), what the stand-in counted, and
what the bot logged.

- kills: SIGKILL at random moments while people are mid-way, restarting each time;
- faults: the Bot API fails a share of calls (5xx, dropped connections, timeouts, some
  after the call took effect) and answers slowly;
- fuzz: thousands of generated updates, well-formed and not (``chaos.fuzz``);
- database: the database is locked by another process for a while, then released.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import insert, make_url

from bench.dialogue import CLOSER_TOKEN
from bench.load import run_dialogue
from bench.processes import Measured, start_python, start_standin
from chaos import fuzz
from chaos.audit import audit
from chaos.people import PATIENCE, Crowd, crowd
from standin.client import Person, StandInClient, button_labels
from standin.limits import SENDING_METHODS
from storage.broadcasts import BroadcastStore
from storage.columns import utc_now
from storage.database import Database
from storage.migrate import migrate
from storage.models import User

#: Log lines that mean something went unhandled: any of them fails a drill.
UNHANDLED = re.compile(r"Traceback|unhandled|No error handlers are registered|CRITICAL")
#: Another process that takes SQLite's write lock, says so, and holds it for argv[2] s.
LOCKER = (
    "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
    "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(float(sys.argv[2]))"
)
#: A message send tried again after an error that may have hidden its success: by the
#: sender (a retry) or, once the sender gave up, by the outbox (the next try).
MAY_DOUBLE = re.compile(
    r"sendMessage to chat \d+ (?:failed .* may arrive twice|not delivered .* trying again)"
)
#: A new process delivering calls an earlier one committed and did not confirm.
LEFT_OVER = re.compile(r"handling (\d+) updates a process that is gone had taken")
TAKEN_OVER = re.compile(r"delivering (\d+) calls committed by a process that is gone")
#: The pool the drills' bot runs with (TELEGRAM_POOL_SIZE's default).
POOL = 16
#: What one SIGKILL can double at most: the messages in flight or confirmed and not yet
#: recorded, which bot/delivery.py keeps within a window of four times the pool.
IN_FLIGHT_BOUND = 4 * POOL


@dataclass
class Rig:
    """A stand-in, a client for its user side, and the bot process (restartable)."""

    name: str
    standin: Measured
    url: str
    client: StandInClient
    database_url: str
    bot: Measured | None = None
    starts: int = 0
    log_files: list[Path] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)  # wall-clock times of the SIGKILLs
    env: dict[str, str] = field(default_factory=dict)  # settings of this drill's own

    def bot_env(self) -> dict[str, str]:
        """The environment of this drill's bot processes."""
        return {
            "TELEGRAM_BOT_TOKEN": CLOSER_TOKEN,
            "TELEGRAM_API_BASE_URL": self.url,
            "DATABASE_URL": self.database_url,
            # The shipped connection pool, not the benchmark's loopback-sized one: the faults
            # drill gives calls the latency and timeouts of a real network, where a hung
            # call holds its connection for the read timeout.
            "TELEGRAM_POOL_SIZE": str(POOL),
            # The stand-in enforces no limits in these drills (people act faster than
            # anyone reads); the limits drill keeps them.
            "TELEGRAM_MESSAGES_PER_SECOND": "0",
            "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "0",
            "LOG_LEVEL": "INFO",
            "ADMIN_IDS": "",
            **self.env,
        }

    async def start_bot(self) -> None:
        """Starts the bot and waits until it polls."""
        env = self.bot_env()
        self.starts += 1
        polls_before = (await self.stats()).get("calls_getUpdates", 0)
        name = f"chaos-{self.name}-{os.getpid()}-bot-{self.starts}"
        self.bot = await start_python(name, ["-m", "bot"], env)
        self.log_files.append(Path(tempfile.gettempdir()) / f"closer-bench-{name}.log")
        await self._wait_polling(polls_before)

    async def kill_bot(self) -> None:
        """SIGKILL: no goodbye, no flush, no confirmation to Telegram."""
        assert self.bot is not None
        self.bot.process.send_signal(signal.SIGKILL)
        await self.bot.process.wait()
        self.kills.append(time.time())

    async def stop_bot(self) -> None:
        """SIGTERM: the bot finishes what it holds, cleans its inbox and stops."""
        if self.bot is not None and self.bot.process.returncode is None:
            self.bot.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.bot.process.wait(), 40)
            except TimeoutError:
                self.bot.process.kill()
                await self.bot.process.wait()
                raise RuntimeError("the bot did not stop within 40 s of SIGTERM") from None

    @property
    def bot_alive(self) -> bool:
        """True while the bot process runs."""
        return self.bot is not None and self.bot.process.returncode is None

    def bot_log(self) -> str:
        """Everything every bot process of this drill logged."""
        return "\n".join(path.read_text(errors="replace") for path in self.log_files)

    async def stats(self) -> dict[str, Any]:
        """The stand-in's counters."""
        return dict(await self.client.stats())

    async def _wait_polling(self, polls_before: int) -> None:
        """Until the new process asks for updates (busy or idle, that is when it is up)."""
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as session:
            while True:
                async with session.get(f"{self.url}/_standin/stats") as reply:
                    if (await reply.json())["stats"].get("calls_getUpdates", 0) > polls_before:
                        return
                if not self.bot_alive or time.monotonic() > deadline:
                    raise RuntimeError(f"the bot did not start; see {self.log_files[-1]}")
                await asyncio.sleep(0.05)


@asynccontextmanager
async def rig(name: str) -> AsyncIterator[Rig]:
    """A fresh stand-in and database; the bot is started by the drill."""
    folder = Path(tempfile.mkdtemp(prefix=f"closer-chaos-{name}-"))
    standin, url = await start_standin(f"chaos-standin-{name}")
    client = StandInClient(url)
    await client.__aenter__()
    drill: Rig | None = None
    try:
        await client.register_bot(CLOSER_TOKEN)
        drill = Rig(name, standin, url, client, f"sqlite+aiosqlite:///{folder / 'closer.db'}")
        yield drill
    finally:
        if drill is not None and drill.bot_alive:  # a drill that failed half-way
            assert drill.bot is not None
            drill.bot.process.kill()
            await drill.bot.process.wait()
        await client.close()
        await standin.stop()


async def _doubled(client: StandInClient, walks: Crowd) -> list[float]:
    """When each question that came twice came the second time: a message with buttons
    that reads the same (text and button labels) as the one just before it in the chat. A
    retried send that had in fact arrived looks like that, and so does a call delivered
    again after a crash. (A question shown again on /start reads differently: it says
    where the person was.)"""
    seconds: list[float] = []
    for walk in walks.walks:
        events, _ = await client.events(walk.person, 0, kinds=("message",))
        questions = [
            ((e["message"].get("text"), tuple(button_labels(e["message"]))), float(e["at"]))
            for e in events
            if button_labels(e["message"])
        ]
        seconds += [b[1] for a, b in itertools.pairwise(questions) if a[0] == b[0]]
    return seconds


def per_kill(doubles: list[float], kills: list[float]) -> list[int]:
    """Doubles after each kill (a double belongs to the last kill before its second copy);
    doubles before the first kill are counted under none (there should be none)."""
    counts = [0] * len(kills)
    for moment in doubles:
        earlier = [index for index, kill in enumerate(kills) if kill <= moment]
        if earlier:
            counts[earlier[-1]] += 1
    return counts


def _people_figures(walks: Crowd) -> dict[str, Any]:
    errors = [walk.error for walk in walks.walks if walk.error]
    return {
        "people": len(walks.walks),
        "finished": walks.finished,
        "acts": walks.acts,
        "replies_lost_then_asked_again": walks.unanswered,
        "refused_taps": sum(walk.refused_taps for walk in walks.walks),
        "gave_up": len(errors),
        "first_errors": errors[:5],
    }


async def _finish(drill: Rig, walks: Crowd, first: int, people: int) -> dict[str, Any]:
    """Stops the bot cleanly, reads everything back, and puts the figures together."""
    await drill.stop_bot()
    log = drill.bot_log()
    checked = await audit(drill.database_url, range(first, first + people))
    doubles = await _doubled(drill.client, walks)
    return {
        **_people_figures(walks),
        "doubled": len(doubles),
        "doubled_per_kill": per_kill(doubles, drill.kills),
        "send_retries_that_may_double": len(MAY_DOUBLE.findall(log)),
        "calls_taken_over": sum(int(n) for n in TAKEN_OVER.findall(log)),
        "unhandled_in_log": len(UNHANDLED.findall(log)),
        "audit": checked.to_json(),
    }


async def kills(
    people: int, kill_count: int, seed: int, patience: float = PATIENCE
) -> dict[str, Any]:
    """SIGKILL the bot ``kill_count`` times while ``people`` are mid-way; restart each time."""
    rng = random.Random(seed)
    first = 20_000_000
    async with rig("kills") as drill:
        await drill.start_bot()
        walking = asyncio.create_task(
            crowd(drill.client, first, people, seed, pace=0.25, patience=patience)
        )
        mid_way = 0
        for _ in range(kill_count):
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            await drill.kill_bot()
            mid_way += not walking.done()
            await drill.start_bot()
        walks = await walking
        figures = await _finish(drill, walks, first, people)
        log = drill.bot_log()
    return {
        "kills": kill_count,
        "kills_while_people_were_mid_way": mid_way,
        "in_flight_bound": IN_FLIGHT_BOUND,
        "restarts": drill.starts - 1,
        "left_over_updates_handled": sum(
            int(n)
            for n in re.findall(r"handling (\d+) updates a process that is gone had taken", log)
        ),
        **figures,
    }


async def faults(
    people: int, rate: float, seed: int, patience: float = 30.0, quick: bool = False
) -> dict[str, Any]:
    """A Bot API that fails ``rate`` of calls in every way, and answers slowly. Each
    timeout costs the bot its 5 s read timeout, so ``quick`` leaves timeouts out."""
    first = 21_000_000
    async with rig("faults") as drill:
        await drill.start_bot()
        await drill.client.control(
            latency_ms=5,
            jitter_ms=20,
            faults={
                "rate": rate,
                "kinds": ["5xx", "drop"] if quick else ["5xx", "drop", "timeout"],
                "after_effect_share": 0.5,
                "timeout_seconds": 12,  # beyond the bot's 5 s read timeout
                "seed": seed,
            },
        )
        walks = await crowd(drill.client, first, people, seed, pace=0.1, patience=patience)
        stats = await drill.stats()
        await drill.client.control()
        figures = await _finish(drill, walks, first, people)
    injected = {k.removeprefix("fault_"): v for k, v in stats.items() if k.startswith("fault_")}
    return {"fault_rate": rate, "faults_injected": injected, **figures}


async def fuzzing(count: int, seed: int) -> dict[str, Any]:
    """``count`` generated updates; then a person must still be able to talk to the bot."""
    rng = random.Random(seed)
    people = list(range(22_000_000, 22_000_000 + count))  # most owed answers: a chat each
    batch = fuzz.generate(rng, count, people)
    async with rig("fuzz") as drill:
        await drill.start_bot()
        await asyncio.gather(*(drill.client.inject(item.update) for item in batch))
        deadline = time.monotonic() + 120
        # A last, ordinary person, behind every fuzzed update: they must still get an answer.
        sentinel = drill.client.conversation(Person(22_999_999, "Last"))
        await sentinel.send("/start")
        answered_sentinel = True
        try:
            await sentinel.wait_until(
                lambda c: any(button_labels(m) for m in c.bot_messages.values()), 60, "a reply"
            )
        except TimeoutError:
            answered_sentinel = False
        owed = {item.answer_chat for item in batch if item.answer_chat is not None}
        unanswered = 0
        for chat_id in sorted(owed):
            events, _ = await drill.client.events(
                chat_id,
                0,
                wait_for=1,
                timeout=max(0.1, deadline - time.monotonic()),
                kinds=("message",),
            )
            unanswered += not events
        alive = drill.bot_alive
        answered_ids = {
            str(call["params"].get("callback_query_id"))
            for call in await drill.client.log(limit=1_000_000)
            if call["method"] == "answerCallbackQuery" and call["status"] == 200
        }
        forged_ids = [
            str(item.update["callback_query"]["id"])
            for item in batch
            if item.kind == "callback_forged"
        ]
        await drill.stop_bot()
        log = drill.bot_log()
    kinds: dict[str, int] = {}
    for item in batch:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return {
        "updates_fuzzed": count,
        "by_kind": kinds,
        "bot_stayed_up": alive,
        "chats_owed_an_answer": len(owed),
        "chats_left_unanswered": unanswered,
        "ordinary_person_answered_afterwards": answered_sentinel,
        "forged_taps": len(forged_ids),
        "forged_taps_answered": sum(1 for i in forged_ids if i in answered_ids),
        "unhandled_in_log": len(UNHANDLED.findall(log)),
        "first_unhandled": UNHANDLED.findall(log)[:3],
    }


#: How long the outage drill holds SQLite's write lock. A write waits out the 5 s busy
#: timeout before it fails, and the first write to wait may be the inbox rows of a poll
#: (which tell nobody) rather than people's answers; those answers wait behind it and start
#: 5 s later. Held over twice the timeout, they fail too, so someone is always told to
#: try again; at 7 s whether anyone was told was a coin toss between the two.
OUTAGE_SECONDS = 12


async def database_outage(people: int, seconds: float, seed: int) -> dict[str, Any]:
    """Another process holds SQLite's write lock for ``seconds`` (longer than the bot's
    busy timeout, so writes fail) while people talk; then lets go."""
    first = 23_000_000
    async with rig("database") as drill:
        await drill.start_bot()
        path = drill.database_url.removeprefix("sqlite+aiosqlite:///")
        walking = asyncio.create_task(
            crowd(drill.client, first, people, seed, pace=0.3, patience=seconds + 15)
        )
        await asyncio.sleep(1.0)
        locker = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOCKER, path, str(seconds), stdout=asyncio.subprocess.PIPE
        )
        assert locker.stdout is not None
        await locker.stdout.readline()
        await locker.wait()
        walks = await walking
        told = await _told_to_try_again(drill.client, first, people)
        figures = await _finish(drill, walks, first, people)
    return {"outage_seconds": seconds, "people_told_to_try_again": told, **figures}


async def read_only_database(
    postgres_url: str, people: int, seconds: float, seed: int
) -> dict[str, Any]:
    """PostgreSQL turned read-only for ``seconds`` (new sessions refuse writes, and every
    existing one is cut off, so the bot's pool reconnects into read-only ones)."""
    first = 24_000_000
    async with throwaway_database(postgres_url, "chaos") as (url, connection):
        name = make_url(url).database
        assert name is not None
        async with rig("readonly") as drill:
            drill.database_url = url
            await drill.start_bot()
            walking = asyncio.create_task(
                crowd(drill.client, first, people, seed, pace=0.3, patience=seconds + 15)
            )
            await asyncio.sleep(1.0)
            await connection.execute(
                f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
            )
            await _cut_off(connection, name)
            await asyncio.sleep(seconds)
            await connection.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await _cut_off(connection, name)
            walks = await walking
            told = await _told_to_try_again(drill.client, first, people)
            figures = await _finish(drill, walks, first, people)
    return {"read_only_seconds": seconds, "people_told_to_try_again": told, **figures}


@dataclass(frozen=True)
class LimitPlan:
    """Telegram's limits as the limits drill sets them, at the stand-in and in the bot.

    The bot keeps a little under what "Telegram" enforces (its clock and the stand-in's
    are a network hop apart, which can bunch messages up); people act at a human pace; the
    broadcast is allowed the whole overall budget, so it only leaves room for replies if
    replies come first."""

    overall: float
    overall_burst: float = 3.0
    per_chat: float = 1.0
    chat_burst: int = 6
    pace: float = 3.0

    def bot_env(self) -> dict[str, str]:
        """The bot's settings: its own limits a tenth under the stand-in's overall one."""
        kept = self.overall * 0.9
        return {
            "TELEGRAM_MESSAGES_PER_SECOND": f"{kept:g}",
            "BROADCAST_RATE": f"{kept:g}",
            "TELEGRAM_CHAT_MESSAGES_PER_SECOND": f"{self.per_chat:g}",
            "TELEGRAM_CHAT_BURST": str(self.chat_burst),
            "ADMIN_IDS": str(ADMIN_ID),
        }

    def controls(self) -> dict[str, Any]:
        """The stand-in's limits (429 beyond them, as Telegram), with a little more burst
        than the bot keeps to: a message or three more, for the network hop that can bunch
        the bot's evenly spaced messages up on the way."""
        return {
            "global_rate": self.overall,
            "global_burst": self.overall_burst + 3,
            "per_chat_rate": self.per_chat,
            "per_chat_burst": self.chat_burst + 1,
        }


#: Telegram's own default for the reduced drill; for 200 people at a human pace (about a
#: hundred messages a second), a budget like paid broadcasts' (up to 1000 a second).
REDUCED_LIMITS = LimitPlan(overall=30, pace=1.0)
FULL_LIMITS = LimitPlan(overall=120, pace=3.0)
ADMIN_ID = 25_999_999
LOAD_FIGURES = ("events", "failures", "p50_ms", "p99_ms")


async def limits(people: int, audience: int, plan: LimitPlan, seed: int) -> dict[str, Any]:
    """People at a human pace with and without a broadcast to ``audience`` at the same time,
    on a stand-in that enforces Telegram's limits: from the stand-in's log, no second over
    the overall limit (plus its burst), no chat over its own, and people's median reply
    latency beside the same load without the broadcast."""
    quiet = await _paced(people, 0, plan, seed)
    busy = await _paced(people, audience, plan, seed)
    return {
        "people": people,
        "audience": audience,
        "overall_limit": plan.overall,
        "overall_burst": plan.overall_burst,
        "chat_limit": plan.per_chat,
        "chat_burst": plan.chat_burst,
        "without_broadcast": quiet,
        "with_broadcast": busy,
        "median_ratio": round(busy["p50_ms"] / quiet["p50_ms"], 2) if quiet["p50_ms"] else None,
    }


async def _paced(people: int, audience: int, plan: LimitPlan, seed: int) -> dict[str, Any]:
    """One load (with a broadcast running when ``audience``), and what the stand-in saw."""
    first, audience_first = 25_000_000, 26_000_000
    async with rig("limits") as drill:
        drill.env = plan.bot_env()
        await drill.client.control(**plan.controls())
        bot = await drill.client.register_bot(CLOSER_TOKEN)
        if audience:
            await drill.client.bulk_people(audience_first, audience)
            message = await drill.client.send(Person(ADMIN_ID, "Admin"), "News for everyone")
            await _seed_broadcast(
                drill.database_url, range(audience_first, audience_first + audience), message
            )
        await drill.start_bot()  # resumes the broadcast at once
        started = time.time()
        result = await run_dialogue(drill.url, int(bot["id"]), people, first, plan.pace, seed)
        ended = time.time()
        calls = await drill.client.log(limit=1_000_000)
        stats = await drill.stats()
        await drill.stop_bot()
        log = drill.bot_log()
    sent = sorted(
        (float(c["time"]), int(c["params"].get("chat_id", 0)), c["method"])
        for c in calls
        if c["method"] in SENDING_METHODS and c["status"] == 200 and started <= c["time"] <= ended
    )
    return {
        **{
            k: v
            for k, v in result.summary().items()
            if k in ("events", "failures", "p50_ms", "p99_ms")
        },
        "messages": len(sent),
        "broadcast_messages": sum(1 for _, _, method in sent if method == "copyMessage"),
        "busiest_second": _busiest_second([moment for moment, _, _ in sent]),
        "chats_over_their_limit": _chats_over(sent, plan),
        "answered_429": int(stats.get("rate_limited", 0)),
        "unhandled_in_log": len(UNHANDLED.findall(log)),
    }


async def _seed_broadcast(database_url: str, audience: range, source: dict[str, Any]) -> None:
    """The audience as subscribers, and a broadcast to them already sending (the bot picks
    it up when it starts, as after a restart)."""
    database = Database(database_url)
    try:
        await migrate(database)
        now = utc_now()
        async with database.write() as session:
            await session.execute(
                insert(User),
                [
                    {"id": n, "first_name": "Reader", "language": "en", "created_at": now,
                     "last_seen_at": now, "subscribed": True, "blocked": False}
                    for n in audience
                ],
            )  # fmt: skip
        store = BroadcastStore(database, first_step="welcome")
        broadcast_id = await store.begin_draft(ADMIN_ID)
        await store.attach(broadcast_id, ADMIN_ID, int(source["message_id"]), "text")
        await store.start(broadcast_id)
    finally:
        await database.dispose()


def _busiest_second(moments: list[float]) -> int:
    """The most messages in any one-second window."""
    most, start = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def _chats_over(sent: list[tuple[float, int, str]], plan: LimitPlan) -> int:
    """Chats whose messages ever went over the bot's limit: replayed through a bucket of
    the burst the bot keeps to, then one a second, with 50 ms for the clocks' skew."""
    by_chat: dict[int, list[float]] = {}
    for moment, chat, _ in sent:
        by_chat.setdefault(chat, []).append(moment)
    over = 0
    for moments in by_chat.values():
        tokens, last = float(plan.chat_burst), moments[0]
        for moment in moments:
            tokens = min(plan.chat_burst, tokens + (moment - last + 0.05) * plan.per_chat)
            last = moment
            if tokens < 1:
                over += 1
                break
            tokens -= 1
    return over


@asynccontextmanager
async def throwaway_database(postgres_url: str, prefix: str) -> AsyncIterator[tuple[str, Any]]:
    """A fresh PostgreSQL database for one drill: its URL, and an admin connection to the
    server (for what the drill does to it); dropped afterwards."""
    name = f"closer_{prefix}_{os.getpid()}"
    connection = await asyncpg.connect(_asyncpg_dsn(postgres_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield (
            make_url(postgres_url).set(database=name).render_as_string(hide_password=False),
            connection,
        )
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _cut_off(connection: Any, database: str) -> None:
    await connection.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = $1 AND pid <> pg_backend_pid()",
        database,
    )


async def server_version(postgres_url: str) -> str:
    """The PostgreSQL server's version, for the record of the run."""
    connection = await asyncpg.connect(_asyncpg_dsn(postgres_url))
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as a plain DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _told_to_try_again(client: StandInClient, first: int, people: int) -> int:
    """People who were told, in a message or on a tapped button, to try again."""
    told = 0
    for person in range(first, first + people):
        events, _ = await client.events(person, 0, kinds=("message", "callback_answer"))
        told += any(
            "try again" in str(e.get("text") or e.get("message", {}).get("text", ""))
            for e in events
        )
    return told


def run_all(quick: bool, postgres_url: str | None = None) -> dict[str, Any]:
    """Every drill; reduced sizes with ``quick``. The read-only drill needs PostgreSQL."""

    async def everything() -> dict[str, Any]:
        small = quick
        results: dict[str, Any] = {
            "kills": await kills(
                people=20 if small else 200, kill_count=2 if small else 10, seed=1,
                patience=6 if small else PATIENCE,
            ),
            "faults": await faults(people=10 if small else 200, rate=0.05, seed=2, quick=small),
            "fuzz": await fuzzing(count=400 if small else 5000, seed=3),
            "database": await database_outage(
                people=10 if small else 50, seconds=OUTAGE_SECONDS, seed=4
            ),
            "limits": await limits(
                people=20 if small else 200, audience=500 if small else 10_000,
                plan=REDUCED_LIMITS if small else FULL_LIMITS, seed=6,
            ),
        }  # fmt: skip
        if postgres_url:
            results["read_only"] = await read_only_database(
                postgres_url, people=10 if small else 50, seconds=4, seed=5
            )
            from chaos import fleet  # several processes need PostgreSQL

            results["failover"] = await fleet.failover(
                postgres_url, people=30 if small else 200, kill_count=2 if small else 5,
                processes=3, seed=7,
            )  # fmt: skip
            results["deploy"] = await fleet.rolling_deploy(
                postgres_url, people=30 if small else 200, seed=8
            )
            from chaos import broadcast, webhook

            if webhook.nginx_binary() is None:
                results["webhook"] = {"skipped": "nginx is not installed"}
            else:
                results["webhook"] = await webhook.webhook(
                    postgres_url, people=30 if small else 200, kill_count=1 if small else 3,
                    processes=3, seed=9,
                )  # fmt: skip
            results["broadcast_failover"] = await broadcast.broadcast_failover(
                postgres_url, audience=1_000 if small else 10_000, rate=100 if small else 250,
                processes=3,
            )  # fmt: skip
            results["postgresql"] = await server_version(postgres_url)
        return results

    return asyncio.run(everything())
