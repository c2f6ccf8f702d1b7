"""The dialogue's state machine, built with ``transitions`` from the content file.

The machine is data: one state per step, and four kinds of transition generated from the
content (``advance`` along an answer, ``skip`` past a question, ``back`` along the path the
user took, ``restart`` from anywhere). One machine serves every conversation: each event
borrows a throwaway model holding that conversation's state and path, moves it, and hands
it back. The model is moved through ``machine.events[...].trigger(model)`` rather than
``add_model``/``remove_model``: binding the ~80 convenience methods ``add_model`` adds cost
40% of an event (see BENCHMARKS.md), and nothing here uses them.

Whatever the machine refuses (skipping the welcome, going back from the first step) is
refused for everyone, so no event can reach a state the content does not define.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from transitions import EventData, Machine, MachineError

from dialogs.content_model import Content, StepKind


class Trigger(StrEnum):
    """The machine's events; names are defined once, here."""

    ADVANCE = "advance"
    SKIP = "skip"
    BACK = "back"
    RESTART = "restart"
    REVISIT = "revisit"  # the check-in: from the end back to its section's first question


@dataclass(frozen=True, slots=True)
class OptionChosen:
    """Condition on ``advance``: the user picked this option (one with its own ``next``)."""

    option_id: str

    def __call__(self, event: EventData) -> bool:
        return bool(event.kwargs.get("option_id") == self.option_id)

    def __str__(self) -> str:
        return f"chose {self.option_id}"


class _Conversation:
    """The model ``transitions`` moves for one event: a state and the path that led there."""

    def __init__(self, state: str, history: Sequence[str]) -> None:
        self.state = state
        self.history = list(history)

    def push_source(self, event: EventData) -> None:
        """Remembers where we came from, so "back" can return there."""
        assert event.transition is not None  # transitions sets it before any callback runs
        self.history.append(event.transition.source)

    def pop_previous(self, _event: EventData) -> None:
        """Forgets the step we just went back to, so "back" again goes one further."""
        self.history.pop()

    def clear_history(self, _event: EventData) -> None:
        """A restart leaves nothing behind to go back to."""
        self.history.clear()

    def came_from(self, event: EventData) -> bool:
        """Condition on ``back``: this predecessor is the step the user actually came from."""
        assert event.transition is not None
        return bool(self.history) and self.history[-1] == event.transition.dest


@dataclass(frozen=True, slots=True)
class Move:
    """Where a trigger took a conversation, or ``moved=False`` if the machine refused it."""

    moved: bool
    state: str
    history: tuple[str, ...]


class DialogueMachine:
    """One ``transitions.Machine`` for all conversations of one content."""

    def __init__(self, content: Content) -> None:
        self.definition = machine_definition(content)
        self._machine = Machine(model=None, **self.definition)

    @property
    def machine(self) -> Machine:
        """The underlying ``transitions`` machine (read it, do not move models on it)."""
        return self._machine

    def fire(self, trigger: Trigger, state: str, history: Sequence[str], **kwargs: Any) -> Move:
        """Fires a trigger for one conversation; never raises for a move the machine refuses."""
        model = _Conversation(state, history)
        try:
            moved = bool(self._machine.events[trigger.value].trigger(model, **kwargs))
        except MachineError:
            moved = False
        return Move(moved=moved, state=model.state, history=tuple(model.history))

    def triggers_from(self, state: str) -> set[str]:
        """The triggers the machine accepts from a state (conditions aside)."""
        return set(self._machine.get_triggers(state))


def machine_definition(content: Content) -> dict[str, Any]:
    """States and transitions as plain data, the way ``transitions`` documents machines."""
    transitions: list[dict[str, Any]] = []
    predecessors: dict[str, set[str]] = {step.id: set() for step in content.steps}
    for step in content.steps:
        default_next = content.next_step_id(step)
        for option in step.options:
            if option.action is None and option.next is not None and option.next != default_next:
                transitions.append(
                    _forward(Trigger.ADVANCE, step.id, option.next, OptionChosen(option.id))
                )
                predecessors[option.next].add(step.id)
        movable = [option for option in step.options if option.action is None]
        if default_next is not None and any(o.next in (None, default_next) for o in movable):
            transitions.append(_forward(Trigger.ADVANCE, step.id, default_next))
            predecessors[default_next].add(step.id)
        if step.kind is StepKind.QUESTION and step.skippable and default_next is not None:
            transitions.append(_forward(Trigger.SKIP, step.id, default_next))
            predecessors[default_next].add(step.id)
    for step_id, sources in predecessors.items():
        for source in sorted(sources):
            transitions.append(
                {
                    "trigger": Trigger.BACK.value,
                    "source": step_id,
                    "dest": source,
                    "conditions": "came_from",
                    "after": "pop_previous",
                }
            )
    revisited = next(s.id for s in content.steps if s.section == content.checkin.section)
    for step in content.steps:
        if step.kind is StepKind.END:
            transitions.append(_forward(Trigger.REVISIT, step.id, revisited))
    transitions.append(
        {
            "trigger": Trigger.RESTART.value,
            "source": "*",
            "dest": content.first_step.id,
            "after": "clear_history",
        }
    )
    return {
        "states": [step.id for step in content.steps],
        "transitions": transitions,
        "initial": content.first_step.id,
        "auto_transitions": False,
        "send_event": True,
        "ignore_invalid_triggers": False,
    }


def _forward(trigger: Trigger, source: str, dest: str, *conditions: OptionChosen) -> dict[str, Any]:
    transition: dict[str, Any] = {
        "trigger": trigger.value,
        "source": source,
        "dest": dest,
        "after": "push_source",
    }
    if conditions:
        transition["conditions"] = list(conditions)
    return transition
