"""Telegram markup, built in one place: HTML text, inline keyboards and callback data.

Engine messages are plain text; here they are HTML-escaped (so a name like ``<b>&`` shows
as typed), titles are set in bold, and buttons become inline keyboards whose callback data
names the keyboard generation, the kind of button and its id. Callback data comes back
from the client, so it is parsed strictly and anything unexpected is treated as stale.
Keyboards are built in the Bot API's own JSON shape (``Markup``), which is what the outbox
stores and the sender passes on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import escape
from typing import Any

from dialogs.content_model import TELEGRAM_TEXT_LIMIT
from dialogs.turn import Button, ButtonKind, Message, ProfilePicture

#: Action buttons per keyboard row; four short labels fit a phone held upright.
ACTIONS_PER_ROW = 2
#: Consecutive engine messages share one chat bubble up to about a phone screen of text
#: (UTF-16 units of the HTML, which is never shorter than what shows). Fewer bubbles means
#: fewer Bot API calls per turn, replies that arrive at once, and staying clear of
#: Telegram's limit of about one message a second per chat; none longer than a screen
#: means nobody scrolls a single message to find the question.
BUBBLE_LIMIT = 900
CHOSEN_MARK = "✓"
#: Telegram refuses photo captions longer than this.
CAPTION_LIMIT = 1024


class CallbackKind(StrEnum):
    """What a tapped button asks for; one letter each, to keep callback data short."""

    OPTION = "o"
    ACTION = "a"
    FORGET = "f"
    LANGUAGE = "l"


@dataclass(frozen=True, slots=True)
class CallbackData:
    """Parsed callback data: ``<seq>:<kind>:<id>`` (``seq`` is 0 for data-rights buttons)."""

    seq: int
    kind: CallbackKind
    id: str

    def encode(self) -> str:
        """The string sent to Telegram (at most 64 bytes: ids are 32 characters at most)."""
        return f"{self.seq}:{self.kind.value}:{self.id}"


_CALLBACK = re.compile(r"^(\d{1,9}):([oafl]):([a-z][a-z0-9_]{0,31})$")
FORGET_YES = CallbackData(0, CallbackKind.FORGET, "yes")
FORGET_NO = CallbackData(0, CallbackKind.FORGET, "no")


def parse_callback(data: str | None) -> CallbackData | None:
    """Parses callback data; None for anything this bot never sends."""
    match = _CALLBACK.match(data or "")
    if match is None:
        return None
    return CallbackData(int(match.group(1)), CallbackKind(match.group(2)), match.group(3))


def callback_for(button: Button) -> CallbackData:
    """The callback data for an engine button."""
    kind = CallbackKind.OPTION if button.kind is ButtonKind.OPTION else CallbackKind.ACTION
    return CallbackData(button.seq, kind, button.id)


#: An inline keyboard as the Bot API takes it: ``{"inline_keyboard": [[button, ...], ...]}``.
Markup = dict[str, Any]


def _tile(label: str, data: str) -> dict[str, str]:
    return {"text": label, "callback_data": data}


def keyboard(buttons: tuple[Button, ...]) -> Markup | None:
    """Answers one per row (they are sentences), moves two per row underneath."""
    if not buttons:
        return None
    rows: list[list[dict[str, str]]] = []
    moves: list[dict[str, str]] = []
    for button in buttons:
        tile = _tile(button.label, callback_for(button).encode())
        if button.kind is ButtonKind.OPTION:
            rows.append([tile])
        else:
            moves.append(tile)
    rows.extend(moves[i : i + ACTIONS_PER_ROW] for i in range(0, len(moves), ACTIONS_PER_ROW))
    return {"inline_keyboard": rows}


def confirm_keyboard(yes: str, no: str) -> Markup:
    """Two buttons for a yes-or-no question outside the dialogue (erasing data)."""
    return {"inline_keyboard": [[_tile(yes, FORGET_YES.encode())], [_tile(no, FORGET_NO.encode())]]}


def language_keyboard(names: dict[str, str]) -> Markup:
    """One button per language, in its own name ("Русский"), to switch to it."""
    return {
        "inline_keyboard": [
            [_tile(name, CallbackData(0, CallbackKind.LANGUAGE, code).encode())]
            for code, name in names.items()
        ]
    }


def html(message: Message) -> list[str]:
    """The message as Telegram HTML, split into parts that each fit one Telegram message."""
    title = f"<b>{escape(message.title)}</b>\n" if message.title else ""
    budget = TELEGRAM_TEXT_LIMIT - (_units(message.title) + 1 if message.title else 0)
    parts = split_text(message.text, budget)
    return [(title if index == 0 else "") + escape(part) for index, part in enumerate(parts)]


@dataclass(frozen=True, slots=True)
class Bubble:
    """One Telegram message to send: HTML text and, on the last of a turn, the keyboard;
    with a ``picture``, a photo whose caption is the text."""

    html: str
    buttons: tuple[Button, ...] = ()
    picture: ProfilePicture | None = None


def bubbles(messages: Sequence[Message], limit: int = BUBBLE_LIMIT) -> list[Bubble]:
    """The messages as Telegram messages: consecutive ones joined by a blank line while
    they fit ``limit``; one with buttons closes its bubble, since the keyboard must sit
    under it. A message longer than ``limit`` keeps its own bubbles (split to fit 4096)."""
    out: list[Bubble] = []
    pending: list[str] = []

    def close(buttons: tuple[Button, ...] = ()) -> None:
        if pending:
            out.append(Bubble("\n\n".join(pending), buttons))
            pending.clear()

    for message in messages:
        if message.picture is not None:  # a photo is a message of its own, caption and all
            close()
            caption = escape(message.text[:CAPTION_LIMIT])
            out.append(Bubble(caption, message.buttons, message.picture))
            continue
        for index, part in enumerate(parts := html(message)):
            if pending and _units("\n\n".join([*pending, part])) > limit:
                close()
            pending.append(part)
            if len(parts) > 1 and index < len(parts) - 1:
                close()  # a message split to fit Telegram's limit fills its bubble
        if message.buttons:
            close(message.buttons)
    close()
    return out


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Splits at paragraph, then line, then word boundaries so each part fits ``limit``.

    Telegram counts UTF-16 code units (an emoji is two), so that is what is measured here.
    """
    parts: list[str] = []
    rest = text
    while _units(rest) > limit:
        window = rest[:limit]
        while _units(window) > limit:
            window = window[:-1]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            cut = len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def with_choice(question_html: str, label: str, reply: str | None = None) -> str:
    """A question as it reads once answered: the question, the chosen answer, and the
    bot's reply to it, if it has one."""
    answered = f"{question_html}\n\n{CHOSEN_MARK} <i>{escape(label)}</i>"
    return f"{answered}\n\n{escape(reply)}" if reply else answered


# ---------------------------------------------------------------------- admin panels


class AdminVerb(StrEnum):
    """What an admin's panel button does; one letter each."""

    AUDIENCE = "a"
    SEND = "s"
    CANCEL = "c"
    STOP = "x"


@dataclass(frozen=True, slots=True)
class AdminData:
    """Parsed admin callback data: ``b:<broadcast>:<verb>[:<audience>]``."""

    broadcast_id: int
    verb: AdminVerb
    audience: str | None = None

    def encode(self) -> str:
        """At most 64 bytes: ids and audience keys are short."""
        tail = f":{self.audience}" if self.audience else ""
        return f"b:{self.broadcast_id}:{self.verb.value}{tail}"


_ADMIN = re.compile(
    r"^b:(\d{1,9}):([ascx])(?::((?:all|finished|in_progress)|[ftl]\.[a-z][a-z0-9_]{0,31}))?$"
)
SELECTED = "• "


def parse_admin(data: str | None) -> AdminData | None:
    """Parses admin callback data; None for anything else."""
    match = _ADMIN.match(data or "")
    if match is None:
        return None
    return AdminData(int(match.group(1)), AdminVerb(match.group(2)), match.group(3))


def audience_key(kind: str, value: str | None) -> str:
    """The short form of an audience in callback data: all, f.<factor>, t.<track>..."""
    if kind == "top_factor":
        return f"f.{value}"
    if kind == "track":
        return f"t.{value}"
    if kind == "language":
        return f"l.{value}"
    return kind


def panel_keyboard(
    broadcast_id: int,
    audiences: list[tuple[str, str]],
    selected: str,
    send: str,
    cancel: str,
) -> Markup:
    """Audience choices (the chosen one marked), then Send and Cancel."""
    rows = [
        [
            _tile(
                (SELECTED if key == selected else "") + label,
                AdminData(broadcast_id, AdminVerb.AUDIENCE, key).encode(),
            )
        ]
        for key, label in audiences
    ]
    rows.append(
        [
            _tile(send, AdminData(broadcast_id, AdminVerb.SEND).encode()),
            _tile(cancel, AdminData(broadcast_id, AdminVerb.CANCEL).encode()),
        ]
    )
    return {"inline_keyboard": rows}


def stop_keyboard(broadcast_id: int, label: str) -> Markup:
    """The one button under a running broadcast's progress."""
    return {"inline_keyboard": [[_tile(label, AdminData(broadcast_id, AdminVerb.STOP).encode())]]}
