"""``make chaos``: every fault drill, figures into docs/RELIABILITY.md.

    python -m chaos           # the full drills (a few minutes on two cores)
    python -m chaos --quick   # the reduced drills (``make test`` runs the same, as tests)

The read-only drill needs PostgreSQL: CHAOS_DATABASE_URL, or else TEST_DATABASE_URL
(``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); it creates and drops a database.

The figures block of docs/RELIABILITY.md (between its markers) is rewritten from the run,
and the raw figures go to chaos/results/latest.json. Exits non-zero if any drill fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from bench.report import machine, now
from chaos.drills import run_all
from chaos.verdict import failures

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "chaos" / "results" / "latest.json"
RELIABILITY = ROOT / "docs" / "RELIABILITY.md"
BLOCK = re.compile(r"(<!-- figures:start -->\n).*?(<!-- figures:end -->)", re.S)


def figures_block(results: dict[str, Any]) -> str:
    """The Markdown table of one recorded run's figures (``chaos/results/latest.json``)."""
    kills, faults, fuzz, database = (
        results["kills"], results["faults"], results["fuzz"], results["database"]
    )  # fmt: skip
    injected = sum(faults["faults_injected"].values())
    rows = [
        ("Kills (SIGKILL, restart)", f"{kills['kills']} "
         f"({kills['kills_while_people_were_mid_way']} with people mid-way), "
         f"{kills['people']} people"),
        ("  people finished / audit problems", f"{kills['finished']} / "
         f"{kills['audit']['problems']}"),
        ("  answers stored (once each)", str(kills["audit"]["answers_stored"])),
        ("  updates picked up from the inbox after a kill",
         str(kills["left_over_updates_handled"])),
        ("  replies lost (person asked again)", str(kills["replies_lost_then_asked_again"])),
        ("  calls delivered by the next start (committed before a kill)",
         str(kills["calls_taken_over"])),
        ("  questions read twice in a row, per kill (bound per kill)",
         f"{kills['doubled_per_kill']} (≤ {kills['in_flight_bound']})"),
        ("Bot API faults injected", f"{injected} {faults['faults_injected']} at rate "
         f"{faults['fault_rate']}, {faults['people']} people"),
        ("  people finished / audit problems", f"{faults['finished']} / "
         f"{faults['audit']['problems']}"),
        ("  replies lost (person asked again)", str(faults["replies_lost_then_asked_again"])),
        ("  questions read twice in a row / sends tried again ('may arrive twice')",
         f"{faults['doubled']} / {faults['send_retries_that_may_double']}"),
        ("Updates fuzzed", f"{fuzz['updates_fuzzed']} ({len(fuzz['by_kind'])} kinds)"),
        ("  bot stayed up / unhandled errors logged", f"{fuzz['bot_stayed_up']} / "
         f"{fuzz['unhandled_in_log']}"),
        ("  chats owed an answer / left unanswered", f"{fuzz['chats_owed_an_answer']} / "
         f"{fuzz['chats_left_unanswered']}"),
        ("  forged button taps / answered", f"{fuzz['forged_taps']} / "
         f"{fuzz['forged_taps_answered']}"),
        ("Database locked by another process", f"{database['outage_seconds']} s, "
         f"{database['people']} people"),
        ("  people told to try again / finished / audit problems",
         f"{database['people_told_to_try_again']} / {database['finished']} / "
         f"{database['audit']['problems']}"),
    ]  # fmt: skip
    if "limits" in results:
        limits = results["limits"]
        quiet, busy = limits["without_broadcast"], limits["with_broadcast"]
        rows += [
            ("Limits: people at a human pace, then with a broadcast",
             f"{limits['people']} people, {limits['audience']:,} recipients; limits "
             f"{limits['overall_limit']:g}/s (+{limits['overall_burst']:g}), "
             f"{limits['chat_limit']:g}/s a chat (+{limits['chat_burst']})"),
            ("  busiest second / chats over their limit / 429s (without; with)",
             f"{quiet['busiest_second']} / {quiet['chats_over_their_limit']} / "
             f"{quiet['answered_429']}; {busy['busiest_second']} / "
             f"{busy['chats_over_their_limit']} / {busy['answered_429']}"),
            ("  median reply without / with the broadcast (ratio)",
             f"{quiet['p50_ms']} / {busy['p50_ms']} ms ({limits['median_ratio']}), "
             f"{busy['broadcast_messages']} broadcast messages meanwhile"),
        ]  # fmt: skip
    if "read_only" in results:
        read_only = results["read_only"]
        rows += [
            ("PostgreSQL read-only", f"{read_only['read_only_seconds']} s, "
             f"{read_only['people']} people"),
            ("  people told to try again / finished / audit problems",
             f"{read_only['people_told_to_try_again']} / {read_only['finished']} / "
             f"{read_only['audit']['problems']}"),
        ]  # fmt: skip
    else:
        rows.append(
            ("PostgreSQL read-only", "not run (no CHAOS_DATABASE_URL or TEST_DATABASE_URL)")
        )
    if "failover" in results:
        failover, deploy = results["failover"], results["deploy"]
        rows += [
            ("Failover: poller SIGKILLed, a replacement started each time",
             f"{failover['kills']} kills among {failover['processes']} processes, "
             f"{failover['people']} people"),
            ("  seconds until another process polled (bound)",
             f"{failover['takeover_seconds']} (≤ {failover['takeover_bound']:g})"),
            ("  people finished / replies later than "
             f"{failover['reply_patience_seconds']:g} s / audit problems",
             f"{failover['finished']} / {failover['replies_lost_then_asked_again']} / "
             f"{failover['audit']['problems']}"),
            ("  calls taken over / questions read twice, per kill (bound per kill)",
             f"{failover['calls_taken_over']} / {failover['doubled_per_kill']} "
             f"(≤ {failover['in_flight_bound']})"),
            ("Rolling deploy: A; B starts; A stops; A starts; B stops",
             f"{deploy['people']} people"),
            ("  finished / replies later than "
             f"{deploy['reply_patience_seconds']:g} s / twice / ERROR lines / audit problems",
             f"{deploy['finished']} / {deploy['replies_lost_then_asked_again']} / "
             f"{deploy['doubled']} / {deploy['error_lines']} / {deploy['audit']['problems']}"),
        ]  # fmt: skip
    webhook = results.get("webhook")
    if webhook is not None and "skipped" in webhook:
        rows.append(("Webhook behind nginx", f"not run ({webhook['skipped']})"))
    elif webhook is not None:
        proxied = webhook["nginx"]
        rows += [
            ("Webhook behind nginx: a process SIGKILLed, a replacement on its port",
             f"{webhook['kills']} kills ({', '.join(webhook['killed'])}) among "
             f"{webhook['processes']} processes, {webhook['people']} people"),
            ("  people finished / replies later than "
             f"{webhook['reply_patience_seconds']:g} s / audit problems",
             f"{webhook['finished']} / {webhook['replies_lost_then_asked_again']} / "
             f"{webhook['audit']['problems']}"),
            ("  nginx: requests / passed to another process / 502s (delivered again)",
             f"{proxied['requests']} / {proxied['passed_to_another_process']} / "
             f"{proxied['answered_502_to_telegram']}"),
            ("  updates taken over / calls taken over / questions read twice, per kill (bound)",
             f"{webhook['updates_taken_over']} / {webhook['calls_taken_over']} / "
             f"{webhook['doubled_per_kill']} (≤ {webhook['in_flight_bound']})"),
        ]  # fmt: skip
    if "broadcast_failover" in results:
        cast = results["broadcast_failover"]
        rows += [
            ("Broadcast: its sender SIGKILLed mid-way",
             f"{cast['audience']:,} subscribers at {cast['broadcast_rate']:g}/s, "
             f"{cast['processes']} processes, killed after {cast['killed_after_copies']:,}"),
            ("  received / missing / twice (bound)",
             f"{cast['received']:,} / {cast['missing']} / {cast['doubled']} "
             f"(≤ {cast['double_bound']})"),
            ("  seconds until another process sent again",
             str(cast["seconds_until_sending_again"])),
            ("  busiest second (rate + burst) / most recipients claimed at once (window)",
             f"{cast['busiest_second']} (≤ {cast['broadcast_rate'] + cast['burst']:g}) / "
             f"{cast['most_claimed_at_once']} (≤ {cast['double_bound']})"),
        ]  # fmt: skip
    machine = results["machine"]
    head = (
        f"Last run: {results['at']}, {'reduced (--quick)' if results['quick'] else 'full'}, "
        f"{results['seconds']:.0f} s, on {machine['cpus']} x {machine['processor']}, "
        f"Python {machine['python']}, SQLite {machine.get('sqlite')}"
        f"{', PostgreSQL ' + results['postgresql'] if results.get('postgresql') else ''}."
        "\n\n| Drill | Figure |\n|---|---|\n"
    )
    return head + "".join(f"| {name} | {value} |\n" for name, value in rows)


def render(text: str, results: dict[str, Any]) -> str:
    """docs/RELIABILITY.md with its figures block rewritten from ``results``."""
    return BLOCK.sub(lambda m: m[1] + figures_block(results) + m[2], text)


def write_document(results: dict[str, Any]) -> None:
    """Rewrites the figures block of docs/RELIABILITY.md from a recorded run."""
    RELIABILITY.write_text(
        render(RELIABILITY.read_text(encoding="utf-8"), results), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    """Runs the drills, records the figures and says which checks failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    postgres = os.environ.get("CHAOS_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    results = run_all(args.quick, postgres or None)
    results.update(
        quick=args.quick,
        at=now(),
        seconds=round(time.perf_counter() - started),
        machine=machine(),
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(figures_block(results))
    write_document(results)
    problems = failures(results)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
