"""Where benchmark figures go: one JSON summary, merged section by section, and a table.

Every section is stamped with when it was measured and on what (the machine, Python,
SQLite, and the libraries whose speed the figures depend on), so a figure can always be
traced to the run that produced it; BENCHMARKS.md is generated from this file
(``bench/document.py``), never typed by hand.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "latest.json"
#: Libraries whose versions the figures depend on.
LIBRARIES = ("python-telegram-bot", "SQLAlchemy", "aiosqlite", "asyncpg", "aiohttp", "transitions")


def machine() -> dict[str, Any]:
    """What the figures were measured on, so ratios are read against the right hardware."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model() or platform.processor() or platform.machine(),
        "memory_gib": _memory_gib(),
        "sqlite": sqlite3.sqlite_version,
        "libraries": {name: _version(name) for name in LIBRARIES},
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def now() -> str:
    """The current time as the records write it."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def load(path: Path = RESULTS) -> dict[str, Any]:
    """The summary as recorded so far (empty if nothing was)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save(summary: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def merge(section: str, figures: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Writes one section of the summary, stamped, keeping the others from earlier runs."""
    summary = load(path)
    summary[section] = {
        **figures,
        "measured_at": now(),
        "arguments": sys.argv[1:],  # what the section ran with: a reduced run says so
        "machine": machine(),
    }
    _save(summary, path)
    return summary


def merge_headline(
    figures: dict[str, Any],
    *,
    quick: bool,
    seconds: float,
    sections: list[str],
    path: Path = RESULTS,
) -> dict[str, Any]:
    """Writes the headline figures under their flat dotted keys, and how the run went."""
    summary = load(path)
    summary.update(figures)
    summary["run"] = {"quick": quick, "seconds": round(seconds), "at": now(), "sections": sections}
    summary["machine"] = machine()
    _save(summary, path)
    return summary


def table(rows: list[tuple[str, str]]) -> str:
    """A two-column text table for the terminal."""
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name.ljust(width)}  {value}" for name, value in rows)
