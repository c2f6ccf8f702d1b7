"""Load and latency: Closer against a bare echo bot and the usual ConversationHandler bot.

Every bot runs in its own process against a fresh stand-in process; the simulated people
run in this process. For each run: user events per second, Bot API calls per second (every
call but getUpdates, counted by the stand-in), finished conversations per second, latency
from a person's act to the bot's complete reply (p50, p95, p99), and the CPU share and peak
memory of the bot, the stand-in and the load generator, so it is visible which of them is
the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.load import LoadResult, run_dialogue, run_echo
from bench.processes import Measured, start_python, start_standin
from bench.report import merge, table

CLOSER_TOKEN = "100000011:" + "K" * 35
BASELINE_TOKEN = "100000004:" + "H" * 35
ECHO_TOKEN = "100000001:" + "E" * 35


@dataclass(frozen=True)
class Scenario:
    """One load: who, how many, and at what pace (None: closed loop)."""

    name: str
    people: int
    pace: float | None
    echo_messages: int = 0


async def _calls(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_standin/stats") as reply:
        stats = (await reply.json())["stats"]
    return sum(v for k, v in stats.items() if k.startswith("calls_") and k != "calls_getUpdates")


async def _wait_polling(url: str, bot: Measured) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            async with session.get(f"{url}/_standin/stats") as reply:
                if (await reply.json())["stats"].get("polls_waiting", 0) >= 1:
                    return
            if bot.process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{bot.name} did not start; see /tmp/closer-bench-{bot.name}.log"
                )
            await asyncio.sleep(0.05)


async def _wait_quiet(url: str, quiet_for: float = 1.0, longest: float = 30.0) -> None:
    """Waits until the bot has made no Bot API call (but polls) for ``quiet_for`` seconds.

    A saturating load ends when the last person has their last question, while the bot
    may still owe edits (old buttons taken away) that it sent after the questions: the next
    load must not measure that backlog draining."""
    deadline = time.monotonic() + longest
    calls, since = await _calls(url), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now_calls = await _calls(url)
        if now_calls != calls:
            calls, since = now_calls, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            return


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(target: str, scenarios: list[Scenario], folder: Path) -> dict[str, Any]:
    """Starts a stand-in and the target bot, runs the scenarios, returns their figures."""
    standin, url = await start_standin(f"standin-{target}")
    token, args, env = _target(target, url, folder)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/_standin/bots", json={"token": token}) as reply,
    ):
        bot_id = int((await reply.json())["bot"]["id"])
    bot = await start_python(target, args, env)
    results: dict[str, Any] = {}
    try:
        await _wait_polling(url, bot)
        me = psutil.Process()
        first_id = 10_000_000
        for scenario in scenarios:
            await _wait_quiet(url)
            calls_before = await _calls(url)
            cpu_before = (_cpu(bot.ps), _cpu(standin.ps), _cpu(me))
            if scenario.echo_messages:
                result: LoadResult = await run_echo(
                    url, bot_id, scenario.people, first_id, scenario.echo_messages
                )
            else:
                result = await run_dialogue(url, bot_id, scenario.people, first_id, scenario.pace)
            first_id += scenario.people
            calls = await _calls(url) - calls_before
            spent = [
                after - before
                for after, before in zip(
                    (_cpu(bot.ps), _cpu(standin.ps), _cpu(me)), cpu_before, strict=True
                )
            ]
            figures = result.summary()
            figures["bot_api_calls"] = calls
            figures["bot_api_calls_per_second"] = (
                round(calls / result.seconds, 1) if result.seconds else 0
            )
            figures["bot_api_calls_per_event"] = (
                round(calls / result.events, 2) if result.events else 0
            )
            figures["cpu_share"] = {
                name: round(seconds / result.seconds, 2) if result.seconds else 0
                for name, seconds in zip(("bot", "standin", "load_generator"), spent, strict=True)
            }
            results[scenario.name] = figures
        results["bot_peak_rss_mb"] = round(bot.peak_rss_mb(), 1)
    finally:
        await bot.stop()
        await standin.stop()
    return results


#: Connections to the stand-in, for every bot measured here. On loopback a round trip
#: takes about a millisecond, so few connections keep up, and httpcore's pool costs grow
#: with the number of connections; over the internet, size the pool to rate x round trip.
LOOPBACK_POOL = "4"


def _target(target: str, url: str, folder: Path) -> tuple[str, list[str], dict[str, str]]:
    """The token, command line and environment of a measured bot."""
    base = ["--base-url", f"{url}/bot"]
    if target == "closer":
        env = {
            "TELEGRAM_BOT_TOKEN": CLOSER_TOKEN,
            "TELEGRAM_API_BASE_URL": url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'closer.db'}",
            "TELEGRAM_POOL_SIZE": os.environ.get("TELEGRAM_POOL_SIZE", LOOPBACK_POOL),
            "REMINDER_DELAY": "0",
            "LOG_LEVEL": "INFO",
        }
        profile = os.environ.get("CLOSER_PROFILE")  # a file name: run the bot under cProfile
        args = ["-m", "cProfile", "-o", profile, "-m", "bot"] if profile else ["-m", "bot"]
        return CLOSER_TOKEN, args, env
    if target == "conversationhandler":
        pickle = str(folder / "conversationbot.pickle")
        module = [
            "-m",
            "bench.conversation_bot",
            *base,
            "--token",
            BASELINE_TOKEN,
            "--pickle",
            pickle,
        ]
        return BASELINE_TOKEN, module, {}
    pool = os.environ.get("ECHO_POOL", LOOPBACK_POOL)
    return ECHO_TOKEN, ["-m", "bench.echo_bot", *base, "--token", ECHO_TOKEN, "--pool", pool], {}


def scenarios(quick: bool) -> dict[str, list[Scenario]]:
    """What each target is put through (fewer and smaller with QUICK)."""
    if quick:
        return {
            "echo": [Scenario("closed_50", 50, None, echo_messages=40)],
            "conversationhandler": [Scenario("closed_50", 50, None)],
            "closer": [Scenario("open_50", 50, 1.0), Scenario("closed_50", 50, None)],
        }
    return {
        "echo": [
            Scenario("closed_50", 50, None, echo_messages=100),
            Scenario("closed_500", 500, None, echo_messages=20),
        ],
        "conversationhandler": [
            Scenario("open_50", 50, 1.0),
            Scenario("closed_50", 50, None),
            Scenario("closed_500", 500, None),
        ],
        # Open loads first: what a person feels on a bot at its normal pace, not while it
        # recovers from the saturating closed loads (BENCHMARKS.md shows the difference).
        "closer": [
            Scenario("open_50", 50, 1.0),
            Scenario("open_500", 500, 1.0),
            Scenario("closed_50", 50, None),
            Scenario("closed_500", 500, None),
            Scenario("open_50_after_closed", 50, 1.0),
        ],
    }


async def run(quick: bool) -> dict[str, Any]:
    """All three targets, one after another, each on fresh processes, and the ratios."""
    with tempfile.TemporaryDirectory(prefix="closer-bench-dialogue-") as folder:
        return await _measure_all(quick, Path(folder))


async def _measure_all(quick: bool, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"machine_cpus": os.cpu_count(), "pool": LOOPBACK_POOL}
    for target, planned in scenarios(quick).items():
        results[target] = await measure(target, planned, folder)
    closer, echo, usual = results["closer"], results["echo"], results["conversationhandler"]
    for load in ("closed_50", "closed_500"):
        if load not in closer:
            continue
        suffix = "" if load == "closed_50" else "_500"
        results[f"ratio_vs_echo{suffix}"] = round(
            closer[load]["bot_api_calls_per_second"] / echo[load]["bot_api_calls_per_second"], 2
        )
        results[f"ratio_vs_conversationhandler{suffix}"] = round(
            closer[load]["events_per_second"] / usual[load]["events_per_second"], 2
        )
    results["p99_ms_open_50"] = closer["open_50"]["p99_ms"]
    if "open_50" in usual:
        results["conversationhandler_p99_ms_open_50"] = usual["open_50"]["p99_ms"]
    if "open_500" in closer:
        results["p99_ms_open_500"] = closer["open_500"]["p99_ms"]
    if "open_50_after_closed" in closer:
        results["p99_ms_open_50_after_closed"] = closer["open_50_after_closed"]["p99_ms"]
    return results


def rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The dialogue figures as table rows: each load, each target, then the ratios."""
    out: list[tuple[str, str]] = []
    for target in ("echo", "conversationhandler", "closer"):
        for load, figures in results[target].items():
            if not isinstance(figures, dict):
                continue
            out.append(
                (
                    f"{target} {load}",
                    f"{figures['events_per_second']} events/s, "
                    f"{figures['bot_api_calls_per_second']} calls/s "
                    f"({figures['bot_api_calls_per_event']}/event), "
                    f"p50/p99 {figures['p50_ms']}/{figures['p99_ms']} ms, "
                    f"cpu bot/stand-in/load {figures['cpu_share']['bot']}/"
                    f"{figures['cpu_share']['standin']}/{figures['cpu_share']['load_generator']}",
                )
            )
        out.append((f"{target} peak memory", f"{results[target]['bot_peak_rss_mb']} MB"))
    out += [(key, str(value)) for key, value in results.items() if key.startswith(("ratio", "p99"))]
    return out


def main(argv: list[str] | None = None) -> int:
    """Runs the dialogue benchmark and records it under ``dialogue`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.quick))
    merge("dialogue", results)
    print("Conversations through the stand-in (bots, stand-in and load in separate processes):")
    print(table(rows(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
