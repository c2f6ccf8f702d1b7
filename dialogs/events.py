"""What a user can do, as the engine sees it: plain data with no trace of Telegram."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.content_model import Action


@dataclass(frozen=True, slots=True)
class Begin:
    """The user opens the conversation (``/start``): new, returning, or finished."""


@dataclass(frozen=True, slots=True)
class Choose:
    """The user taps an answer button; ``seq`` ties the button to the keyboard it came from."""

    option_id: str
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Say:
    """The user types something in their own words."""

    text: str


@dataclass(frozen=True, slots=True)
class Act:
    """The user asks for a move that works at any step (back, skip, pause, help...)."""

    action: Action
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The user sent something the bot cannot read: a sticker, a photo, a voice note."""


Event = Begin | Choose | Say | Act | Unreadable
