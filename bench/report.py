"""Where benchmark figures go: one JSON summary, merged section by section, and a table."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "latest.json"


def machine() -> dict[str, Any]:
    """What the figures were measured on, so ratios are read against the right hardware."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def merge(section: str, figures: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Writes one section of the summary, keeping the others from earlier runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {}
    if path.exists():
        summary = json.loads(path.read_text(encoding="utf-8"))
    summary[section] = figures
    summary["machine"] = machine()
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def merge_headline(
    figures: dict[str, Any], *, quick: bool, seconds: float, path: Path = RESULTS
) -> None:
    """Writes the headline figures under their flat dotted keys, and how the run went."""
    summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    summary.update(figures)
    summary["run"] = {"quick": quick, "seconds": round(seconds), "at": _now()}
    summary["machine"] = machine()
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def table(rows: list[tuple[str, str]]) -> str:
    """A two-column text table for the terminal."""
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name.ljust(width)}  {value}" for name, value in rows)
