"""One process against three on PostgreSQL: what coordinating several processes costs.

The same loads as the dialogue benchmark (``bench/dialogue.py``: 50 people at their own
pace, then 50 as fast as the bot answers), against Closer on a fresh PostgreSQL database,
first as one ``python -m bot`` process, then as three with the same token (one leads and
polls; the others stand by, ``storage/presence.py``). Each configuration gets its own
stand-in process and database. The bot's CPU is summed over every process of the
configuration, so the standbys' idle work and the leader's sweeps are in it; PostgreSQL's
own CPU for the database's connections is reported beside it where this machine can read
it (a local server). Last, in the three-process run, the leader is SIGKILLed and the time
until the stand-in sees another process begin a getUpdates is the takeover time.

    python -m bench.fleet            # records under ``fleet`` in bench/results/latest.json
    python -m bench.fleet --quick    # one takeover instead of three

PostgreSQL comes from BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local default.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import psutil
from sqlalchemy import make_url

from bench.dialogue import (
    CLOSED,
    OPEN,
    Scenario,
    _calls_by_method,
    _cpu,
    _stats,
    _target,
    _wait_quiet,
    load_figures,
)
from bench.load import LoadResult, run_dialogue
from bench.processes import Measured, start_python, start_standin
from bench.report import merge, table
from chaos.drills import _asyncpg_dsn, throwaway_database

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
#: The log line of a process that has become the leader (``storage/presence.py``).
LEADS = "this process leads"
#: The loads, in the dialogue benchmark's order (the open one first, on a rested bot).
LOADS = [Scenario(OPEN, 50, 1.0), Scenario(CLOSED, 50, None)]
#: The coordination's cost the issue allows: three processes' CPU per event over one's.
CPU_GOAL = 1.15


def _log(process: Measured) -> str:
    path = Path(tempfile.gettempdir()) / f"closer-bench-{process.name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


async def _start(name: str, env: dict[str, str]) -> Measured:
    """One bot process, once it says it is up."""
    process = await start_python(name, ["-m", "bot"], env)
    deadline = time.monotonic() + 60
    while "Closer is up" not in _log(process):
        if process.process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start; see /tmp/closer-bench-{name}.log")
        await asyncio.sleep(0.05)
    return process


class _Postgres:
    """CPU time of the server processes serving one database (None where unreadable)."""

    def __init__(self, postgres_url: str, database: str) -> None:
        self.dsn = _asyncpg_dsn(postgres_url)
        self.database = database

    async def cpu(self) -> dict[int, float] | None:
        connection = await asyncpg.connect(self.dsn)
        try:
            pids = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
            )
        finally:
            await connection.close()
        seconds: dict[int, float] = {}
        for row in pids:
            try:
                seconds[int(row["pid"])] = _cpu(psutil.Process(int(row["pid"])))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return seconds or None


def _spent(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    if before is None or after is None:
        return None
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def measure(count: int, postgres_url: str, takeovers: int) -> dict[str, Any]:
    """``count`` processes on a fresh database: the loads, then (with several) the
    leader killed ``takeovers`` times, a replacement started after each."""
    prefix = f"bench_fleet_{count}"
    async with throwaway_database(postgres_url, prefix) as (url, _):
        database = make_url(url).database
        assert database is not None
        postgres = _Postgres(postgres_url, database)
        standin, standin_url = await start_standin(f"standin-fleet-{count}")
        processes: list[Measured] = []
        try:
            token, _, env = _target("closer", standin_url, Path(tempfile.gettempdir()))
            env["DATABASE_URL"] = url  # in place of the SQLite file
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"{standin_url}/_standin/bots", json={"token": token}) as reply,
            ):
                bot_id = int((await reply.json())["bot"]["id"])
            for index in range(count):
                processes.append(await _start(f"fleet-{count}-{os.getpid()}-{index}", env))
            deadline = time.monotonic() + 60
            while (await _stats(standin_url)).get("polls_waiting", 0) < 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("no process polls")
                await asyncio.sleep(0.05)
            await _wait_quiet(standin_url)
            results: dict[str, Any] = {"processes": count}
            me = psutil.Process()
            first_id = 30_000_000
            for scenario in LOADS:
                await _wait_quiet(standin_url)
                calls_before = _calls_by_method(await _stats(standin_url))
                bots_before = sum(_cpu(p.ps) for p in processes)
                others_before = (_cpu(standin.ps), _cpu(me))
                database_before = await postgres.cpu()
                result: LoadResult = await run_dialogue(
                    standin_url, bot_id, scenario.people, first_id, scenario.pace
                )
                first_id += scenario.people
                bots = sum(_cpu(p.ps) for p in processes) - bots_before
                others = [
                    a - b for a, b in zip((_cpu(standin.ps), _cpu(me)), others_before, strict=True)
                ]
                database_spent = _spent(database_before, await postgres.cpu())
                calls_after = _calls_by_method(await _stats(standin_url))
                calls = {m: n - calls_before.get(m, 0) for m, n in calls_after.items()}
                figures = load_figures(result, calls, bots)
                figures["cpu_share"] = {
                    name: round(seconds / result.seconds, 2) if result.seconds else 0
                    for name, seconds in zip(
                        ("bot", "standin", "load_generator"), (bots, *others), strict=True
                    )
                }
                figures["postgres_cpu_ms_per_event"] = (
                    round(database_spent * 1000 / result.events, 2)
                    if database_spent is not None and result.events
                    else None
                )
                results[scenario.name] = figures
            results["peak_rss_mb"] = [round(p.peak_rss_mb(), 1) for p in processes]
            if count > 1:
                results["takeover_seconds"] = [
                    await _takeover(processes, standin_url, env, count, n) for n in range(takeovers)
                ]
            return results
        finally:
            for process in processes:
                await process.stop()
            await standin.stop()


async def _takeover(
    processes: list[Measured], standin_url: str, env: dict[str, str], count: int, n: int
) -> float:
    """SIGKILLs the leader; seconds until the stand-in sees the next getUpdates begin.
    A replacement is started afterwards, as a supervisor would."""
    alive = [p for p in processes if p.process.returncode is None]
    leading = [p for p in alive if LEADS in _log(p)]
    if not leading:
        raise RuntimeError("no process leads")
    leader = leading[-1]
    polls = (await _stats(standin_url)).get("polls_started", 0)
    killed_at = time.monotonic()
    leader.process.kill()
    await leader.process.wait()
    while (await _stats(standin_url)).get("polls_started", 0) == polls:
        if time.monotonic() - killed_at > 30:
            raise RuntimeError("no process took over polling within 30 s")
        await asyncio.sleep(0.005)
    seconds = round(time.monotonic() - killed_at, 3)
    processes.remove(leader)
    processes.append(await _start(f"fleet-{count}-{os.getpid()}-again-{n}", env))
    await asyncio.sleep(1.0)  # the replacement joins and stands by
    return seconds


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 2) if top is not None and bottom else None


async def run(quick: bool, postgres_url: str) -> dict[str, Any]:
    """One process, then three, in the same run; their ratios."""
    one = await measure(1, postgres_url, takeovers=0)
    three = await measure(3, postgres_url, takeovers=1 if quick else 3)
    takeovers = three["takeover_seconds"]
    return {
        "one": one,
        "three": three,
        "events_per_second_closed_50": {
            "one": one[CLOSED]["events_per_second"],
            "three": three[CLOSED]["events_per_second"],
        },
        "events_per_second_ratio": _ratio(
            three[CLOSED]["events_per_second"], one[CLOSED]["events_per_second"]
        ),
        "cpu_ms_per_event_closed_50": {
            "one": one[CLOSED]["cpu_ms_per_event"],
            "three": three[CLOSED]["cpu_ms_per_event"],
        },
        "cpu_per_event_ratio": _ratio(
            three[CLOSED]["cpu_ms_per_event"], one[CLOSED]["cpu_ms_per_event"]
        ),
        "cpu_goal": CPU_GOAL,
        "p99_ms_open_50": {"one": one[OPEN]["p99_ms"], "three": three[OPEN]["p99_ms"]},
        "p99_ratio_open_50": _ratio(three[OPEN]["p99_ms"], one[OPEN]["p99_ms"]),
        "takeover_seconds": takeovers,
        "takeover_seconds_max": max(takeovers) if takeovers else None,
        "postgres": await _server_version(postgres_url),
    }


async def _server_version(postgres_url: str) -> str:
    connection = await asyncpg.connect(_asyncpg_dsn(postgres_url))
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures as terminal table rows."""
    out = []
    for config in ("one", "three"):
        for load in (OPEN, CLOSED):
            f = results[config][load]
            out.append(
                (
                    f"{config} process{'es' if config == 'three' else ''} {load}",
                    f"{f['events_per_second']} events/s, p50/p99 {f['p50_ms']}/{f['p99_ms']} ms, "
                    f"bot CPU {f['cpu_ms_per_event']} ms/event "
                    f"(PostgreSQL {f['postgres_cpu_ms_per_event']}), {f['failures']} gave up",
                )
            )
    out += [
        ("events/s, three over one (closed 50)", str(results["events_per_second_ratio"])),
        (
            "CPU per event, three over one (closed 50)",
            f"{results['cpu_per_event_ratio']} (goal <= {results['cpu_goal']})",
        ),
        ("p99 open 50, three over one", str(results["p99_ratio_open_50"])),
        ("takeover (s)", str(results["takeover_seconds"])),
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    """Runs the comparison and records it under ``fleet`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL
    results = asyncio.run(run(args.quick, url))
    merge("fleet", results)
    print("One process against three on PostgreSQL (same loads, same run):")
    print(table(rows(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
