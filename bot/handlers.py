"""The bot's update handlers: read the update, ask a service, show the result.

Each handler is a few lines. Everything a person can send lands somewhere: commands,
text, taps (checked against the conversation before anything changes), stickers and
photos (a kind re-prompt), messages in groups and channels (a note that the bot works in
private), blocking and unblocking. Anything that still goes wrong reaches ``on_error``,
which logs it with the update and user id and never shows a traceback to anyone.

Before any of that, every word a person sends in private (a message, a command with
words after it, a caption, an edit) passes the danger check in ``SAFETY_GROUP``: if it
suggests danger, the safety reply is the answer and nothing else runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import Applied
from bot.markup import CallbackKind, confirm_keyboard, parse_callback
from bot.sender import BlockedError
from bot.services import Services
from dialogs.commands import COMMAND_ACTIONS, START_COMMAND
from dialogs.content_model import Action
from dialogs.events import Act, Begin, Choose, Event, Say, Unreadable
from storage.errors import StorageUnavailableError
from storage.records import UserProfile
from storage.updates import claim_update

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
#: In groups the bot answers only commands (a note to come to a private chat), never chatter.
IN_GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.COMMAND
EDITED = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE & filters.TEXT
#: Every private message or edit with words in it: what the danger check reads.
WORDS = (
    filters.ChatType.PRIVATE
    & (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE)
    & (filters.TEXT | filters.CAPTION)
)
#: The danger check runs after the admins' draft intake (-2) and before everything else.
SAFETY_GROUP = -1
DATA_COMMANDS = ("mydata", "forget", "stop", "subscribe")
#: Every command the bot answers; the content must describe each one for the menu.
HANDLED_COMMANDS = frozenset({START_COMMAND, *COMMAND_ACTIONS, *DATA_COMMANDS})
Context = ContextTypes.DEFAULT_TYPE


class Handlers:
    """Handlers bound to the services they use."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.ui = services.engine.content.ui

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Adds the danger check, every handler (most specific first), the error handler."""
        application.add_handler(MessageHandler(WORDS, self.on_words), group=SAFETY_GROUP)
        application.add_handlers(
            [
                CommandHandler(START_COMMAND, self.on_start, filters=PRIVATE),
                CommandHandler(list(COMMAND_ACTIONS), self.on_move, filters=PRIVATE),
                CommandHandler("mydata", self.on_export, filters=PRIVATE),
                CommandHandler("forget", self.on_forget, filters=PRIVATE),
                CommandHandler("stop", self.on_stop, filters=PRIVATE),
                CommandHandler("subscribe", self.on_subscribe, filters=PRIVATE),
                MessageHandler(PRIVATE & filters.COMMAND, self.on_unknown_command),
                MessageHandler(PRIVATE & filters.TEXT, self.on_text),
                MessageHandler(PRIVATE & filters.CAPTION, self.on_caption),
                MessageHandler(PRIVATE, self.on_unreadable),
                MessageHandler(EDITED, self.on_edited),
                CallbackQueryHandler(self.on_tap),
                MessageHandler(IN_GROUPS, self.on_elsewhere),
                ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER),
            ]
        )
        application.add_error_handler(self.on_error)

    # ------------------------------------------------------------------ safety first

    async def on_words(self, update: Update, context: Context) -> None:
        """Answers words that suggest danger with the safety reply, before anything else."""
        message = update.effective_message
        assert message is not None
        words = message.text or message.caption or ""
        if self.services.engine.assess(words):
            await self._converse(update, Say(words))
            raise ApplicationHandlerStop

    # ------------------------------------------------------------------ the dialogue

    async def on_start(self, update: Update, context: Context) -> None:
        """Welcomes someone new, or greets someone returning with where they were."""
        await self._converse(update, Begin())

    async def on_move(self, update: Update, context: Context) -> None:
        """Runs a move that works at any step (/back, /skip, /pause, /help...)."""
        command = _command(update)
        await self._converse(update, Act(COMMAND_ACTIONS[command]))

    async def on_text(self, update: Update, context: Context) -> None:
        """Takes typed words as an answer, a move, or a reason for a kind re-prompt."""
        assert update.effective_message is not None
        await self._converse(update, Say(update.effective_message.text or ""))

    async def on_caption(self, update: Update, context: Context) -> None:
        """A photo or file with words: the words count, as if typed (danger words first)."""
        assert update.effective_message is not None
        await self._converse(update, Say(update.effective_message.caption or ""))

    async def on_edited(self, update: Update, context: Context) -> None:
        """An edited message changes no answer (danger in it was answered by ``on_words``)."""

    async def on_unreadable(self, update: Update, context: Context) -> None:
        """Answers a sticker, photo, voice note or file with a kind re-prompt."""
        await self._converse(update, Unreadable())

    async def on_tap(self, update: Update, context: Context) -> None:
        """Applies a tapped answer or move; stale or forged buttons change nothing."""
        query = update.callback_query
        assert query is not None
        data = parse_callback(query.data)
        if data is not None and data.kind is CallbackKind.FORGET:
            await self._settle_forget(update, erase=data.id == "yes")
            return
        event = _tap_event(data)
        if event is None:
            await _quietly(query.answer(self.ui.stale))
            return
        applied = await self._apply(update, event)
        if applied is None:
            await self.services.responder.after_tap(query, None)
        else:
            await self.services.responder.after_tap(query, applied.turn, applied.owed_since)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """Says a command is unknown (admin commands are unknown to everyone else)."""
        if await self._first_time(update):
            await self._say(update, self.ui.unknown_command)

    # ------------------------------------------------------------------ data rights

    async def on_export(self, update: Update, context: Context) -> None:
        """Sends everything stored about the person as a JSON file."""
        user = _profile(update)
        if not await self._first_time(update):
            return
        exported = await self.services.users.export(user.id)
        if exported is None:
            await self._say(update, self.ui.nothing_stored)
            return
        body = json.dumps(exported, ensure_ascii=False, indent=2).encode("utf-8")
        document = InputFile(body, filename="closer-my-data.json")
        send = partial(context.bot.send_document, user.id, document, caption=self.ui.export_caption)
        await self._call(user.id, "sendDocument", send)

    async def on_forget(self, update: Update, context: Context) -> None:
        """Asks before erasing everything stored about the person."""
        user = _profile(update)
        if not await self._first_time(update):
            return
        markup = confirm_keyboard(self.ui.forget_yes, self.ui.forget_no)
        send = partial(
            context.bot.send_message, user.id, self.ui.forget_confirm, reply_markup=markup
        )
        await self._call(user.id, "sendMessage", send)

    async def _settle_forget(self, update: Update, erase: bool) -> None:
        query = update.callback_query
        assert query is not None
        user = _profile(update)
        if not await self._first_time(update):
            await _quietly(query.answer())
            return
        if erase:
            await self.services.users.delete(user.id)
        await _quietly(query.answer())
        text = self.ui.forgotten if erase else self.ui.kept
        await _quietly(query.edit_message_text(text))

    async def on_stop(self, update: Update, context: Context) -> None:
        """Stops new content (and reminders) for the person."""
        if await self._first_time(update):
            await self.services.users.set_subscribed(_profile(update), False)
        await self._say(update, self.ui.unsubscribed)

    async def on_subscribe(self, update: Update, context: Context) -> None:
        """Starts new content again for the person."""
        if await self._first_time(update):
            await self.services.users.set_subscribed(_profile(update), True)
        await self._say(update, self.ui.subscribed)

    # ------------------------------------------------------------------ outside the dialogue

    async def on_elsewhere(self, update: Update, context: Context) -> None:
        """Tells a group or channel that the bot only talks in private chats."""
        chat = update.effective_chat
        assert chat is not None
        if not await self._first_time(update):
            return
        # A channel may not let the bot post at all; the note is best effort.
        await _quietly(
            self._call(
                chat.id,
                "sendMessage",
                partial(context.bot.send_message, chat.id, self.ui.private_only),
            )
        )

    async def on_membership(self, update: Update, context: Context) -> None:
        """Records blocking and unblocking; greets a group the bot was added to."""
        member = update.my_chat_member
        assert member is not None
        status = member.new_chat_member.status
        if member.chat.type == ChatType.PRIVATE:
            blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
            await self.services.users.set_blocked(member.chat.id, blocked)
        elif status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
            await self.on_elsewhere(update, context)

    async def on_error(self, update: object, context: Context) -> None:
        """Logs what went wrong with the update and user id; tells the person to retry."""
        update_id = update.update_id if isinstance(update, Update) else None
        user = update.effective_user if isinstance(update, Update) else None
        log.error(
            "update %s from user %s failed",
            update_id,
            user.id if user else None,
            exc_info=context.error,
        )
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == ChatType.PRIVATE:
            await _quietly(self.services.responder.send_text(chat.id, self.ui.try_again))

    # ------------------------------------------------------------------ plumbing

    async def _converse(self, update: Update, event: Event) -> None:
        """Applies an event from a message and sends the turn's messages."""
        applied = await self._apply(update, event)
        if applied is not None:
            await self.services.responder.send(
                _profile(update).id, applied.turn.messages, owed_since=applied.owed_since
            )

    async def _apply(self, update: Update, event: Event) -> Applied | None:
        """Runs the event through engine and storage; a database outage gets a kind reply."""
        user = _profile(update)
        try:
            return await self.services.conversations.apply(user, event, update.update_id)
        except StorageUnavailableError:
            if update.callback_query is not None:
                await _quietly(update.callback_query.answer(self.ui.try_again, show_alert=True))
            else:
                await self.services.responder.send_text(user.id, self.ui.try_again)
            return None

    async def _first_time(self, update: Update) -> bool:
        """Claims the update id; False when Telegram delivers it again (it already ran)."""
        try:
            return await claim_update(self.services.database, update.update_id)
        except StorageUnavailableError:
            return True  # better to answer twice than not at all

    async def _say(self, update: Update, text: str) -> None:
        await self.services.responder.send_text(_profile(update).id, text)

    async def _call(self, chat_id: int, what: str, operation: Callable[[], Awaitable[Any]]) -> None:
        """A Bot API call with the sender's retries; a person who blocked us is let go."""
        with contextlib.suppress(BlockedError):
            await self.services.sender.call(chat_id, what, operation)


def _profile(update: Update) -> UserProfile:
    user = update.effective_user
    assert user is not None, "private-chat updates always have a user"
    return UserProfile(id=user.id, first_name=user.first_name or "", language=user.language_code)


def _command(update: Update) -> str:
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    return message.text.split()[0].lstrip("/").split("@")[0].lower()


def _tap_event(data: Any) -> Event | None:
    if data is None:
        return None
    if data.kind is CallbackKind.OPTION:
        return Choose(data.id, data.seq)
    try:
        return Act(Action(data.id), data.seq)
    except ValueError:
        return None  # an action id this bot never sends: forged


async def _quietly(awaitable: Any) -> None:
    """Awaits a best-effort call (answering a tap, editing a note); failures are only logged."""
    try:
        await awaitable
    except Exception as error:  # best effort by design: never let a courtesy call fail a turn
        log.info("best-effort call failed: %s", error)
