"""``make bench``: every benchmark in turn, one summary file, one table of the headlines.

    python -m bench                 # the full run (about eight minutes on two cores)
    python -m bench --quick         # a reduced run, under three minutes (QUICK=1 too)
    python -m bench --only dialogue # one section; the others keep their last figures

Each section runs in a fresh Python process (``python -m bench.dialogue``, which also works
on its own), so no section measures with another's heap: a load generator that had kept
the engine benchmark's garbage paid for it in its own collector pauses, which showed up as
the bot's p99. The summary is
``bench/results/latest.json``: one object per section, plus the headline figures under
flat dotted keys (``dialogue.ratio_vs_echo``...) so a script can read them in one step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.report import RESULTS, merge_headline, table

#: Each section's arguments for (full, quick) runs; ``python -m bench.<section>`` runs it.
SECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "engine": ([], ["--conversations", "500"]),
    "storage": ([], ["--users", "50"]),
    "standin": ([], ["--seconds", "2"]),
    "dialogue": ([], ["--quick"]),
    "startup": ([], ["--quick"]),
    "broadcast": ([], ["--quick"]),
    "safety": ([], ["--rounds", "5"]),
}

#: The figures the README and BENCHMARKS.md quote: (key, section, path, what it is, goal).
HEADLINES: list[tuple[str, str, tuple[str, ...], str, str]] = [
    ("dialogue.ratio_vs_echo", "dialogue", ("ratio_vs_echo",),
     "Bot API calls/s, Closer over the echo bot", ">= 0.8"),
    ("dialogue.ratio_vs_conversationhandler", "dialogue", ("ratio_vs_conversationhandler",),
     "user events/s, Closer over ConversationHandler", ">= 1.5"),
    ("dialogue.p99_ms_open_50", "dialogue", ("p99_ms_open_50",),
     "p99 latency, 50 people at their own pace (ms)", "< 20"),
    ("startup_100k.seconds", "startup_100k", ("seconds",),
     "first reply after start, 100k sessions (s)", "< 2"),
    ("startup_100k.peak_rss_mb", "startup_100k", ("peak_rss_mb",),
     "peak memory, 100k sessions (MB)", "< 150"),
    ("broadcast.ratio_of_limit_30", "broadcast", ("ratio_of_limit_30",),
     "broadcast rate over a 30/s limit", ">= 0.95"),
    ("broadcast.ratio_of_limit_1000", "broadcast", ("ratio_of_limit_1000",),
     "broadcast rate over min(1000/s, bare PTB)", ">= 0.95"),
    ("broadcast.peak_rss_mb_100k", "broadcast", ("peak_rss_mb_100k",),
     "broadcast peak memory, 100k subscribers (MB)", "flat"),
    ("broadcast.peak_rss_mb_1m", "broadcast", ("peak_rss_mb_1m",),
     "broadcast peak memory, 1M subscribers (MB)", "flat"),
    ("safety.recall", "safety", ("recall",),
     "danger messages of the corpus that get help", ">= 0.99"),
    ("safety.false_alarm_rate", "safety", ("false_alarm_rate",),
     "ordinary messages of the corpus that get help", "<= 0.03"),
    ("safety.us_per_message", "safety", ("us_per_message",),
     "danger check per message, words seen before (us)", "reported"),
]  # fmt: skip


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, read from the sections (None where a section has not run)."""
    figures: dict[str, Any] = {}
    for key, section, path, _, _ in HEADLINES:
        value: Any = summary.get(section)
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        figures[key] = value
    return figures


def main(argv: list[str] | None = None) -> int:
    """Runs the chosen sections, then prints the headline table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for name in args.only or list(SECTIONS):
        full, quick = SECTIONS[name]
        print(f"\n== {name} ==", flush=True)
        section_started = time.perf_counter()
        command = [sys.executable, "-m", f"bench.{name}", *(quick if args.quick else full)]
        status = subprocess.run(command, check=False).returncode
        if status:
            print(f"bench.{name} failed (exit status {status})", file=sys.stderr)
            return status
        print(f"   ({time.perf_counter() - section_started:.0f} s)", flush=True)
    summary = json.loads(RESULTS.read_text(encoding="utf-8"))
    figures = headline(summary)
    merge_headline(figures, quick=args.quick, seconds=time.perf_counter() - started)
    print(f"\n== headlines ({'quick' if args.quick else 'full'} run; {RESULTS}) ==")
    rows = [
        (key, f"{figures[key]}   goal {goal}   ({what})") for key, _, _, what, goal in HEADLINES
    ]
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
