"""Drills for several processes on one PostgreSQL database: failover and a rolling deploy.

Each drill creates a database of its own, starts several ``python -m bot`` processes with
the same token against one stand-in, and lets a crowd of people talk while processes are
killed (``failover``) or replaced one by one with SIGTERM (``rolling_deploy``). The people
are impatient on purpose: one who sees no new question within ``patience`` seconds asks
again and is counted, so "nobody asked again" means every reply came within that long.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import Measured, start_python
from chaos.drills import IN_FLIGHT_BOUND, Rig, _finish, rig, throwaway_database
from chaos.people import crowd

#: The log line of a process that has become the leader (``storage/presence.py``).
LEADS = "this process leads"
#: Log lines at ERROR or worse: a rolling deploy must have none.
ERRORS = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) .*$", re.MULTILINE)
#: The most a person may wait for a reply when a process dies (the issue's bound).
REPLY_WITHIN = 5.0
#: The most the bot may go without a poller after the poller dies.
TAKEOVER_WITHIN = 2.0


@dataclass
class Fleet:
    """Several bot processes on one database, started and stopped one by one."""

    drill: Rig
    processes: list[Measured] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)
    started: int = 0

    async def start(self, env: dict[str, str] | None = None) -> Measured:
        """Starts one more process (with ``env`` over the drill's settings) and waits until
        it is up."""
        self.started += 1
        name = f"chaos-{self.drill.name}-{os.getpid()}-bot-{self.started}"
        env = {**self.drill.bot_env(), **(env or {})}
        process = await start_python(name, ["-m", "bot"], env)
        log = Path(tempfile.gettempdir()) / f"closer-bench-{name}.log"
        self.logs[name] = log
        self.drill.log_files.append(log)
        deadline = time.monotonic() + 60
        while "Closer is up" not in _read(log):
            if process.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"a bot process did not start; see {log}")
            await asyncio.sleep(0.05)
        self.processes.append(process)
        return process

    def leader(self) -> Measured | None:
        """The live process that became the leader last (its log says so)."""
        alive = [p for p in self.processes if p.process.returncode is None]
        leading = [p for p in alive if LEADS in _read(self.logs[p.name])]
        return leading[-1] if leading else None

    async def kill(self, process: Measured) -> float:
        """SIGKILL; returns the moment."""
        process.process.send_signal(signal.SIGKILL)
        moment = time.time()
        await process.process.wait()
        self.processes.remove(process)
        self.drill.kills.append(moment)
        return moment

    async def stop(self, process: Measured) -> None:
        """SIGTERM, as a deploy does; waits until it has finished what it held."""
        process.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.process.wait(), 40)
        self.processes.remove(process)

    async def stop_all(self) -> None:
        """Stops every process cleanly."""
        for process in list(self.processes):
            await self.stop(process)

    def errors(self) -> list[str]:
        """Every ERROR or CRITICAL line any process logged."""
        return [line for log in self.logs.values() for line in ERRORS.findall(_read(log))]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


@asynccontextmanager
async def fleet_of(name: str, postgres_url: str) -> AsyncIterator[Fleet]:
    """A stand-in, a fresh PostgreSQL database, and no process yet."""
    async with throwaway_database(postgres_url, name) as (url, _), rig(name) as drill:
        drill.database_url = url
        fleet = Fleet(drill)
        try:
            yield fleet
        finally:
            for process in fleet.processes:
                if process.process.returncode is None:
                    process.process.kill()
                    await process.process.wait()


async def _polls(drill: Rig) -> int:
    return int((await drill.stats()).get("polls_started", 0))


async def _answer_fetched(drill: Rig, deadline: float) -> None:
    """Waits until the poller has just fetched someone's update (or the deadline)."""
    before = int((await drill.stats()).get("updates_delivered", 0))
    while time.monotonic() < deadline:
        if int((await drill.stats()).get("updates_delivered", 0)) > before:
            return
        await asyncio.sleep(0.005)


async def failover(
    postgres_url: str, people: int, kill_count: int, processes: int, seed: int
) -> dict[str, Any]:
    """``processes`` processes; the poller SIGKILLed ``kill_count`` times (the first time
    within milliseconds of fetching someone's answer), a replacement started each time."""
    rng = random.Random(seed)
    first = 26_000_000
    takeovers: list[float] = []
    async with fleet_of("failover", postgres_url) as fleet:
        for _ in range(processes):
            await fleet.start()
        walking = asyncio.create_task(
            crowd(fleet.drill.client, first, people, seed, pace=0.25, patience=REPLY_WITHIN)
        )
        for index in range(kill_count):
            await asyncio.sleep(rng.uniform(0.5, 1.5))
            if index % 2 == 0:  # every other kill lands just as an answer was fetched
                await _answer_fetched(fleet.drill, time.monotonic() + 2)
            leader = fleet.leader()
            if leader is None:
                raise RuntimeError("no process leads")
            polls = await _polls(fleet.drill)
            killed_at = time.monotonic()
            await fleet.kill(leader)
            while await _polls(fleet.drill) == polls:  # the next poll is the new leader's
                if time.monotonic() - killed_at > 30:
                    raise RuntimeError("no process took over polling within 30 s")
                await asyncio.sleep(0.005)
            takeovers.append(round(time.monotonic() - killed_at, 3))
            await fleet.start()  # as a supervisor would
        walks = await walking
        errors = fleet.errors()
        await fleet.stop_all()
        figures = await _finish(fleet.drill, walks, first, people)
    return {
        "processes": processes,
        "kills": kill_count,
        "in_flight_bound": IN_FLIGHT_BOUND,
        "takeover_seconds": takeovers,
        "takeover_bound": TAKEOVER_WITHIN,
        "reply_patience_seconds": REPLY_WITHIN,
        "error_lines": len(errors),
        **figures,
    }


async def rolling_deploy(postgres_url: str, people: int, seed: int) -> dict[str, Any]:
    """A on its own; B starts; A gets SIGTERM; A starts again; B gets SIGTERM; all while
    ``people`` talk. Nobody may lose a reply or get one twice, and no log may say ERROR."""
    first = 27_000_000
    async with fleet_of("deploy", postgres_url) as fleet:
        a = await fleet.start()
        walking = asyncio.create_task(
            crowd(fleet.drill.client, first, people, seed, pace=0.25, patience=REPLY_WITHIN)
        )
        await asyncio.sleep(1.0)
        b = await fleet.start()
        await asyncio.sleep(0.5)
        await fleet.stop(a)
        await asyncio.sleep(1.0)
        await fleet.start()
        await asyncio.sleep(0.5)
        await fleet.stop(b)
        walks = await walking
        errors = fleet.errors()
        await fleet.stop_all()
        figures = await _finish(fleet.drill, walks, first, people)
    return {
        "reply_patience_seconds": REPLY_WITHIN,
        "error_lines": len(errors),
        "first_error_lines": errors[:3],
        **figures,
    }
