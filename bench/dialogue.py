"""Load, latency and cost per event: Closer against the echo bot and ConversationHandler.

Every bot runs in its own process against a fresh stand-in process; the simulated people
run in this process. The baselines get what Closer gets, so the ratios compare designs:

* **echo** (``bench/echo_bot.py``): one reply per message, on Closer's aiohttp transport,
  with as many updates in hand as connections. The ceiling for Bot API calls a second.
* **conversationhandler** (``bench/conversation_bot.py``): the same conversation, with
  the same messages and buttons, written the way PTB's examples write it, on PTB's
  default HTTPX transport, as most PTB bots run;
* **conversationhandler_aiohttp**: the same bot on Closer's aiohttp transport. Closer
  over this one is the headline ratio, design against design.
* **closer**: ``python -m bot`` on SQLite, every event committed before its reply.

For each load: user events a second, Bot API calls a second and per event (by method, as
the stand-in counted them), messages sent per event (what Telegram counts against a bot's
~30 a second), the bot's CPU milliseconds per event and per call, latency from a person's
act to the bot's complete reply (p50, p95, p99), and the CPU share of the bot, the
stand-in and the load generator (to show which is the bottleneck). Memory: the bot's peak
RSS once started and quiet, and after the 50-person loads (before the 500-person ones).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.load import LoadResult, run_dialogue, run_echo
from bench.processes import ROOT, Measured, start_python, start_standin
from bench.report import merge, table

CLOSER_TOKEN = "100000011:" + "K" * 35
BASELINE_TOKEN = "100000004:" + "H" * 35
ECHO_TOKEN = "100000001:" + "E" * 35
#: Connections to the stand-in, for every bot measured here. On loopback a round trip
#: takes about a millisecond, so few connections keep up; over the internet, size the pool
#: to rate x round trip.
LOOPBACK_POOL = "4"
#: What Telegram counts as messages against a bot's overall limit (edits and answers to
#: taps are calls, not messages).
MESSAGE_METHODS = ("sendMessage", "sendPhoto", "sendDocument", "sendVideo", "copyMessage")
#: Why Closer makes each call during a conversation, for the per-event table.
PURPOSES = {
    "sendMessage": "the next question, with what leads up to it, in phone-sized bubbles",
    "answerCallbackQuery": "stops the spinner on the tapped button (Telegram expects it)",
    "editMessageText": "the tapped question shows the choice and the reply, and loses its buttons",
    "editMessageReplyMarkup": "an older keyboard loses its buttons when a new one comes",
    "sendPhoto": "the picture of the profile, with the results",
}
TARGETS = ("echo", "conversationhandler", "conversationhandler_aiohttp", "closer")
#: An earlier Closer (``CLOSER_BEFORE``: another checkout), measured in the same run with
#: the same loads, so a change to the bot's insides is measured before and after together.
BEFORE = "closer_before"
#: The loads whose figures the headlines and per-event table quote.
CLOSED, OPEN = "closed_50", "open_50"


@dataclass(frozen=True)
class Scenario:
    """One load: who, how many, and at what pace (None: closed loop)."""

    name: str
    people: int
    pace: float | None
    echo_messages: int = 0


def scenarios(quick: bool) -> dict[str, list[Scenario]]:
    """What each target is put through (fewer and smaller with QUICK). The 50-person loads
    come first, then memory is read, then the 500-person loads; the open load first of
    all, so it measures a bot at its normal pace rather than one recovering from a
    saturating load."""
    echo_open = Scenario(OPEN, 50, 1.0, echo_messages=20)  # as long as a conversation
    if quick:
        return {
            "echo": [echo_open, Scenario(CLOSED, 50, None, echo_messages=40)],
            "conversationhandler": [Scenario(CLOSED, 50, None)],
            "conversationhandler_aiohttp": [Scenario(OPEN, 50, 1.0), Scenario(CLOSED, 50, None)],
            "closer": [Scenario(OPEN, 50, 1.0), Scenario(CLOSED, 50, None)],
        }
    usual = [Scenario(OPEN, 50, 1.0), Scenario(CLOSED, 50, None), Scenario("closed_500", 500, None)]
    return {
        "echo": [
            echo_open,
            Scenario(CLOSED, 50, None, echo_messages=100),
            Scenario("closed_500", 500, None, echo_messages=20),
        ],
        "conversationhandler": usual,
        "conversationhandler_aiohttp": usual,
        "closer": [
            *usual[:2],
            Scenario("open_500", 500, 1.0),
            usual[2],
            Scenario("open_50_after_closed", 50, 1.0),
        ],
    }


async def _stats(url: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_standin/stats") as reply:
        return dict((await reply.json())["stats"])


def _calls_by_method(stats: dict[str, int]) -> dict[str, int]:
    """Every Bot API call the bot made, by method, but getUpdates (polling, not output)."""
    return {
        key.removeprefix("calls_"): value
        for key, value in stats.items()
        if key.startswith("calls_") and key != "calls_getUpdates"
    }


async def _wait_polling(url: str, bot: Measured) -> None:
    deadline = time.monotonic() + 60
    while (await _stats(url)).get("polls_waiting", 0) < 1:
        if bot.process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{bot.name} did not start; see /tmp/closer-bench-{bot.name}.log")
        await asyncio.sleep(0.05)


async def _wait_quiet(url: str, quiet_for: float = 1.0, longest: float = 30.0) -> None:
    """Waits until the bot has made no Bot API call (but polls) for ``quiet_for`` seconds.

    A saturating load ends when the last person has their last question, while the bot
    may still owe edits (old buttons taken away) that it sent after the questions: the next
    load must not measure that backlog draining."""
    deadline = time.monotonic() + longest
    calls, since = sum(_calls_by_method(await _stats(url)).values()), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now_calls = sum(_calls_by_method(await _stats(url)).values())
        if now_calls != calls:
            calls, since = now_calls, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            return


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _per(total: float, count: int, digits: int = 2) -> float:
    return round(total / count, digits) if count else 0.0


def load_figures(result: LoadResult, calls: dict[str, int], bot_cpu: float) -> dict[str, Any]:
    """One load's figures: throughput, latency, and what each event cost."""
    figures = result.summary()
    total = sum(calls.values())
    messages = sum(calls.get(method, 0) for method in MESSAGE_METHODS)
    figures.update(
        {
            "bot_api_calls": total,
            "bot_api_calls_per_second": round(total / result.seconds, 1) if result.seconds else 0,
            "calls_per_event": _per(total, result.events),
            "messages_per_event": _per(messages, result.events),
            "calls_by_method_per_event": {
                method: _per(count, result.events)
                for method, count in sorted(calls.items(), key=lambda item: -item[1])
                if count
            },
            "cpu_ms_per_event": _per(bot_cpu * 1000, result.events),
            "cpu_ms_per_call": _per(bot_cpu * 1000, total, 3),
        }
    )
    return figures


async def measure(target: str, planned: list[Scenario], folder: Path) -> dict[str, Any]:
    """Starts a stand-in and the target bot, runs the loads, returns their figures."""
    standin, url = await start_standin(f"standin-{target}")
    token, args, env = _target(target, url, folder)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/_standin/bots", json={"token": token}) as reply,
    ):
        bot_id = int((await reply.json())["bot"]["id"])
    bot = await start_python(target, args, env, cwd=_checkout(target))
    results: dict[str, Any] = {}
    try:
        await _wait_polling(url, bot)
        await _wait_quiet(url)
        results["idle_rss_mb"] = round(bot.peak_rss_mb(), 1)
        me = psutil.Process()
        first_id = 10_000_000
        for scenario in planned:
            if scenario.people > 50 and "load_rss_mb" not in results:
                results["load_rss_mb"] = round(bot.peak_rss_mb(), 1)
            await _wait_quiet(url)
            calls_before = _calls_by_method(await _stats(url))
            cpu_before = (_cpu(bot.ps), _cpu(standin.ps), _cpu(me))
            if scenario.echo_messages:
                result: LoadResult = await run_echo(
                    url, bot_id, scenario.people, first_id, scenario.echo_messages, scenario.pace
                )
            else:
                result = await run_dialogue(url, bot_id, scenario.people, first_id, scenario.pace)
            first_id += scenario.people
            spent = [
                after - before
                for after, before in zip(
                    (_cpu(bot.ps), _cpu(standin.ps), _cpu(me)), cpu_before, strict=True
                )
            ]
            calls_after = _calls_by_method(await _stats(url))
            calls = {m: n - calls_before.get(m, 0) for m, n in calls_after.items()}
            figures = load_figures(result, calls, spent[0])
            figures["cpu_share"] = {
                name: round(seconds / result.seconds, 2) if result.seconds else 0
                for name, seconds in zip(("bot", "standin", "load_generator"), spent, strict=True)
            }
            results[scenario.name] = figures
        results.setdefault("load_rss_mb", round(bot.peak_rss_mb(), 1))
        results["peak_rss_mb"] = round(bot.peak_rss_mb(), 1)
    finally:
        await bot.stop()
        await standin.stop()
    return results


def _checkout(target: str) -> Path:
    """Where the target's code comes from: this checkout; for Closer, ``CLOSER_SOURCE`` if
    set; for the earlier Closer, ``CLOSER_BEFORE``."""
    source = {"closer": "CLOSER_SOURCE", BEFORE: "CLOSER_BEFORE"}.get(target)
    chosen = os.environ.get(source) if source else None
    return Path(chosen).resolve() if chosen else ROOT


def _describe(checkout: Path) -> str:
    """The commit a checkout is at, for the record."""
    import subprocess

    found = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip()[:120] or str(checkout)


def _target(target: str, url: str, folder: Path) -> tuple[str, list[str], dict[str, str]]:
    """The token, command line and environment of a measured bot."""
    base = ["--base-url", f"{url}/bot"]
    if target in ("closer", BEFORE):
        env = {
            "TELEGRAM_BOT_TOKEN": CLOSER_TOKEN,
            "TELEGRAM_API_BASE_URL": url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / f'{target}.db'}",
            "TELEGRAM_POOL_SIZE": os.environ.get("TELEGRAM_POOL_SIZE", LOOPBACK_POOL),
            "REMINDER_DELAY": "0",
            "LOG_LEVEL": "INFO",
            # The stand-in enforces no limits here, and the baselines keep none.
            "TELEGRAM_MESSAGES_PER_SECOND": "0",
            "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "0",
        }
        profile = os.environ.get("CLOSER_PROFILE")  # a file name: run the bot under cProfile
        args = ["-m", "cProfile", "-o", profile, "-m", "bot"] if profile else ["-m", "bot"]
        if os.environ.get("CLOSER_WRAPPER"):  # a script that wraps the bot (investigations)
            args = [os.environ["CLOSER_WRAPPER"]]
        return CLOSER_TOKEN, args, env
    if target.startswith("conversationhandler"):
        transport = "aiohttp" if target.endswith("_aiohttp") else "httpx"
        module = [
            "-m", "bench.conversation_bot", *base, "--token", BASELINE_TOKEN,
            "--pickle", str(folder / f"{target}.pickle"), "--transport", transport,
        ]  # fmt: skip
        return BASELINE_TOKEN, module, {}
    module = [
        "-m", "bench.echo_bot", *base, "--token", ECHO_TOKEN, "--transport", "aiohttp",
        "--pool", os.environ.get("ECHO_POOL", LOOPBACK_POOL),
    ]  # fmt: skip
    return ECHO_TOKEN, module, {}


async def run(quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    """All targets (or ``only`` these), one after another, each on fresh processes, and
    the ratios (when every target ran)."""
    with tempfile.TemporaryDirectory(prefix="closer-bench-dialogue-") as folder:
        results: dict[str, Any] = {"machine_cpus": os.cpu_count(), "pool": LOOPBACK_POOL}
        planned_targets = scenarios(quick)
        if os.environ.get("CLOSER_BEFORE"):
            planned_targets[BEFORE] = planned_targets["closer"]
            results["before_source"] = _describe(_checkout(BEFORE))
        for target, planned in planned_targets.items():
            if only is None or target in only:
                results[target] = await measure(target, planned, Path(folder))
        if only is not None:
            return results
        results.update(ratios(results))
        results["purposes"] = PURPOSES
        return results


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """The comparisons, each against a baseline measured in the same run."""
    closer, echo = results["closer"], results["echo"]
    same, usual = results["conversationhandler_aiohttp"], results["conversationhandler"]

    def quotient(top: float, bottom: float, digits: int = 2) -> float | None:
        return round(top / bottom, digits) if bottom else None

    out: dict[str, Any] = {
        "ratio_vs_conversationhandler_same_transport": quotient(
            closer[CLOSED]["events_per_second"], same[CLOSED]["events_per_second"]
        ),
        "ratio_vs_conversationhandler": quotient(
            closer[CLOSED]["events_per_second"], usual[CLOSED]["events_per_second"]
        ),
        "ratio_vs_echo": quotient(
            closer[CLOSED]["bot_api_calls_per_second"], echo[CLOSED]["bot_api_calls_per_second"]
        ),
        "cpu_per_call_ratio_vs_echo": quotient(
            closer[CLOSED]["cpu_ms_per_call"], echo[CLOSED]["cpu_ms_per_call"]
        ),
        "p99_ms_open_50": closer[OPEN]["p99_ms"],
        "p99_ratio_vs_echo_open_50": quotient(closer[OPEN]["p99_ms"], echo[OPEN]["p99_ms"]),
        # the first message of the reply (for the results step, the first of several)
        "first_reply_p99_ratio_vs_echo_open_50": quotient(
            closer[OPEN]["first_reply_p99_ms"], echo[OPEN]["first_reply_p99_ms"]
        ),
    }
    if OPEN in same:
        out["p99_ratio_vs_conversationhandler_same_transport_open_50"] = quotient(
            closer[OPEN]["p99_ms"], same[OPEN]["p99_ms"]
        )
    if OPEN in usual:
        out["p99_ratio_vs_conversationhandler_open_50"] = quotient(
            closer[OPEN]["p99_ms"], usual[OPEN]["p99_ms"]
        )
    if "closed_500" in closer:
        out["ratio_vs_conversationhandler_same_transport_500"] = quotient(
            closer["closed_500"]["events_per_second"], same["closed_500"]["events_per_second"]
        )
        out["ratio_vs_echo_500"] = quotient(
            closer["closed_500"]["bot_api_calls_per_second"],
            echo["closed_500"]["bot_api_calls_per_second"],
        )
    if BEFORE in results:
        before = results[BEFORE]
        out["after_over_before"] = {
            load: {
                "events_per_second": quotient(
                    closer[load]["events_per_second"], before[load]["events_per_second"]
                ),
                "p99_ms": quotient(closer[load]["p99_ms"], before[load]["p99_ms"]),
                "cpu_ms_per_event": quotient(
                    closer[load]["cpu_ms_per_event"], before[load]["cpu_ms_per_event"]
                ),
            }
            for load in (OPEN, CLOSED)
        }
    for key in ("calls_per_event", "messages_per_event", "cpu_ms_per_event"):
        out[key] = {target: results[target][CLOSED][key] for target in TARGETS}
    out["memory"] = {
        name: {target: results[target][name] for target in TARGETS}
        for name in ("idle_rss_mb", "load_rss_mb")
    }
    return out


def rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    """The dialogue figures as terminal table rows: each load, the per-event costs, ratios."""
    out: list[tuple[str, str]] = []
    for target in (*TARGETS, *([BEFORE] if BEFORE in results else [])):
        for load, figures in results[target].items():
            if not isinstance(figures, dict):
                continue
            out.append(
                (
                    f"{target} {load}",
                    f"{figures['events_per_second']} events/s, "
                    f"{figures['bot_api_calls_per_second']} calls/s, "
                    f"p50/p99 {figures['p50_ms']}/{figures['p99_ms']} ms, "
                    f"cpu bot/stand-in/load {figures['cpu_share']['bot']}/"
                    f"{figures['cpu_share']['standin']}/{figures['cpu_share']['load_generator']}",
                )
            )
    out.append(("per event (closed, 50 people)", "calls / messages / bot CPU ms / CPU ms a call"))
    for target in TARGETS:
        figures = results[target][CLOSED]
        out.append(
            (
                f"  {target}",
                f"{figures['calls_per_event']} / {figures['messages_per_event']} / "
                f"{figures['cpu_ms_per_event']} / {figures['cpu_ms_per_call']}   "
                f"{_methods(figures['calls_by_method_per_event'])}",
            )
        )
    out.append(("memory (MB)", "idle after start / peak after the 50-person loads"))
    for target in TARGETS:
        out.append(
            (f"  {target}", f"{results[target]['idle_rss_mb']} / {results[target]['load_rss_mb']}")
        )
    out.append(("ratios (each against a baseline in this run)", ""))
    keyed: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("  events/s over ConversationHandler, same transport", lambda r: r.get(
            "ratio_vs_conversationhandler_same_transport")),
        ("  events/s over ConversationHandler, PTB default transport", lambda r: r.get(
            "ratio_vs_conversationhandler")),
        ("  calls/s over echo", lambda r: r.get("ratio_vs_echo")),
        ("  CPU per call over echo", lambda r: r.get("cpu_per_call_ratio_vs_echo")),
        ("  p99 open 50 over echo", lambda r: r.get("p99_ratio_vs_echo_open_50")),
        ("  p99 of the first reply message, open 50, over echo", lambda r: r.get(
            "first_reply_p99_ratio_vs_echo_open_50")),
        ("  p99 open 50 over ConversationHandler, same transport", lambda r: r.get(
            "p99_ratio_vs_conversationhandler_same_transport_open_50")),
        ("  p99 open 50 over ConversationHandler, PTB default", lambda r: r.get(
            "p99_ratio_vs_conversationhandler_open_50")),
    ]  # fmt: skip
    out += [(name, str(get(results))) for name, get in keyed]
    return out


def _methods(per_event: dict[str, float]) -> str:
    return ", ".join(f"{method} {count}" for method, count in per_event.items())


def main(argv: list[str] | None = None) -> int:
    """Runs the dialogue benchmark and records it under ``dialogue`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    parser.add_argument(
        "--only", choices=TARGETS, action="append", help="these targets alone, not recorded"
    )
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.quick, args.only))
    if args.only:
        for target in args.only:
            print(target, results[target])
        return 0
    merge("dialogue", results)
    print("Conversations through the stand-in (bots, stand-in and load in separate processes):")
    print(table(rows(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
