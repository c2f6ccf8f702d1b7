"""BENCHMARKS.md, generated: every figure in it comes from ``bench/results/latest.json``.

The file is prose written by hand around blocks marked ``<!-- bench:NAME -->`` ...
``<!-- /bench:NAME -->``; each block is rewritten here from the recorded summary, with the
date, machine and versions of the run that produced it. The prose carries no figures of
its own, so nothing in the file can claim what no recorded run measured; a test checks that
the committed blocks are exactly what this module renders from the committed summary.

    python -m bench.document        # rewrite BENCHMARKS.md from bench/results/latest.json
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.headlines import HEADLINES, ours, read
from bench.report import RESULTS, load

DOCUMENT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
BLOCK = re.compile(r"(<!-- bench:([a-z_-]+) -->\n).*?(<!-- /bench:\2 -->)", re.S)
#: The bots of the dialogue benchmark, as the tables name them.
BOTS = {
    "echo": "echo (aiohttp)",
    "conversationhandler": "ConversationHandler (PTB default transport)",
    "conversationhandler_aiohttp": "ConversationHandler (aiohttp, as Closer)",
    "closer": "**Closer**",
    "closer_before": "Closer before (CLOSER_BEFORE)",
}
LOADS = {
    "open_50": "open, 50",
    "closed_50": "closed, 50",
    "open_500": "open, 500",
    "closed_500": "closed, 500",
    "open_50_after_closed": "open, 50, after the closed loads",
}


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _plain(bot: str) -> str:
    """A bot's name without the bold the tables give Closer."""
    return BOTS.get(bot, bot).strip("*")


def _stamp(section: dict[str, Any] | None) -> str:
    """When and on what a section was measured, in one line."""
    if not isinstance(section, dict) or "measured_at" not in section:
        return "_Not measured yet._\n"
    machine = section.get("machine", {})
    arguments = " ".join(section.get("arguments", [])) or "full"
    return (
        f"_Measured {section['measured_at']} ({arguments}) on {machine.get('cpus')} x "
        f"{machine.get('processor')}, Python {machine.get('python')}._\n\n"
    )


# ---------------------------------------------------------------------------- the blocks


def run(summary: dict[str, Any]) -> str:
    """The run and the machine."""
    run, machine = summary.get("run", {}), summary.get("machine", {})
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(machine.get("libraries", {}).items()) if v)
    storage = summary.get("storage", {})
    postgres = storage.get("postgresql", {}) if isinstance(storage, dict) else {}
    server = postgres.get("server_version") if isinstance(postgres, dict) else None
    sections = ", ".join(run.get("sections", [])) or "none"
    return (
        f"Last run: {run.get('at')} ({'quick' if run.get('quick') else 'full'}, "
        f"{run.get('seconds')} s; sections {sections}).  \n"
        f"Machine: {machine.get('cpus')} x {machine.get('processor')}, "
        f"{machine.get('memory_gib')} GiB, {machine.get('platform')}.  \n"
        f"Python {machine.get('python')}, SQLite {machine.get('sqlite')}, "
        f"PostgreSQL {server or 'not measured'}; {libraries}.\n"
    )


def headlines(summary: dict[str, Any]) -> str:
    """Each headline figure beside its goal, met or missed."""
    rows = []
    for h in HEADLINES:
        value = read(summary, h.section, h.path)
        shown = (
            ", ".join(f"{_plain(bot)} {_cell(figure)}" for bot, figure in value.items())
            if isinstance(value, dict)
            else _cell(value)
        )
        verdict = {True: "met", False: "**missed**", None: ""}[h.met(ours(value))]
        rows.append((h.what, h.goal, shown, verdict))
    return _table(("figure", "goal", "this run", ""), rows)


def dialogue_loads(summary: dict[str, Any]) -> str:
    """Every load of every bot: throughput, latency, and who used the CPU."""
    results = summary.get("dialogue")
    if not isinstance(results, dict):
        return "_Not measured yet._\n"
    rows = []
    for load_key, load_name in LOADS.items():
        for bot, bot_name in BOTS.items():
            figures = results.get(bot, {}).get(load_key)
            if not isinstance(figures, dict):
                continue
            share = figures["cpu_share"]
            rows.append(
                (
                    load_name,
                    bot_name,
                    figures["events_per_second"],
                    figures["bot_api_calls_per_second"],
                    f"{figures['p50_ms']} / {figures['p95_ms']} / {figures['p99_ms']}",
                    f"{figures.get('first_reply_p50_ms')} / {figures.get('first_reply_p99_ms')}",
                    f"{share['bot']} / {share['standin']} / {share['load_generator']}",
                    figures["failures"],
                )
            )
    header = (
        "load",
        "bot",
        "events/s",
        "Bot API calls/s",
        "complete reply p50 / p95 / p99 (ms)",
        "first message p50 / p99 (ms)",
        "CPU: bot / stand-in / people",
        "people who gave up",
    )
    return _stamp(results) + _table(header, rows)


def dialogue_per_event(summary: dict[str, Any]) -> str:
    """What one user event costs each bot (closed loop, 50 people)."""
    results = summary.get("dialogue")
    if not isinstance(results, dict):
        return "_Not measured yet._\n"
    rows = []
    for bot, name in BOTS.items():
        figures = results.get(bot, {}).get("closed_50")
        if isinstance(figures, dict):
            methods = ", ".join(
                f"{method} {count}"
                for method, count in figures["calls_by_method_per_event"].items()
            )
            rows.append(
                (
                    name,
                    figures["calls_per_event"],
                    figures["messages_per_event"],
                    figures["cpu_ms_per_event"],
                    figures["cpu_ms_per_call"],
                    methods,
                )
            )
    header = (
        "bot",
        "Bot API calls",
        "messages sent",
        "bot CPU (ms)",
        "bot CPU per call (ms)",
        "calls by method",
    )
    return _stamp(results) + _table(header, rows)


def dialogue_calls(summary: dict[str, Any]) -> str:
    """Closer's calls per event, each with what it is for."""
    results = summary.get("dialogue")
    if not isinstance(results, dict):
        return "_Not measured yet._\n"
    figures = results.get("closer", {}).get("closed_50", {})
    purposes = results.get("purposes", {})
    rows = [
        (f"`{method}`", count, purposes.get(method, ""))
        for method, count in figures.get("calls_by_method_per_event", {}).items()
    ]
    return _table(("call", "per user event", "what it is for"), rows)


def dialogue_ratios(summary: dict[str, Any]) -> str:
    """Closer against each baseline, every ratio from the same run."""
    results = summary.get("dialogue")
    if not isinstance(results, dict):
        return "_Not measured yet._\n"
    rows = [
        ("ConversationHandler, same transport (aiohttp)", "user events/s, closed, 50",
         results.get("ratio_vs_conversationhandler_same_transport")),
        ("ConversationHandler, same transport (aiohttp)", "user events/s, closed, 500",
         results.get("ratio_vs_conversationhandler_same_transport_500")),
        ("ConversationHandler, same transport (aiohttp)", "p99, open, 50 (lower is better)",
         results.get("p99_ratio_vs_conversationhandler_same_transport_open_50")),
        ("ConversationHandler, PTB's default transport", "user events/s, closed, 50",
         results.get("ratio_vs_conversationhandler")),
        ("ConversationHandler, PTB's default transport", "p99, open, 50 (lower is better)",
         results.get("p99_ratio_vs_conversationhandler_open_50")),
        ("echo", "Bot API calls/s, closed, 50", results.get("ratio_vs_echo")),
        ("echo", "Bot API calls/s, closed, 500", results.get("ratio_vs_echo_500")),
        ("echo", "bot CPU per Bot API call (lower is better)",
         results.get("cpu_per_call_ratio_vs_echo")),
        ("echo", "p99, open, 50 (lower is better)", results.get("p99_ratio_vs_echo_open_50")),
        ("echo", "p99 of the first message of a reply, open, 50 (lower is better)",
         results.get("first_reply_p99_ratio_vs_echo_open_50")),
        *[
            (f"Closer before: {results.get('before_source', '')}", f"{name}, {LOADS[load]}",
             figures.get(name))
            for load, figures in results.get("after_over_before", {}).items()
            for name in ("events_per_second", "p99_ms", "cpu_ms_per_event")
        ],
    ]  # fmt: skip
    return _stamp(results) + _table(("Closer over", "figure", "ratio"), rows)


def memory(summary: dict[str, Any]) -> str:
    """Each bot's memory, and where Closer's goes at start-up."""
    dialogue, parts = summary.get("dialogue"), summary.get("memory")
    out = ""
    if isinstance(dialogue, dict) and "memory" in dialogue:
        rows = [
            (name, dialogue["memory"]["idle_rss_mb"].get(bot),
             dialogue["memory"]["load_rss_mb"].get(bot))
            for bot, name in BOTS.items()
        ]  # fmt: skip
        out += _stamp(dialogue) + _table(
            ("bot", "idle after start (MB)", "after the 50-person loads (MB)"), rows
        )
    if isinstance(parts, dict):
        rows = [
            (("later: " if part["later"] else "") + part["part"], part["mb"], part["ms"])
            for part in parts["parts"]
        ]
        rows.append(("**imported at start-up, in all**", parts["imports_at_start_mb"], ""))
        rows.append(("**left for when it is needed**", parts["left_for_later_mb"], ""))
        out += "\n" + _stamp(parts) + _table(("part", "MB", "import ms"), rows)
    return out or "_Not measured yet._\n"


def engine(summary: dict[str, Any]) -> str:
    """The dialogue engine's event, against the add_model pattern."""
    figures = summary.get("engine")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    rows = [
        ("events timed", figures["events"]),
        ("median per event (µs)", figures["median_us"]),
        ("p95 / p99 (µs)", f"{figures['p95_us']} / {figures['p99_us']}"),
        ("events per second, one core", figures["events_per_second_one_core"]),
        ("baseline: add_model / remove_model per event, median (µs)",
         figures.get("baseline_add_model_median_us")),
        ("baseline p99 (µs)", figures.get("baseline_add_model_p99_us")),
        ("**baseline / engine**", figures["ratio_baseline_over_engine"]),
    ]  # fmt: skip
    return _stamp(figures) + _table(("figure", "value"), rows)


def storage(summary: dict[str, Any]) -> str:
    """One stored event on SQLite and PostgreSQL, with its two baselines."""
    figures = summary.get("storage")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    sqlite, postgres = figures.get("sqlite"), figures.get("postgresql")

    def get(results: Any, key: str) -> Any:
        return results.get(key) if isinstance(results, dict) else None

    keys = [
        ("stored events timed", "events"),
        ("one stored event, median (µs)", "stored_event_median_us"),
        ("one stored event, p95 (µs)", "stored_event_p95_us"),
        ("the engine alone, same events, median (µs)", "engine_alone_median_us"),
        ("engine's share of a stored event", "engine_share_of_stored_event"),
        ("bare commit (one INSERT), median (µs)", "bare_commit_median_us"),
        ("stored event / bare commit", "ratio_stored_event_over_bare_commit"),
        ("events per second, 50 people at once", "events_per_second_50_users_concurrent"),
    ]
    rows = [(name, get(sqlite, key), get(postgres, key)) for name, key in keys]
    note = "" if isinstance(postgres, dict) else f"\nPostgreSQL: {postgres}\n"
    return _stamp(figures) + _table(("figure", "SQLite", "PostgreSQL"), rows) + note


def standin(summary: dict[str, Any]) -> str:
    """The stand-in against a bare aiohttp server."""
    figures = summary.get("standin")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    ours, bare = figures["standin"], figures["bare_aiohttp"]
    rows = [
        ("calls per second", ours["calls_per_second"], bare["calls_per_second"]),
        ("server CPU (share of one core)", ours["server_cpu_share"], bare["server_cpu_share"]),
        ("server CPU per call (ms)", ours["server_cpu_ms_per_call"],
         bare["server_cpu_ms_per_call"]),
        ("**stand-in / bare**", figures["ratio_standin_over_bare"], ""),
    ]  # fmt: skip
    return _stamp(figures) + _table(("figure", "stand-in", "bare aiohttp"), rows)


def safety(summary: dict[str, Any]) -> str:
    """The danger check: its cost per message, and the corpus figures by language."""
    figures = summary.get("safety")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    rows: list[tuple[Any, ...]] = [
        ("messages in the corpus (all languages)", figures["messages"]),
        ("mean words a message", figures["mean_words"]),
        ("median per message, its words met before (µs)", figures["us_per_message"]),
        ("p99 per message (µs)", figures["p99_us_per_message"]),
        ("median per message, every word new (µs)", figures["us_per_message_new_words"]),
    ]
    out = _stamp(figures) + _table(("figure", "value"), rows)
    languages = figures.get("by_language", {})
    if languages:
        rows = []
        for language, scores in languages.items():
            kinds = ", ".join(
                f"{k.replace('_', ' ')} {_cell(v)}" for k, v in scores["by_kind"].items()
            )
            rows.append(
                (
                    language,
                    f"{_cell(scores['recall'])} of {scores['danger_messages']}",
                    f"{_cell(scores['false_alarm_rate'])} of {scores['ordinary_messages']}",
                    kinds,
                )
            )
        out += "\n" + _table(("language", "recall", "false alarms", "recall by kind"), rows)
    return out


def startup(summary: dict[str, Any]) -> str:
    """Start-up with 100,000 stored sessions, against an empty database."""
    figures = summary.get("startup_100k")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    empty, full = figures["empty"], figures["stored_100k"]
    rows = [
        ("database size (MB)", "", figures["database_mb"], ""),
        ("first reply after launch (s)", empty["seconds_to_first_reply"],
         full["seconds_to_first_reply"], figures["ratio_seconds_vs_empty"]),
        ("peak memory right after the first reply (MB)", empty["peak_rss_mb_after_first_reply"],
         full["peak_rss_mb_after_first_reply"], ""),
        ("people who wrote at once, then answered (new / resumed where they were)",
         f"{empty['people_asked_back']} / {empty['people_back']}",
         f"{full['people_asked_back']} / {full['people_back']}", ""),
        ("peak memory once they were answered (MB)", empty["peak_rss_mb"], full["peak_rss_mb"],
         figures["ratio_rss_vs_empty"]),
    ]  # fmt: skip
    header = ("figure", "empty database", f"{figures['sessions']:,} sessions", "ratio")
    return _stamp(figures) + _table(header, rows)


def broadcast(summary: dict[str, Any]) -> str:
    """Broadcast rates against the limit and a bare sender, and memory against the audience."""
    figures = summary.get("broadcast")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    fast, slow = figures["at_1000"], figures["at_30"]
    runs = ", ".join(f"{c} at once: {r}" for c, r in figures["bare_ptb_runs"].items())
    rows = [
        ("bare PTB sender, best of its runs (calls/s)", f"{figures['bare_ptb_rate']} ({runs})"),
        (f"Closer at a 1000/s limit, {fast['recipients']:,} subscribers (sends/s)",
         f"{fast['rate']} ({fast['concurrency']} at once)"),
        ("**rate / min(limit, bare)**", figures["ratio_of_limit_1000"]),
        ("Closer at a 30/s limit (sends/s)", slow["rate"]),
        ("**rate / limit**", figures["ratio_of_limit_30"]),
        (f"peak memory, {fast['recipients']:,} subscribers (MB)", figures["peak_rss_mb_100k"]),
        ("peak memory, 1,000,000 subscribers (MB)", figures.get("peak_rss_mb_1m")),
        ("fixing the recipients, one INSERT ... SELECT (s)", fast["recipients_insert_seconds"]),
    ]  # fmt: skip
    return _stamp(figures) + _table(("figure", "value"), rows)


def fleet(summary: dict[str, Any]) -> str:
    """One process against three on PostgreSQL: the loads, the ratios, the takeover."""
    figures = summary.get("fleet")
    if not isinstance(figures, dict):
        return "_Not measured yet._\n"
    rows = []
    for config, name in (("one", "one process"), ("three", "three processes")):
        for load_key in ("open_50", "closed_50"):
            f = figures[config][load_key]
            share = f["cpu_share"]
            rows.append(
                (
                    LOADS[load_key],
                    name,
                    f["events_per_second"],
                    f"{f['p50_ms']} / {f['p95_ms']} / {f['p99_ms']}",
                    f["cpu_ms_per_event"],
                    f.get("postgres_cpu_ms_per_event"),
                    f"{share['bot']} / {share['standin']} / {share['load_generator']}",
                    f["failures"],
                )
            )
    header = (
        "load",
        "Closer as",
        "events/s",
        "complete reply p50 / p95 / p99 (ms)",
        "bot CPU per event, all processes (ms)",
        "PostgreSQL CPU per event (ms)",
        "CPU: bots / stand-in / people",
        "people who gave up",
    )
    ratios = [
        ("user events/s, closed, 50", figures.get("events_per_second_ratio")),
        (f"bot CPU per event, closed, 50 (goal <= {figures.get('cpu_goal')})",
         figures.get("cpu_per_event_ratio")),
        ("p99, open, 50", figures.get("p99_ratio_open_50")),
    ]  # fmt: skip
    takeovers = ", ".join(_cell(s) for s in figures.get("takeover_seconds", []))
    return (
        _stamp(figures)
        + _table(header, rows)
        + "\n"
        + _table(("three processes over one", "ratio"), ratios)
        + f"\nLeader SIGKILLed, until another process began a getUpdates (s): {takeovers}. "
        f"PostgreSQL {figures.get('postgres')}.\n"
    )


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "run": run,
    "headlines": headlines,
    "dialogue-loads": dialogue_loads,
    "dialogue-per-event": dialogue_per_event,
    "dialogue-calls": dialogue_calls,
    "dialogue-ratios": dialogue_ratios,
    "memory": memory,
    "engine": engine,
    "storage": storage,
    "standin": standin,
    "safety": safety,
    "startup": startup,
    "broadcast": broadcast,
    "fleet": fleet,
}


def render(text: str, summary: dict[str, Any]) -> str:
    """The document with every block rewritten from ``summary``."""
    found: set[str] = set()

    def block(match: re.Match[str]) -> str:
        name = match[2]
        if name not in RENDERERS:
            raise KeyError(f"BENCHMARKS.md has a block nobody renders: {name}")
        found.add(name)
        return match[1] + RENDERERS[name](summary) + match[3]

    rendered = BLOCK.sub(block, text)
    missing = set(RENDERERS) - found
    if missing:
        raise KeyError(f"BENCHMARKS.md lacks the blocks: {', '.join(sorted(missing))}")
    return rendered


def write_document(summary: dict[str, Any] | None = None, path: Path = DOCUMENT) -> Path:
    """Rewrites the blocks of BENCHMARKS.md from the summary (the recorded one by default)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(render(text, summary if summary is not None else load()), encoding="utf-8")
    return path


def main() -> int:
    """Rewrites BENCHMARKS.md from bench/results/latest.json."""
    print(f"{write_document()} rewritten from {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
