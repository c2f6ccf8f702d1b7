"""How long one dialogue-engine event takes, against the slow path the style guide warns of.

Drives complete conversations (buttons, typed text, back, more, help, stale presses)
through one shared engine and times every ``apply`` call. The baseline, in the same
process, is the same event on a ``transitions`` machine built afresh per event, the
"machine per user" pattern; the ratio says what sharing one machine buys.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from transitions import Machine

from bench.report import merge, table
from dialogs import default_engine
from dialogs.content_model import Action, StepKind
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Begin, Choose, Event, Say
from dialogs.snapshot import Snapshot


def conversation_events(engine: DialogueEngine, variant: int) -> Callable[[Snapshot | None], Event]:
    """A scripted user: mostly buttons, with typed answers, detours and a stale press mixed in."""
    script: list[str] = []

    def next_event(snapshot: Snapshot | None) -> Event:
        if snapshot is None:
            return Begin()
        step = engine.content.step(snapshot.state)
        count = len(script)
        script.append(step.id)
        if step.kind is StepKind.QUESTION and count % 7 == 3:
            return Act(Action.MORE, snapshot.seq)
        if count % 11 == 5:
            return Act(Action.HELP)
        if count % 13 == 9:
            return Choose(step.options[0].id, max(0, snapshot.seq - 1))  # a stale double tap
        option = step.options[(variant + count) % len(step.options)]
        if option.action is not None and step.kind is not StepKind.END:
            option = step.options[0]
        if count % 5 == 2:
            return Say(option.label.upper())
        return Choose(option.id, snapshot.seq)

    return next_event


def run_conversations(engine: DialogueEngine, count: int) -> list[int]:
    """Times every event of ``count`` conversations; returns nanoseconds per event."""
    timings: list[int] = []
    for variant in range(count):
        events = conversation_events(engine, variant)
        snapshot: Snapshot | None = None
        for _ in range(60):
            event = events(snapshot)
            started = time.perf_counter_ns()
            turn = engine.apply(snapshot, event, name="Sam")
            timings.append(time.perf_counter_ns() - started)
            snapshot = turn.snapshot
            if engine.content.step(snapshot.state).kind is StepKind.END:
                break
    return timings


def machine_per_event_baseline(engine: DialogueEngine, count: int) -> list[int]:
    """The same advance, but building a ``transitions.Machine`` for every event."""
    definition = engine.machine.definition
    states = [step.id for step in engine.content.steps if step.kind is StepKind.QUESTION]
    timings: list[int] = []

    class Model:
        def __init__(self, state: str) -> None:
            self.state = state
            self.history: list[str] = []

        def push_source(self, event: object) -> None:
            self.history.append(self.state)

        def pop_previous(self, event: object) -> None: ...

        def clear_history(self, event: object) -> None: ...

        def came_from(self, event: object) -> bool:
            return False

    for index in range(count):
        state = states[index % len(states)]
        started = time.perf_counter_ns()
        model = Model(state)
        Machine(model=model, **{**definition, "initial": state})
        model.trigger("advance", option_id="")  # type: ignore[attr-defined]
        timings.append(time.perf_counter_ns() - started)
    return timings


def percentile(values: list[int], share: float) -> float:
    """The value below which ``share`` of the sorted values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Runs the engine benchmark and records it under ``engine`` in the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000)
    args = parser.parse_args(argv)
    engine = default_engine()
    run_conversations(engine, 50)  # warm up caches and the interpreter
    timings = run_conversations(engine, args.conversations)
    baseline = machine_per_event_baseline(engine, 2000)
    median_us = statistics.median(timings) / 1000
    baseline_us = statistics.median(baseline) / 1000
    figures = {
        "events": len(timings),
        "median_us": round(median_us, 1),
        "p95_us": round(percentile(timings, 0.95) / 1000, 1),
        "p99_us": round(percentile(timings, 0.99) / 1000, 1),
        "events_per_second_one_core": round(1e9 / statistics.mean(timings)),
        "baseline_machine_per_event_median_us": round(baseline_us, 1),
        "ratio_baseline_over_engine": round(baseline_us / median_us, 1),
    }
    merge("engine", figures)
    print("Dialogue engine, one event (apply), single process:")
    print(table([(key, str(value)) for key, value in figures.items()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
