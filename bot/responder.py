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
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from telegram import Bot, CallbackQuery, InputFile, LinkPreviewOptions
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot import profile_picture, unparsed
from bot.markup import BUBBLE_LIMIT, Bubble, bubbles, keyboard, with_choice
from bot.sender import BlockedError, Sender
from dialogs.turn import Message, MessageKind, Outcome, Turn

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Chats whose live keyboard this process remembers, the least recent forgotten first.
LIVE_KEYBOARDS = 100_000


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
        # chat -> the message whose buttons are live: at most one keyboard is live per chat,
        # so sending a new one takes the buttons off the one before (best effort: a
        # restarted process does not know the one before, and its buttons stay, stale)
        self.live: OrderedDict[int, int] = OrderedDict()

    async def send(
        self,
        chat_id: int,
        messages: Sequence[Message],
        owed_since: datetime | None = None,
        settling: int | None = None,
    ) -> bool:
        """Sends messages in order; False if they did not all arrive (blocked, or an outage).

        ``owed_since``: these are a committed turn's messages, owed since then; their
        delivery (or loss) is reported, so the turn's mark is cleared (or its question is
        sent again). ``settling``: the tapped message, which ``after_tap`` settles itself."""
        self.sending[chat_id] += 1
        try:
            delivered = await self._send(chat_id, messages, settling)
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

    async def _send(
        self, chat_id: int, messages: Sequence[Message], settling: int | None = None
    ) -> bool:
        newest_keyboard: int | None = None
        try:
            for bubble in bubbles(messages):
                if bubble.picture is not None:
                    await self._send_picture(chat_id, bubble)
                    continue
                sent = await self._call(
                    chat_id,
                    "sendMessage",
                    text=bubble.html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=keyboard(bubble.buttons),
                )
                if bubble.buttons and isinstance(sent, dict) and "message_id" in sent:
                    newest_keyboard = int(sent["message_id"])
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
        if newest_keyboard is not None:
            await self._supersede(chat_id, newest_keyboard, settling)
        return True

    async def _supersede(self, chat_id: int, newest: int, settling: int | None) -> None:
        """The newest keyboard is the live one; the one before it loses its buttons, so a
        phone never shows two sets of answers (the tapped one is settled by ``_settle``)."""
        previous = self.live.pop(chat_id, None)
        self.live[chat_id] = newest
        if len(self.live) > LIVE_KEYBOARDS:
            self.live.popitem(last=False)
        if previous is None or previous in (newest, settling):
            return
        try:
            await self._call(chat_id, "editMessageReplyMarkup", message_id=previous)
        except (TelegramError, BlockedError) as error:  # deleted, too old, or already gone
            log.info("old keyboard %s in chat %s kept its buttons: %s", previous, chat_id, error)

    async def _send_picture(self, chat_id: int, bubble: Bubble) -> None:
        """A profile picture, drawn for this send, with its caption in words."""
        assert bubble.picture is not None
        # Off the event loop, so nobody else's reply waits for someone's picture.
        jpeg = await profile_picture.drawn(bubble.picture)
        send = partial(
            self.bot.send_photo,
            chat_id,
            InputFile(jpeg, filename="closer-profile.jpg"),
            caption=bubble.html,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(bubble.buttons),
        )
        await self.sender.call(chat_id, "sendPhoto", send)

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
            self.send(query.message.chat.id, messages, owed_since, query.message.message_id),
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

    async def _call(self, chat_id: int, method: str, **params: Any) -> Any:
        """One Bot API call to the chat, through the sender (retries, 429s, 403s), its
        result left unparsed (plain JSON)."""
        return await self.sender.call(
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
    three still fit in one phone screen."""
    if turn.chosen is None or question is None or not turn.messages:
        return turn.messages, None
    first = turn.messages[0]
    room = BUBBLE_LIMIT - len(question) - len(turn.chosen) - 8
    if first.kind is MessageKind.REPLY and len(first.text) <= room:
        return turn.messages[1:], first.text
    return turn.messages, None
