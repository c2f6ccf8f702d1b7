"""Where the bot's memory goes at start-up: each part's share, and what is left for later.

A fresh Python process imports what ``python -m bot`` imports, one part after another in
the bot's own order, and reads its resident memory (psutil) and the time each part took
after each step; the content and the danger lexicons are loaded as the bot loads them.
Then the parts the bot imports only when first used (Alembic when the database is behind,
Pillow when a picture or chart is drawn, aiohttp's server in webhook mode, the PostgreSQL
driver on PostgreSQL) are imported too, to show what start-up leaves out. Each share
counts what that part adds beyond the parts before it (a library they share is counted
once, where it is first imported), so the shares add up to the whole.

    python -m bench.memory          # the table, recorded under "memory" in latest.json
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

# Nothing else at module level: the measuring process imports this module first, and
# whatever it imports would be counted as "Python itself".
ROOT = Path(__file__).resolve().parents[1]
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 1e6

#: What start-up imports, in the bot's order: (what it is, modules).
AT_START: list[tuple[str, tuple[str, ...]]] = [
    ("python-telegram-bot (and httpx, which it imports)", ("telegram", "telegram.ext")),
    ("SQLAlchemy (core, ORM, asyncio) and aiosqlite", ("sqlalchemy.ext.asyncio", "sqlalchemy.orm",
                                                      "aiosqlite")),
    ("aiohttp (the client: the bot's transport)", ("aiohttp",)),
    ("pydantic and pydantic-settings", ("pydantic", "pydantic_settings")),
    ("PyYAML, transitions, snowballstemmer, rapidfuzz", ("yaml", "transitions", "snowballstemmer",
                                                         "rapidfuzz")),
    ("Closer's code (bot, storage, dialogs)", ("bot.app",)),
    ("the content and the danger lexicons, loaded", ()),
]  # fmt: skip
#: What the bot imports only when it needs it.
LATER: list[tuple[str, tuple[str, ...]]] = [
    ("Alembic (only when the database is behind)", ("alembic.command", "storage.migrate")),
    ("Pillow (only when a picture or chart is drawn)", ("PIL.Image", "PIL.ImageDraw")),
    ("aiohttp's server (only in webhook mode)", ("aiohttp.web",)),
    ("asyncpg (only on PostgreSQL)", ("asyncpg",)),
]


def _rss_mb() -> float:
    """This process's resident memory, read from /proc (psutil would count itself)."""
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_MB


def measure_here() -> list[dict[str, Any]]:
    """Imports part after part in this process; what each added (run in a fresh process)."""
    rows = [{"part": "Python itself", "mb": round(_rss_mb(), 1), "ms": 0.0, "later": False}]
    before = _rss_mb()
    for later, parts in ((False, AT_START), (True, LATER)):
        for name, modules in parts:
            started = time.perf_counter()
            for module in modules:
                importlib.import_module(module)
            if not modules:
                _load_content()
            seconds = time.perf_counter() - started
            after = _rss_mb()
            rows.append(
                {
                    "part": name,
                    "mb": round(after - before, 1),
                    "ms": round(seconds * 1000),
                    "later": later,
                }
            )
            before = after
    return rows


def _load_content() -> None:
    from dialogs import default_engine
    from dialogs.safety import default_detector

    default_engine()
    default_detector()


def measure() -> dict[str, Any]:
    """Runs the measurement in a fresh interpreter and sums it up."""
    import subprocess

    output = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = json.loads(output.strip().splitlines()[-1])
    at_start = sum(row["mb"] for row in rows if not row["later"])
    later = sum(row["mb"] for row in rows if row["later"])
    return {
        "parts": rows,
        "imports_at_start_mb": round(at_start, 1),
        "left_for_later_mb": round(later, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Measures, records under ``memory`` in the summary, and prints the table."""
    if argv is None and sys.argv[1:] == ["--child"]:
        print(json.dumps(measure_here()))
        return 0
    import argparse

    from bench.report import merge, table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.parse_args(argv)
    results = measure()
    merge("memory", results)
    print("Resident memory at start-up, part by part (a fresh process, the bot's order):")
    rows = [
        (("  later: " if row["later"] else "  ") + row["part"], f"{row['mb']} MB, {row['ms']} ms")
        for row in results["parts"]
    ]
    rows.append(("imports at start-up, in all", f"{results['imports_at_start_mb']} MB"))
    rows.append(("left for later", f"{results['left_for_later_mb']} MB"))
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
