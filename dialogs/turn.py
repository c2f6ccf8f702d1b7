"""What the engine hands back after one event: the new snapshot and what to say."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dialogs.snapshot import Snapshot


class ButtonKind(StrEnum):
    """An answer to the current question, or a move that works anywhere."""

    OPTION = "option"
    ACTION = "action"


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply; ``seq`` is the keyboard generation it belongs to."""

    kind: ButtonKind
    id: str
    label: str
    seq: int


class MessageKind(StrEnum):
    """What a message is for, so a front end may place it (a reply can sit under its answer)."""

    SAY = "say"
    REPLY = "reply"  # the reflection on the answer just given


@dataclass(frozen=True, slots=True)
class ProfilePicture:
    """What the picture of a profile shows: each factor's filled cells, and the track.

    Plain data: the engine decides what is in it, a front end draws it (the bot as a PNG).
    ``text`` says the same in words, as the picture's caption."""

    heading: str
    factors: tuple[tuple[str, int], ...]  # (title, filled cells of ``cells``)
    cells: int
    track: str
    text: str


@dataclass(frozen=True, slots=True)
class Message:
    """One chat bubble: plain text (never markup), an optional bold title, and buttons;
    with a ``picture``, the text is its caption."""

    text: str
    title: str | None = None
    buttons: tuple[Button, ...] = ()
    kind: MessageKind = MessageKind.SAY
    picture: ProfilePicture | None = None

    @property
    def options(self) -> tuple[Button, ...]:
        """The answer buttons, in content order."""
        return tuple(button for button in self.buttons if button.kind is ButtonKind.OPTION)

    @property
    def actions(self) -> tuple[Button, ...]:
        """The navigation buttons (more, back, skip, pause...)."""
        return tuple(button for button in self.buttons if button.kind is ButtonKind.ACTION)


class Outcome(StrEnum):
    """How the event was taken, for logs, statistics and the bot's choice of reply."""

    MOVED = "moved"  # the conversation went to another step
    STAYED = "stayed"  # answered in place: help, more, pause, a refused move...
    STALE = "stale"  # an old or forged button: nothing changed
    REPROMPT = "reprompt"  # free text that matched nothing
    SAFETY = "safety"  # danger, or help asked for: safety resources first
    RESTARTED = "restarted"  # a fresh conversation begins


class Effect(StrEnum):
    """Something outside the dialogue that the caller must carry out."""

    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    CHECK_IN = "check_in"  # schedule the one check-in a week later


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """An answer recorded (``option_id`` set) or withdrawn by a skip (``option_id`` None)."""

    step: str
    option_id: str | None
    label: str | None


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one event."""

    snapshot: Snapshot
    messages: tuple[Message, ...]
    outcome: Outcome
    answer: AnswerChange | None = None
    effects: tuple[Effect, ...] = ()
    notice: str | None = None
    chosen: str | None = None  # the label of the option tapped or typed, recorded or not
    #: A safety reply: the kinds of danger it answered ("asked" for /sos); no text kept.
    safety: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything needs storing: a stale press or a plain re-prompt changes nothing."""
        return self.outcome is not Outcome.STALE
