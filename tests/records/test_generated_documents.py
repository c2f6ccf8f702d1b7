"""BENCHMARKS.md and docs/RELIABILITY.md say exactly what the recorded runs measured.

Their tables are generated from ``bench/results/latest.json`` and
``chaos/results/latest.json``; a hand edit to a table, or a record committed without its
page, fails here, so no figure on those pages can come from anywhere but a recorded run.
"""

from __future__ import annotations

import json

import pytest

from bench import document
from bench.report import RESULTS, load
from chaos.__main__ import RELIABILITY
from chaos.__main__ import RESULTS as CHAOS_RESULTS
from chaos.__main__ import render as render_reliability


def test_benchmarks_page_is_what_the_recorded_run_gives() -> None:
    text = document.DOCUMENT.read_text(encoding="utf-8")
    assert text == document.render(text, load(RESULTS)), "run `python -m bench.document`"


def test_reliability_page_is_what_the_recorded_drills_give() -> None:
    text = RELIABILITY.read_text(encoding="utf-8")
    results = json.loads(CHAOS_RESULTS.read_text(encoding="utf-8"))
    assert text == render_reliability(text, results), "run `make chaos` (or its writer)"


def test_a_block_without_a_renderer_is_refused() -> None:
    with pytest.raises(KeyError, match="nobody renders"):
        document.render("<!-- bench:nonsense -->\n<!-- /bench:nonsense -->\n", {})


def test_a_page_missing_a_block_is_refused() -> None:
    with pytest.raises(KeyError, match="lacks the blocks"):
        document.render("no blocks at all\n", {})


def test_missed_goals_are_marked_as_missed() -> None:
    summary = {"dialogue": {"ratio_vs_conversationhandler_same_transport": 1.2}}
    table = document.headlines(summary)
    row = next(line for line in table.splitlines() if "same transport" in line)
    assert "**missed**" in row
    summary["dialogue"]["ratio_vs_conversationhandler_same_transport"] = 1.6
    row = next(
        line for line in document.headlines(summary).splitlines() if "same transport" in line
    )
    assert "| met |" in row
