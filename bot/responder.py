"""Showing a turn in Telegram: answer the tap, settle the old question, send what is next.

After a tapped answer, the question's message is edited to show the choice and loses its
buttons (the answer is part of the conversation, like a sent reply); every callback query
is answered, with the engine's notice when the button was stale. Independent calls run
together: the tap's answer and the edit of the old message go out at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from functools import partial

from telegram import Bot, CallbackQuery, LinkPreviewOptions
from telegram import Message as TelegramMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.markup import html, keyboard, with_choice
from bot.sender import BlockedError, Sender
from dialogs.turn import Message, Outcome, Turn

log = logging.getLogger(__name__)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Responder:
    """Sends engine messages and settles tapped keyboards."""

    def __init__(self, bot: Bot, sender: Sender) -> None:
        self.bot = bot
        self.sender = sender

    async def send(self, chat_id: int, messages: Sequence[Message]) -> None:
        """Sends messages in order; stops quietly if the person has blocked the bot."""
        try:
            for message in messages:
                parts = html(message)
                for index, part in enumerate(parts):
                    markup = keyboard(message.buttons) if index == len(parts) - 1 else None
                    send = partial(
                        self.bot.send_message,
                        chat_id,
                        part,
                        parse_mode=ParseMode.HTML,
                        link_preview_options=NO_PREVIEW,
                        reply_markup=markup,
                    )
                    await self.sender.call(chat_id, "sendMessage", send)
        except BlockedError:
            return

    async def send_text(self, chat_id: int, text: str) -> None:
        """Sends one plain sentence (escaped) with no buttons."""
        await self.send(chat_id, [Message(text=text)])

    async def after_tap(self, query: CallbackQuery, turn: Turn | None) -> None:
        """Answers a tapped button and shows the turn it produced."""
        if turn is None or turn.outcome is Outcome.STALE:
            notice = turn.notice if turn is not None else None
            await self._answer(query, notice)
            return
        settle: Awaitable[object] = self._settle(query, turn)
        await asyncio.gather(self._answer(query, turn.notice), settle)
        if query.message is not None:
            await self.send(query.message.chat.id, turn.messages)

    async def _settle(self, query: CallbackQuery, turn: Turn) -> None:
        """Shows the choice on the tapped question, or takes its now-stale buttons away."""
        message = query.message
        if not isinstance(message, TelegramMessage):
            return  # too old for Telegram to show us (inaccessible): nothing to settle
        if turn.chosen is None and not any(m.buttons for m in turn.messages):
            return  # the keyboard is still the live one (help, progress, privacy)
        chat_id = message.chat.id
        try:
            if turn.chosen is not None and message.text:
                edit = partial(
                    self.bot.edit_message_text,
                    with_choice(message.text_html, turn.chosen),
                    chat_id=chat_id,
                    message_id=message.message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                )
                await self.sender.call(chat_id, "editMessageText", edit)
            else:
                strip = partial(self.bot.edit_message_reply_markup, chat_id, message.message_id)
                await self.sender.call(chat_id, "editMessageReplyMarkup", strip)
        except BadRequest as error:
            # "not modified" (a second tap raced us) or a message too old to edit: harmless.
            log.info(
                "could not settle message %s in chat %s: %s", message.message_id, chat_id, error
            )
        except BlockedError:
            return

    async def _answer(self, query: CallbackQuery, notice: str | None) -> None:
        try:
            await query.answer(notice or None)
        except TelegramError as error:
            # Answered already, or too old: the person sees the result either way.
            log.info("could not answer callback query %s: %s", query.id, error)
