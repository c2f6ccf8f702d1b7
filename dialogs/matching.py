"""Understanding typed replies: which option or move, if any, a piece of free text means.

People type on phones: "Yes!", "2", "  start OVER ", "Relaxed and closer to me 🙂",
"sí". Matching ignores case, accents, punctuation and spacing, accepts an option's number,
and only guesses from a longer sentence when exactly one option's words appear in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dialogs.content_model import Action, ActionLabel, Option
from dialogs.normalise import normalise

_NUMBER = re.compile(r"^#?(\d{1,2})[.)]?$")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The normalised phrases of one step's options and of the global actions."""

    options: tuple[tuple[Option, frozenset[str]], ...]
    actions: tuple[tuple[Action, frozenset[str]], ...]

    @classmethod
    def build(cls, options: Iterable[Option], actions: dict[Action, ActionLabel]) -> Vocabulary:
        """Precomputes the phrases once per step, so matching an event is a few set lookups."""
        return cls(
            options=tuple(
                (option, frozenset(normalise(p) for p in (option.label, *option.aliases)))
                for option in options
            ),
            actions=tuple(
                (action, frozenset(normalise(p) for p in (label.label, *label.aliases)))
                for action, label in actions.items()
            ),
        )

    def match_option(self, text: str) -> Option | None:
        """The option the text means: its number, its words, or the only label it contains."""
        cleaned = normalise(text)
        if not cleaned:
            return None
        number = _NUMBER.match(text.strip())
        if number:
            index = int(number.group(1)) - 1
            return self.options[index][0] if 0 <= index < len(self.options) else None
        for option, phrases in self.options:
            if cleaned in phrases:
                return option
        padded = f" {cleaned} "
        contained = [
            option
            for option, phrases in self.options
            if normalise(option.label) and f" {normalise(option.label)} " in padded
        ]
        return contained[0] if len(contained) == 1 else None

    def match_action(self, text: str) -> Action | None:
        """The global move the text asks for, if it is exactly one of its phrases."""
        cleaned = normalise(text)
        if not cleaned:
            return None
        for action, phrases in self.actions:
            if cleaned in phrases:
                return action
        return None
