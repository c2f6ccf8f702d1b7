"""What a turn looks like in Telegram, as the calls that show it (committed with the turn).

For a tapped button, in this order: the tap is answered (the phone's spinner stops; with
the engine's notice when the button was stale), the turn's messages follow (consecutive
texts share a bubble up to about a phone screen; the last carries the keyboard), and only
then the tapped question is edited to show the choice and the reply to it, losing its
buttons. The outbox delivers a chat's calls in this order and each only once the one
before has arrived, so a Telegram outage can never leave someone with no live question.

A message with a keyboard is marked (``effects["keyboard"]``): once delivered, it is the
chat's live keyboard, and the one before it loses its buttons, so a phone never shows two
sets of answers (``bot/delivery.py`` does that; the tapped question is left to its edit).

Plain functions of the turn: no Telegram objects, no I/O. Parameters are the Bot API's
JSON, so the calls can be stored as they are and made after a restart exactly as written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from bot import attachments
from bot.markup import BUBBLE_LIMIT, Bubble, Markup, bubbles, keyboard, with_choice
from dialogs.turn import Message, MessageKind, Outcome, Turn
from storage.records import Call

NO_PREVIEW = {"is_disabled": True}
HTML = "HTML"
KEYBOARD = "keyboard"


@dataclass(frozen=True, slots=True)
class Tap:
    """The button a turn answers: the callback query, and the message it was on (None for
    a message Telegram no longer shows the bot, or one sent inline)."""

    query_id: str
    message_id: int | None = None
    question_html: str | None = None


def for_turn(
    chat_id: int, turn: Turn | None, tap: Tap | None = None, live_keyboard: int | None = None
) -> tuple[Call, ...]:
    """The calls that show ``turn`` in the chat (None: an update applied before);
    ``live_keyboard``: the chat's live keyboard as stored, which a new one replaces."""
    calls: list[Call] = []
    if tap is not None:
        notice = turn.notice if turn is not None else None
        calls.append(answer(chat_id, tap.query_id, notice))
    if turn is None or turn.outcome is Outcome.STALE:
        return tuple(calls)
    if tap is None or tap.message_id is None:
        return (*calls, *messages(chat_id, turn.messages, previous=live_keyboard))
    shown, reply = _split_reply(turn, tap.question_html)
    calls += messages(chat_id, shown, settling=tap.message_id, previous=live_keyboard)
    settle = _settle(chat_id, turn, tap, reply)
    if settle is not None:
        calls.append(settle)
    return tuple(calls)


def messages(
    chat_id: int,
    sent: Sequence[Message],
    settling: int | None = None,
    previous: int | None = None,
) -> list[Call]:
    """The messages as calls, bubble by bubble. A keyboard becomes the chat's live one and
    ``previous`` (the live one as stored) loses its buttons, unless it is ``settling``: the
    tapped question, which its own edit settles."""
    calls = []
    for bubble in bubbles(sent):
        effects = (
            {KEYBOARD: {"settling": settling, "previous": previous}} if bubble.buttons else None
        )
        if bubble.picture is not None:
            params = {
                "chat_id": chat_id,
                "photo": attachments.profile(bubble.picture),
                "caption": bubble.html,
                "parse_mode": HTML,
            }
            calls.append(Call(chat_id, "sendPhoto", _with_markup(params, bubble), effects))
            continue
        params = {
            "chat_id": chat_id,
            "text": bubble.html,
            "parse_mode": HTML,
            "link_preview_options": NO_PREVIEW,
        }
        calls.append(Call(chat_id, "sendMessage", _with_markup(params, bubble), effects))
    return calls


def text(chat_id: int, sentence: str, markup: Markup | None = None) -> Call:
    """One plain sentence (escaped), with an optional keyboard that is not the dialogue's."""
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": escape(sentence, quote=False),
        "parse_mode": HTML,
        "link_preview_options": NO_PREVIEW,
    }
    if markup is not None:
        params["reply_markup"] = markup
    return Call(chat_id, "sendMessage", params)


def answer(chat_id: int, query_id: str, notice: str | None = None, alert: bool = False) -> Call:
    """Answers a tapped button (the spinner stops), with a notice if there is one."""
    params: dict[str, Any] = {"callback_query_id": query_id}
    if notice:
        params["text"] = notice
    if alert:
        params["show_alert"] = True
    return Call(chat_id, "answerCallbackQuery", params)


def edit(chat_id: int, message_id: int, sentence: str, markup: Markup | None = None) -> Call:
    """A message of the bot's rewritten as one plain sentence (and a keyboard, or none)."""
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": escape(sentence, quote=False),
        "parse_mode": HTML,
        "link_preview_options": NO_PREVIEW,
    }
    if markup is not None:
        params["reply_markup"] = markup
    return Call(chat_id, "editMessageText", params)


def _with_markup(params: dict[str, Any], bubble: Bubble) -> dict[str, Any]:
    markup = keyboard(bubble.buttons)
    if markup is not None:
        params["reply_markup"] = markup
    return params


def _settle(chat_id: int, turn: Turn, tap: Tap, reply: str | None) -> Call | None:
    """The tapped question shows the choice (and the reply to it), or just loses its
    now-stale buttons; nothing when its keyboard is still the live one (help, progress)."""
    assert tap.message_id is not None
    if turn.chosen is None and not any(m.buttons for m in turn.messages):
        return None
    if turn.chosen is not None and tap.question_html:
        params = {
            "chat_id": chat_id,
            "message_id": tap.message_id,
            "text": with_choice(tap.question_html, turn.chosen, reply),
            "parse_mode": HTML,
            "link_preview_options": NO_PREVIEW,
        }
        return Call(chat_id, "editMessageText", params)
    return Call(
        chat_id, "editMessageReplyMarkup", {"chat_id": chat_id, "message_id": tap.message_id}
    )


def _split_reply(turn: Turn, question: str | None) -> tuple[Sequence[Message], str | None]:
    """The messages to send, and the reply to the answer, which goes under the answer itself
    (one message fewer to send, and the reply stays next to what it replies to) when the
    three still fit in one phone screen."""
    if turn.chosen is None or question is None or not turn.messages:
        return turn.messages, None
    first = turn.messages[0]
    room = BUBBLE_LIMIT - len(question) - len(turn.chosen) - 8
    if first.kind is MessageKind.REPLY and len(first.text) <= room:
        return turn.messages[1:], first.text
    return turn.messages, None
