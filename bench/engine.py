"""How long one dialogue-engine event takes, against the pattern transitions documents.

Drives complete conversations (buttons, typed text, back, more, help, stale presses)
through one shared engine and times every ``apply`` call. The baseline, in the same
process and on the same conversations, is the same engine with one difference: its machine
moves each conversation the way the ``transitions`` README shows for many models (one
machine, ``add_model`` for the event, ``remove_model`` after), where the shipped machine
fires the event's trigger on a throwaway model (``dialogs/machine.py``). The ratio says
what that buys, measured on whole events rather than on the firing alone.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from transitions import MachineError

from bench.report import merge, table
from dialogs import default_engine
from dialogs.content_model import Action, StepKind
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Begin, Choose, Event, Say
from dialogs.machine import DialogueMachine, Move, Trigger, _Conversation
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


class AddModelMachine(DialogueMachine):
    """The dialogue machine fired the way the ``transitions`` docs show for many models:
    one machine, each conversation added as a model for its event and removed after
    (``add_model`` / ``remove_model``). Everything else is the shipped engine's."""

    def fire(self, trigger: Trigger, state: str, history: Sequence[str], **kwargs: Any) -> Move:
        """Adds the conversation as a model, fires the trigger on it, removes it."""
        model = _Conversation(state, history)
        self.machine.add_model(model, initial=state)
        try:
            moved = bool(model.trigger(trigger.value, **kwargs))  # type: ignore[attr-defined]
        except MachineError:
            moved = False
        finally:
            self.machine.remove_model(model)
        return Move(moved=moved, state=model.state, history=tuple(model.history))


def add_model_engine(engine: DialogueEngine) -> DialogueEngine:
    """A copy of the engine whose machine moves conversations with add_model/remove_model."""
    baseline = DialogueEngine(engine.content)
    baseline.machine = AddModelMachine(engine.content)
    return baseline


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
    baseline_engine = add_model_engine(engine)
    run_conversations(baseline_engine, 50)
    timings = run_conversations(engine, args.conversations)
    baseline = run_conversations(baseline_engine, args.conversations)
    median_us = statistics.median(timings) / 1000
    baseline_us = statistics.median(baseline) / 1000
    figures = {
        "events": len(timings),
        "median_us": round(median_us, 1),
        "p95_us": round(percentile(timings, 0.95) / 1000, 1),
        "p99_us": round(percentile(timings, 0.99) / 1000, 1),
        "events_per_second_one_core": round(1e9 / statistics.mean(timings)),
        "baseline_add_model_median_us": round(baseline_us, 1),
        "baseline_add_model_p99_us": round(percentile(baseline, 0.99) / 1000, 1),
        "ratio_baseline_over_engine": round(baseline_us / median_us, 2),
    }
    merge("engine", figures)
    print("Dialogue engine, one event (apply), single process:")
    print(table([(key, str(value)) for key, value in figures.items()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
