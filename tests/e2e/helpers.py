"""Acting as a person in end-to-end tests: tap, type, and wait for the bot to answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from standin.client import Conversation, button_labels, message_text
from storage.columns import utc_now

REPLY_TIMEOUT = 15.0


def newest_keyboard_id(chat: Conversation) -> int:
    """The id of the newest bot message with buttons (0 if none)."""
    message = chat.keyboard_message()
    return int(message["message_id"]) if message else 0


def newest_message_id(chat: Conversation) -> int:
    """The id of the newest bot message (0 if none)."""
    return max(chat.bot_messages, default=0)


async def tap_and_wait(chat: Conversation, label: str) -> dict[str, Any]:
    """Taps a button and waits for the whole reply: the next question, and the tapped
    message settled (its buttons gone), which the bot does once the next one is out."""
    before = newest_keyboard_id(chat)
    tapped = chat.keyboard_message(label)
    await chat.tap(label)

    def answered(c: Conversation) -> bool:
        settled = tapped is None or not button_labels(c.bot_messages.get(tapped["message_id"], {}))
        return newest_keyboard_id(c) > before and settled

    await chat.wait_until(answered, REPLY_TIMEOUT, f"a reply to {label!r}")
    message = chat.keyboard_message()
    assert message is not None
    return message


async def say_and_wait(chat: Conversation, text: str, keyboard: bool = True) -> dict[str, Any]:
    """Sends text and waits for the bot's answer (a new keyboard, or any new message)."""
    before_keyboard, before_message = newest_keyboard_id(chat), newest_message_id(chat)
    await chat.send(text)
    if keyboard:
        await chat.wait_until(
            lambda c: newest_keyboard_id(c) > before_keyboard, REPLY_TIMEOUT, f"a reply to {text!r}"
        )
    else:
        await chat.wait_until(
            lambda c: newest_message_id(c) > before_message, REPLY_TIMEOUT, f"a reply to {text!r}"
        )
    return chat.bot_messages[newest_message_id(chat)]


def answer_labels(message: dict[str, Any]) -> list[str]:
    """The answer buttons of a question (the moves, like Back and Skip, left out)."""
    moves = {"Tell me more", "Back", "Skip", "Pause", "Continue", "Start over"}
    return [label for label in button_labels(message) if label not in moves]


def texts_since(chat: Conversation, message_id: int) -> str:
    """Everything the bot wrote after a given message, joined."""
    return "\n".join(
        message_text(m) for key, m in sorted(chat.bot_messages.items()) if key > message_id
    )


async def walk_to_the_end(chat: Conversation, choose: int = 0) -> None:
    """From /start to the last step, always tapping the answer at position ``choose``."""
    await say_and_wait(chat, "/start")
    message = await tap_and_wait(chat, "Let's begin")
    while "Thank you" not in button_labels(message):
        labels = answer_labels(message)
        message = await tap_and_wait(chat, labels[choose % len(labels)])
    await tap_and_wait(chat, "Thank you")


class Clock:
    """Real time plus an offset a test can move forward, shared by the store and housekeeping."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset
