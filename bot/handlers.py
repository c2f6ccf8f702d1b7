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

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from telegram import Message as TelegramMessage
from telegram import Update
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

from bot import attachments, replies
from bot.markup import CallbackKind, Markup, confirm_keyboard, language_keyboard, parse_callback
from bot.replies import Tap
from bot.services import Services
from dialogs.commands import COMMAND_ACTIONS, START_COMMAND
from dialogs.content_model import Action, Ui
from dialogs.events import Act, Begin, Choose, Event, Say, Unreadable
from storage.errors import StorageUnavailableError
from storage.records import Call, UserProfile

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
DATA_COMMANDS = ("mydata", "forget", "stop", "subscribe", "language")
#: Every command the bot answers; the content must describe each one for the menu.
HANDLED_COMMANDS = frozenset({START_COMMAND, *COMMAND_ACTIONS, *DATA_COMMANDS})
Context = ContextTypes.DEFAULT_TYPE


class Handlers:
    """Handlers bound to the services they use."""

    def __init__(self, services: Services) -> None:
        self.services = services

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
                CommandHandler("language", self.on_language, filters=PRIVATE),
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
        if data is not None and data.kind is CallbackKind.ACTION and data.id == Action.LANGUAGE:
            await self.on_language(update, context)
            return
        if data is not None and data.kind is CallbackKind.LANGUAGE:
            if data.id in self.services.library.languages:
                await self._switch_language(update, data.id)
                return
            data = None  # a language this bot does not speak: forged
        event = _tap_event(data)
        if event is None:  # data this bot never sends: forged
            stale = self._ui_now(update).stale
            await self._reply(update, [replies.answer(self._person(update).id, query.id, stale)])
            return
        await self._converse(update, event)

    async def on_unknown_command(self, update: Update, context: Context) -> None:
        """Says a command is unknown (admin commands are unknown to everyone else)."""
        await self._say(update, (await self._ui(update)).unknown_command)

    # ------------------------------------------------------------------ the language

    async def on_language(self, update: Update, context: Context) -> None:
        """Offers the languages the bot speaks, each in its own name (/language, or the
        Language button under help)."""
        library = self.services.library
        prompt = library.choose_prompt(library.language_for(await self._language(update)))
        offer = replies.text(_profile_or_chat(update), prompt, language_keyboard(library.names()))
        query = update.callback_query
        tapped = [replies.answer(self._person(update).id, query.id)] if query is not None else []
        await self._reply(update, [*tapped, offer])

    async def _switch_language(self, update: Update, language: str) -> None:
        """Stores the choice, says so in the new language on the language message, and
        shows the person where they are, in that language (answers and step kept)."""
        query = update.callback_query
        assert query is not None
        user = self._person(update)
        await self.services.users.set_language(user, language)
        calls = [replies.answer(user.id, query.id)]
        message = query.message
        if isinstance(message, TelegramMessage):
            changed = self.services.library.changed(language)
            calls.append(replies.edit(message.chat.id, message.message_id, changed))
        try:
            first_time = await self.services.outbox.enqueue(calls, claim_update=update.update_id)
        except StorageUnavailableError:
            await self._sorry(update)
            return
        if first_time:  # a redelivered tap has been shown already
            speaking = UserProfile(user.id, user.first_name, language)
            await self.services.conversations.apply(speaking, Act(Action.CONTINUE))

    # ------------------------------------------------------------------ data rights

    async def on_export(self, update: Update, context: Context) -> None:
        """Sends everything stored about the person as a JSON file."""
        user = self._person(update)
        ui = await self._ui(update)
        exported = await self.services.users.export(user.id)
        if exported is None:
            await self._say(update, ui.nothing_stored)
            return
        body = json.dumps(exported, ensure_ascii=False, indent=2)
        params = {
            "chat_id": user.id,
            "document": attachments.document("closer-my-data.json", body),
            "caption": ui.export_caption,
        }
        await self._reply(update, [Call(user.id, "sendDocument", params)])

    async def on_forget(self, update: Update, context: Context) -> None:
        """Asks before erasing everything stored about the person."""
        ui = await self._ui(update)
        markup = confirm_keyboard(ui.forget_yes, ui.forget_no)
        await self._say(update, ui.forget_confirm, markup)

    async def _settle_forget(self, update: Update, erase: bool) -> None:
        query = update.callback_query
        assert query is not None
        user = self._person(update)
        ui = await self._ui(update)  # before erasing: the language goes with the rest
        if erase:
            await self.services.users.delete(user.id)  # twice is the same as once
        calls = [replies.answer(user.id, query.id)]
        message = query.message
        if isinstance(message, TelegramMessage):
            text = ui.forgotten if erase else ui.kept
            calls.append(replies.edit(message.chat.id, message.message_id, text))
        await self._reply(update, calls)

    async def on_stop(self, update: Update, context: Context) -> None:
        """Stops new content (and reminders) for the person."""
        await self.services.users.set_subscribed(self._person(update), False)
        await self._say(update, (await self._ui(update)).unsubscribed)

    async def on_subscribe(self, update: Update, context: Context) -> None:
        """Starts new content again for the person."""
        await self.services.users.set_subscribed(self._person(update), True)
        await self._say(update, (await self._ui(update)).subscribed)

    # ------------------------------------------------------------------ outside the dialogue

    async def on_elsewhere(self, update: Update, context: Context) -> None:
        """Tells a group or channel that the bot only talks in private chats."""
        chat = update.effective_chat
        assert chat is not None
        # A channel may not let the bot post at all; then the note is dropped.
        await self._reply(update, [replies.text(chat.id, self._ui_now(update).private_only)])

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
        if chat is not None and chat.type == ChatType.PRIVATE and isinstance(update, Update):
            await _quietly(self._send([replies.text(chat.id, self._ui_now(update).try_again)]))

    # ------------------------------------------------------------------ plumbing

    def _person(self, update: Update) -> UserProfile:
        """Who sent the update, with the language to talk to them in if they are new:
        Telegram's ``language_code`` as one the bot speaks ("ru-RU" -> "ru", "pt" -> "en")."""
        person = _profile(update)
        return replace(person, language=self.services.library.language_for(person.language))

    async def _language(self, update: Update) -> str | None:
        """The language the person talks in: their stored choice, else Telegram's."""
        user = self._person(update)
        stored = await self.services.users.profile(user.id)
        return stored.language if stored is not None and stored.language else user.language

    async def _ui(self, update: Update) -> Ui:
        """The person's texts outside the dialogue, in their language."""
        return self.services.conversations.speaking(await self._language(update)).content.ui

    def _ui_now(self, update: Update) -> Ui:
        """The texts in Telegram's language for the person, without asking the database
        (which may be the thing that is out)."""
        user = update.effective_user
        language = user.language_code if user is not None else None
        return self.services.conversations.speaking(language).content.ui

    async def _converse(self, update: Update, event: Event) -> None:
        """Applies an event and commits the calls that show its turn (the outbox delivers
        them); a database outage gets a kind "try again" straight away instead."""
        user = self._person(update)
        try:
            await self.services.conversations.apply(user, event, update.update_id, _tap(update))
        except StorageUnavailableError:
            await self._sorry(update)

    async def _say(self, update: Update, text: str, markup: Markup | None = None) -> None:
        """One sentence in reply to the update (once, however often it is delivered)."""
        await self._reply(update, [replies.text(_profile_or_chat(update), text, markup)])

    async def _reply(self, update: Update, calls: Sequence[Call]) -> None:
        """Commits the calls with the update's id claimed (a redelivered update says
        nothing twice); if the database is out, makes them at once, as best it can."""
        try:
            await self.services.outbox.enqueue(calls, claim_update=update.update_id)
        except StorageUnavailableError:
            await self._send(calls)

    async def _sorry(self, update: Update) -> None:
        """The database is out: "try again in a moment", on the tapped button or in a message."""
        query = update.callback_query
        chat_id = self._person(update).id
        try_again = self._ui_now(update).try_again
        if query is not None:
            await self._send([replies.answer(chat_id, query.id, try_again, alert=True)])
        else:
            await self._send([replies.text(chat_id, try_again)])

    async def _send(self, calls: Sequence[Call]) -> None:
        """Calls made now, without the outbox (only when it cannot be written)."""
        for call in calls:
            await _quietly(
                self.services.sender.call(call.method, call.params, chat_id=call.chat_id)
            )


def _profile(update: Update) -> UserProfile:
    user = update.effective_user
    assert user is not None, "private-chat updates always have a user"
    return UserProfile(id=user.id, first_name=user.first_name or "", language=user.language_code)


def _profile_or_chat(update: Update) -> int:
    """Where a reply goes: the chat of the update, or the person's own."""
    chat = update.effective_chat
    return chat.id if chat is not None else _profile(update).id


def _tap(update: Update) -> Tap | None:
    """The tapped button an update carries, with the message it was on (if Telegram still
    shows that message to the bot)."""
    query = update.callback_query
    if query is None:
        return None
    message = query.message
    if not isinstance(message, TelegramMessage):
        return Tap(query.id)
    return Tap(query.id, message.message_id, message.text_html if message.text else None)


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
    """Awaits a best-effort call; failures are only logged."""
    try:
        await awaitable
    except Exception as error:  # best effort by design: never let a courtesy call fail a turn
        log.info("best-effort call failed: %s", error)
