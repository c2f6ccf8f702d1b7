"""``make bench``: every benchmark in turn, one summary file, one table of the headlines.

    python -m bench                 # the full run (about a quarter of an hour on two cores)
    python -m bench --quick         # a reduced run, a few minutes (QUICK=1 too)
    python -m bench --only dialogue # one section; the others keep their last figures

Each section runs in a fresh Python process (``python -m bench.dialogue``, which also works
on its own), so no section measures with another's heap: a load generator that had kept
the engine benchmark's garbage paid for it in its own collector pauses, which showed up as
the bot's p99. The summary is ``bench/results/latest.json``: one object per section
(stamped with when and on what it was measured), plus the headline figures under flat
dotted keys (``dialogue.ratio_vs_echo``...) so a script can read them in one step. At the
end BENCHMARKS.md is regenerated from it (``bench/document.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench.document import write_document
from bench.headlines import HEADLINES, headline, ours
from bench.report import RESULTS, load, merge_headline, table

#: Each section's arguments for (full, quick) runs; ``python -m bench.<section>`` runs it.
SECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "engine": ([], ["--conversations", "500"]),
    "storage": ([], ["--users", "50"]),
    "standin": ([], ["--seconds", "2"]),
    "memory": ([], []),
    "dialogue": ([], ["--quick"]),
    "startup": ([], ["--quick"]),
    "broadcast": ([], ["--quick"]),
    "safety": ([], ["--rounds", "5"]),
    "fleet": ([], ["--quick"]),
}


def main(argv: list[str] | None = None) -> int:
    """Runs the chosen sections, then prints the headline table and rewrites BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("QUICK")))
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    chosen = args.only or list(SECTIONS)
    for name in chosen:
        full, quick = SECTIONS[name]
        print(f"\n== {name} ==", flush=True)
        section_started = time.perf_counter()
        command = [sys.executable, "-m", f"bench.{name}", *(quick if args.quick else full)]
        status = subprocess.run(command, check=False).returncode
        if status:
            print(f"bench.{name} failed (exit status {status})", file=sys.stderr)
            return status
        print(f"   ({time.perf_counter() - section_started:.0f} s)", flush=True)
    figures = headline(load())
    summary = merge_headline(
        figures, quick=args.quick, seconds=time.perf_counter() - started, sections=chosen
    )
    print(f"\n== headlines ({'quick' if args.quick else 'full'} run; {RESULTS}) ==")
    rows = []
    for h in HEADLINES:
        value = figures[h.key]
        verdict = {True: "met", False: "MISSED", None: ""}[h.met(ours(value))]
        rows.append((h.key, f"{value}   goal {h.goal} {verdict}   ({h.what})"))
    print(table(rows))
    written = write_document(summary)
    print(f"\n{written} rewritten from {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
