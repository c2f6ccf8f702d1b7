"""Plain data going in and out of storage: no ORM rows escape this package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

ResultT_co = TypeVar("ResultT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class UserProfile:
    """Who sent an event, as far as storage cares."""

    id: int
    first_name: str = ""
    #: The language to talk in: for someone new, the bot's pick from Telegram's
    #: ``language_code``; once stored, the person's own choice wins (``storage/turns.py``).
    language: str | None = None


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A user's current conversation, as loaded at the start of an event."""

    session_id: int
    snapshot: dict[str, Any]
    content_version: str
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    reminder_sent_at: datetime | None
    subscribed: bool
    #: The message in the person's chat whose buttons are live, as last delivered (or None).
    keyboard_message_id: int | None = None
    #: The language the person talks in, as stored (chosen at first contact, or /language).
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerWrite:
    """An answer to keep (``option`` set) or to remove (``option`` None, after a skip)."""

    step: str
    option: str | None


@dataclass(frozen=True, slots=True)
class ConversationUpdate:
    """What one event changed, to be committed with the update id in one transaction."""

    snapshot: dict[str, Any]
    content_version: str
    step: str
    finished: bool
    top_factor: str | None = None
    track: str | None = None
    answer: AnswerWrite | None = None
    restarted: bool = False
    subscribed: bool | None = None
    #: The turn was a safety reply to these kinds of danger (counted, nothing else kept).
    safety_reply: tuple[str, ...] = ()
    #: The person asked for the one check-in, due at this time.
    checkin_due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call the bot commits to making: to which chat (the order it keeps), the
    method by its documented name, its parameters as the Bot API takes them (JSON), and
    what to remember once Telegram has confirmed it (``effects``, see storage/outbox.py)."""

    chat_id: int
    method: str
    params: dict[str, Any]
    effects: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Decision(Generic[ResultT_co]):
    """What the caller's decide-function returns: the change to store, its own result, and
    the calls that show it (committed with it, as outbox rows)."""

    update: ConversationUpdate | None
    result: ResultT_co
    calls: tuple[Call, ...] = ()
