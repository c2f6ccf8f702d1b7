"""Broadcast benchmark: rate against the limit, and memory against the audience size.

In one run, on the same stand-in (its own process, with Telegram's 30-a-second limit when
that is what is measured):

* the bare python-telegram-bot sender (``copyMessage`` with no database, on the same
  aiohttp transport as the bot, at 4, 8 and 16 calls at once, the best of them): the
  ceiling this machine and framework allow a developer who writes the loop by hand;
* Closer's Broadcaster (with the aiohttp transport the bot ships, ``bot.app.broadcast_bot``)
  at 30 a second (a shortened window) and at 1000 a second, to
  100,000 subscribers: achieved rate / min(limit, bare ceiling), goal 0.95;
* the Broadcaster's peak memory with 100,000 and with 1,000,000 subscribers: goal flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import start_python, start_standin
from bench.report import merge, table

SUBSCRIBERS = 100_000
MILLION = 1_000_000


async def worker(*args: str) -> dict[str, Any]:
    """Runs ``bench.broadcast_worker`` and returns its JSON line."""
    process = await start_python(f"broadcast-{args[0]}", ["-m", "bench.broadcast_worker", *args])
    await process.process.wait()
    log = Path(tempfile.gettempdir()) / f"closer-bench-broadcast-{args[0]}.log"
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    if process.process.returncode != 0 or not lines:
        raise RuntimeError(f"broadcast worker {args} failed; see {log}")
    return dict(json.loads(lines[-1]))


async def fresh_standin(global_rate: float | None) -> tuple[Any, str]:
    """A new stand-in process with all subscribers known to it (and a global limit)."""
    standin, url = await start_standin("standin-broadcast")
    async with aiohttp.ClientSession() as session:
        await session.post(f"{url}/_standin/bots", json={"token": "100000003:" + "W" * 35})
        await session.post(
            f"{url}/_standin/people/bulk", json={"first_id": 1_000_000, "count": MILLION}
        )
        if global_rate:
            await session.post(
                f"{url}/_standin/control",
                json={"global_rate": global_rate, "global_burst": global_rate},
            )
    return standin, url


async def bare_run(seconds: float, concurrency: int) -> dict[str, Any]:
    """The bare PTB sender on a fresh stand-in with no limit."""
    standin, url = await fresh_standin(None)
    try:
        return await worker(
            "bare", "--standin", url, "--seconds", str(seconds),
            "--count", str(SUBSCRIBERS), "--concurrency", str(concurrency),
        )  # fmt: skip
    finally:
        await standin.stop()


async def closer_run(
    database: str, rate: float, seconds: float, concurrency: int
) -> dict[str, Any]:
    """Closer's Broadcaster on a fresh stand-in that enforces ``rate`` as Telegram would."""
    standin, url = await fresh_standin(rate)
    try:
        return await worker(
            "closer", "--standin", url, "--database", database, "--rate", str(rate),
            "--seconds", str(seconds), "--concurrency", str(concurrency),
        )  # fmt: skip
    finally:
        await standin.stop()


async def run(quick: bool) -> dict[str, Any]:
    """All broadcast figures. Each broadcast run is a new broadcast to every subscriber."""
    with tempfile.TemporaryDirectory(prefix="closer-bench-broadcast-") as folder:
        return await _measure_all(quick, Path(folder))


async def _measure_all(quick: bool, folder: Path) -> dict[str, Any]:
    small = f"sqlite+aiosqlite:///{folder / 'hundred-thousand.db'}"
    large = f"sqlite+aiosqlite:///{folder / 'million.db'}"
    await worker("seed", "--database", small, "--count", str(SUBSCRIBERS))
    window = 8.0 if quick else 30.0
    concurrencies = (4, 8) if quick else (4, 8, 16)

    bare_runs = [await bare_run(min(window, 10.0), c) for c in concurrencies]
    bare = max(bare_runs, key=lambda run: float(run["rate"]))
    fast_runs = [await closer_run(small, 1000, window, c) for c in (4, 8)]
    fast = max(fast_runs, key=lambda run: float(run["rate"]))
    slow = await closer_run(small, 30, window, 8)
    results: dict[str, Any] = {
        "bare_ptb_rate": bare["rate"],
        "bare_ptb_runs": {str(run["concurrency"]): run["rate"] for run in bare_runs},
        "at_1000": fast,
        "at_1000_runs": {str(run["concurrency"]): run["rate"] for run in fast_runs},
        "at_30": slow,
        "ratio_of_limit_1000": round(fast["rate"] / min(1000.0, bare["rate"]), 3),
        "rate_over_limit_1000": round(fast["rate"] / 1000.0, 3),
        "ratio_of_limit_30": round(slow["rate"] / min(30.0, bare["rate"]), 3),
        "peak_rss_mb_100k": fast["peak_rss_mb"],
    }
    if quick:
        results["peak_rss_mb_1m"] = None
        results["note_1m"] = "skipped in QUICK mode"
    else:
        await worker("seed", "--database", large, "--count", str(MILLION))
        million = await closer_run(large, 1000, 15.0, 4)
        results["at_1000_1m"] = million
        results["peak_rss_mb_1m"] = million["peak_rss_mb"]
    return results


def main(argv: list[str] | None = None) -> int:
    """Runs the broadcast benchmark and records it under ``broadcast`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.quick))
    merge("broadcast", results)
    print("Broadcasting through the stand-in (separate processes):")
    rows = [
        ("bare PTB sender, calls/s", str(results["bare_ptb_rate"])),
        ("Closer at 1000/s: achieved", f"{results['at_1000']['rate']}/s"),
        ("  by concurrency", str(results["at_1000_runs"])),
        ("  ratio to min(limit, bare)", str(results["ratio_of_limit_1000"])),
        ("  ratio to the limit itself", str(results["rate_over_limit_1000"])),
        ("Closer at 30/s: achieved", f"{results['at_30']['rate']}/s"),
        ("  ratio to the limit", str(results["ratio_of_limit_30"])),
        ("peak memory, 100k subscribers", f"{results['peak_rss_mb_100k']} MB"),
        ("peak memory, 1M subscribers", f"{results['peak_rss_mb_1m']} MB"),
    ]
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
