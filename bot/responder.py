"""Showing a turn in Telegram: answer the tap, send what is next, settle the old question.

Every callback query is answered at once (the phone's spinner stops), with the engine's
notice when the button was stale, while the turn's messages go out; only once they have
arrived is the tapped question edited to show the choice and lose its buttons, so a
Telegram outage can never leave someone with no live question. Messages that still cannot
be delivered after the sender's retries are recorded as owed; housekeeping shows that
person their current question again once Telegram is back. (Storage marks every committed
turn as owed; each delivery here is noted so the mark is cleared a moment later, and a
crash in between is also healed by housekeeping.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from telegram import Bot, CallbackQuery, LinkPreviewOptions
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot import unparsed
from bot.markup import bubbles, keyboard, with_choice
from bot.sender import BlockedError, Sender
from dialogs.content_model import TELEGRAM_TEXT_LIMIT
from dialogs.turn import Message, MessageKind, Outcome, Turn

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Responder:
    """Sends engine messages and settles tapped keyboards."""

    def __init__(
        self,
        bot: Bot,
        sender: Sender,
        on_undelivered: Callable[[int], Awaitable[None]] | None = None,
        on_delivered: Callable[[int, datetime], None] | None = None,
    ) -> None:
        self.bot = bot
        self.sender = sender
        self.on_undelivered = on_undelivered
        self.on_delivered = on_delivered
        self.undelivered = 0
        self.lost_in: set[int] = set()  # chats whose last turn did not arrive
        self.sending: Counter[int] = Counter()  # chats with messages on their way
        self.blocked: set[int] = set()  # chats that answered 403 to this process

    async def send(
        self, chat_id: int, messages: Sequence[Message], owed_since: datetime | None = None
    ) -> bool:
        """Sends messages in order; False if they did not all arrive (blocked, or an outage).

        ``owed_since``: these are a committed turn's messages, owed since then; their
        delivery (or loss) is reported, so the turn's mark is cleared (or its question is
        sent again)."""
        self.sending[chat_id] += 1
        try:
            delivered = await self._send(chat_id, messages)
        finally:
            self.sending[chat_id] -= 1
            if not self.sending[chat_id]:
                del self.sending[chat_id]
        if owed_since is not None:
            if delivered:
                self.lost_in.discard(chat_id)
                if self.on_delivered is not None:
                    self.on_delivered(chat_id, owed_since)
            elif chat_id not in self.blocked:
                self.lost_in.add(chat_id)
        return delivered

    async def _send(self, chat_id: int, messages: Sequence[Message]) -> bool:
        try:
            for bubble in bubbles(messages):
                await self._call(
                    chat_id,
                    "sendMessage",
                    text=bubble.html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=keyboard(bubble.buttons),
                )
        except BlockedError:
            self.blocked.add(chat_id)
            self.lost_in.discard(chat_id)
            return False
        except TelegramError as error:
            self.undelivered += 1
            log.error("messages to chat %s not delivered after retries: %s", chat_id, error)
            if self.on_undelivered is not None:
                await self.on_undelivered(chat_id)
            return False
        self.blocked.discard(chat_id)
        return True

    async def send_text(self, chat_id: int, text: str) -> bool:
        """Sends one plain sentence (escaped) with no buttons."""
        return await self.send(chat_id, [Message(text=text)])

    async def after_tap(
        self, query: CallbackQuery, turn: Turn | None, owed_since: datetime | None = None
    ) -> None:
        """Answers a tapped button and shows the turn it produced."""
        if turn is None or turn.outcome is Outcome.STALE:
            notice = turn.notice if turn is not None else None
            await self._answer(query, notice)
            return
        if query.message is None:  # a button on an inline message: reply in private
            await asyncio.gather(
                self._answer(query, turn.notice),
                self.send(query.from_user.id, turn.messages, owed_since),
            )
            return
        question = query.message.text if isinstance(query.message, TelegramMessage) else None
        messages, reply = _split_reply(turn, question)
        # Answering the tap and sending what is next do not depend on each other.
        _, delivered = await asyncio.gather(
            self._answer(query, turn.notice),
            self.send(query.message.chat.id, messages, owed_since),
        )
        if delivered:
            await self._settle(query, turn, reply)

    async def _settle(self, query: CallbackQuery, turn: Turn, reply: str | None) -> None:
        """Shows the choice (and the reply to it) on the tapped question, or takes its
        now-stale buttons away."""
        message = query.message
        if not isinstance(message, TelegramMessage):
            return  # too old for Telegram to show us (inaccessible): nothing to settle
        if turn.chosen is None and not any(m.buttons for m in turn.messages):
            return  # the keyboard is still the live one (help, progress, privacy)
        chat_id = message.chat.id
        try:
            if turn.chosen is not None and message.text:
                await self._call(
                    chat_id,
                    "editMessageText",
                    message_id=message.message_id,
                    text=with_choice(message.text_html, turn.chosen, reply),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                )
            else:
                await self._call(chat_id, "editMessageReplyMarkup", message_id=message.message_id)
        except BadRequest as error:
            # "not modified" (a second tap raced us) or a message too old to edit: harmless.
            log.info(
                "could not settle message %s in chat %s: %s", message.message_id, chat_id, error
            )
        except BlockedError:
            return

    async def _call(self, chat_id: int, method: str, **params: Any) -> None:
        """One Bot API call to the chat, through the sender (retries, 429s, 403s), its
        result left unparsed."""
        await self.sender.call(
            chat_id, method, partial(unparsed.call, self.bot, method, chat_id=chat_id, **params)
        )

    async def _answer(self, query: CallbackQuery, notice: str | None) -> None:
        try:
            await query.answer(notice or None)
        except TelegramError as error:
            # Answered already, or too old: the person sees the result either way.
            log.info("could not answer callback query %s: %s", query.id, error)


def _split_reply(turn: Turn, question: str | None) -> tuple[Sequence[Message], str | None]:
    """The messages to send, and the reply to the answer, which goes under the answer itself
    (one message fewer to send, and the reply stays next to what it replies to) when the
    three still fit in one Telegram message."""
    if turn.chosen is None or question is None or not turn.messages:
        return turn.messages, None
    first = turn.messages[0]
    room = TELEGRAM_TEXT_LIMIT - len(question) - len(turn.chosen) - 8
    if first.kind is MessageKind.REPLY and len(first.text) <= room:
        return turn.messages[1:], first.text
    return turn.messages, None
