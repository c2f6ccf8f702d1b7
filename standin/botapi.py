"""The Bot API methods the stand-in serves, with Telegram's results and refusals."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from standin import shapes
from standin.errors import ApiError, bad_request, forbidden
from standin.htmltext import parse_html, utf16_length
from standin.params import Params
from standin.world import Bot, ChatState, StoredMessage, Webhook, World

JsonDict = dict[str, Any]
Handler = Callable[["BotApi", Bot, Params], Awaitable[Any]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


_METHOD_NAMES = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendChatAction",
    "copyMessage",
    "sendPhoto",
    "sendDocument",
    "sendVideo",
    "close",
    "logOut",
)


class BotApi:
    """Method handlers, keyed by lower-cased method name (Telegram ignores the case)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.methods: dict[str, Handler] = {
            name.lower(): handler
            for name, handler in {
                "getMe": BotApi.get_me,
                "getUpdates": BotApi.get_updates,
                "setWebhook": BotApi.set_webhook,
                "deleteWebhook": BotApi.delete_webhook,
                "getWebhookInfo": BotApi.get_webhook_info,
                "sendMessage": BotApi.send_message,
                "editMessageText": BotApi.edit_message_text,
                "editMessageReplyMarkup": BotApi.edit_message_reply_markup,
                "deleteMessage": BotApi.delete_message,
                "answerCallbackQuery": BotApi.answer_callback_query,
                "setMyCommands": BotApi.set_my_commands,
                "getMyCommands": BotApi.get_my_commands,
                "deleteMyCommands": BotApi.delete_my_commands,
                "sendChatAction": BotApi.send_chat_action,
                "copyMessage": BotApi.copy_message,
                "sendPhoto": BotApi.send_photo,
                "sendDocument": BotApi.send_document,
                "sendVideo": BotApi.send_video,
                "close": BotApi.always_true,
                "logOut": BotApi.always_true,
            }.items()
        }
        self.canonical_names = {name.lower(): name for name in _METHOD_NAMES}
        self.webhook_changed: Callable[[Bot], None] = lambda bot: None

    def canonical(self, method: str) -> str:
        """The documented spelling of a method name (Telegram ignores case in them)."""
        return self.canonical_names.get(method.lower(), method)

    # ----------------------------------------------------------------- identity, updates

    async def get_me(self, bot: Bot, params: Params) -> JsonDict:
        """getMe: the bot's own user."""
        return bot.user

    async def always_true(self, bot: Bot, params: Params) -> bool:
        """close, logOut: nothing to do on loopback."""
        return True

    async def get_updates(self, bot: Bot, params: Params) -> list[JsonDict]:
        """getUpdates: long polling with offset, limit and timeout; 409 for a rival poller."""
        if bot.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.integer("offset", 0)
        limit = min(100, max(1, params.integer("limit", 100)))
        timeout = max(0, min(50, params.integer("timeout", 0)))
        allowed = params.raw("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = list(allowed)
        if offset > 0:
            bot.confirm(offset)
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.update_arrived.set()  # wakes an older poller, which then steps aside with 409
        bot.update_arrived.clear()
        deadline = time.monotonic() + timeout
        while True:
            if generation != bot.poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            updates = bot.take(offset, limit, bot.allowed_updates)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0:
                return updates
            bot.update_arrived.clear()
            bot.polls_waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bot.update_arrived.wait(), remaining)
            finally:
                bot.polls_waiting -= 1

    async def set_webhook(self, bot: Bot, params: Params) -> bool:
        """setWebhook: updates are then POSTed to the URL with the secret token header."""
        url = params.string("url", "")
        if not url:
            return await self.delete_webhook(bot, params)
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.optional_string("secret_token")
        if secret is not None and not (
            0 < len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise bad_request("secret token contains unallowed characters")
        if params.boolean("drop_pending_updates"):
            bot.pending.clear()
        allowed = params.raw("allowed_updates")
        bot.webhook = Webhook(
            url=url,
            secret_token=secret,
            max_connections=params.integer("max_connections", 40),
            allowed_updates=list(allowed) if allowed is not None else None,
        )
        bot.update_arrived.set()  # a poller still waiting steps aside
        self.webhook_changed(bot)
        return True

    async def delete_webhook(self, bot: Bot, params: Params) -> bool:
        """deleteWebhook: back to getUpdates."""
        if params.boolean("drop_pending_updates"):
            bot.pending.clear()
        bot.webhook = None
        self.webhook_changed(bot)
        return True

    async def get_webhook_info(self, bot: Bot, params: Params) -> JsonDict:
        """getWebhookInfo: the registration and how many updates wait."""
        info: JsonDict = {
            "url": bot.webhook.url if bot.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.pending),
        }
        if bot.webhook is not None:
            info["max_connections"] = bot.webhook.max_connections
            if bot.webhook.allowed_updates is not None:
                info["allowed_updates"] = bot.webhook.allowed_updates
            if bot.webhook.last_error_date is not None:
                info["last_error_date"] = bot.webhook.last_error_date
                info["last_error_message"] = bot.webhook.last_error_message
        return info

    # ----------------------------------------------------------------- sending

    async def send_message(self, bot: Bot, params: Params) -> JsonDict:
        """sendMessage: text (HTML parsed), entities, inline keyboard."""
        chat = self._target(bot, params)
        text, entities = _formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_length(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._deliver(bot, chat, content, params)

    async def send_photo(self, bot: Bot, params: Params) -> JsonDict:
        """sendPhoto: an upload or a known file_id, with an optional caption."""
        chat = self._target(bot, params)
        record = self._file(params, "photo")
        content: JsonDict = {
            "photo": shapes.photo_sizes(record["file_id"], record["file_unique_id"], record["size"])
        }
        content.update(_caption(params))
        return await self._deliver(bot, chat, content, params)

    async def send_document(self, bot: Bot, params: Params) -> JsonDict:
        """sendDocument: an upload or a known file_id, with an optional caption."""
        chat = self._target(bot, params)
        record = self._file(params, "document")
        upload = params.uploads.get("document")
        content: JsonDict = {
            "document": {
                "file_id": record["file_id"],
                "file_unique_id": record["file_unique_id"],
                "file_name": upload.filename if upload else record.get("file_name", "file"),
                "mime_type": "application/octet-stream",
                "file_size": record["size"],
            }
        }
        content.update(_caption(params))
        return await self._deliver(bot, chat, content, params)

    async def send_video(self, bot: Bot, params: Params) -> JsonDict:
        """sendVideo: an upload or a known file_id, with an optional caption."""
        chat = self._target(bot, params)
        record = self._file(params, "video")
        content: JsonDict = {
            "video": {
                "file_id": record["file_id"],
                "file_unique_id": record["file_unique_id"],
                "width": 1280,
                "height": 720,
                "duration": 10,
                "file_size": record["size"],
            }
        }
        content.update(_caption(params))
        return await self._deliver(bot, chat, content, params)

    async def copy_message(self, bot: Bot, params: Params) -> JsonDict:
        """copyMessage: the same content in another chat, without a link to the original."""
        source_chat = bot.known_chat(params.chat_id("from_chat_id"))
        source = source_chat.messages.get(params.integer("message_id"))
        if source is None or source.deleted:
            raise bad_request("message to copy not found")
        chat = self._target(bot, params)
        content = dict(source.content)
        if params.has("caption"):
            if "text" in content:
                raise bad_request("message can't be copied with a new caption")
            for key in ("caption", "caption_entities"):
                content.pop(key, None)
            content.update(_caption(params))
        message = await self._deliver(bot, chat, content, params)
        return shapes.message_id_object(message["message_id"])

    async def _deliver(
        self, bot: Bot, chat: ChatState, content: JsonDict, params: Params
    ) -> JsonDict:
        markup = _validated_markup(params.raw("reply_markup"))
        bot.limiter.check(chat.chat["id"], chat.is_group)
        message = StoredMessage(
            message_id=chat.allocate_id(),
            chat=chat.chat,
            sender=bot.sender,
            date=shapes.now(),
            content=content,
            from_bot=True,
            reply_markup=markup,
        )
        chat.messages[message.message_id] = message
        shape = message.to_json()
        await chat.record("message", message=shape)
        return shape

    def _target(self, bot: Bot, params: Params) -> ChatState:
        chat_id = params.chat_id()
        chat = bot.find_chat(chat_id)
        if chat is None:
            if chat_id in self.world.people:
                raise forbidden("bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if chat_id in bot.blocked_by:
            raise forbidden("bot was blocked by the user")
        return chat

    def _file(self, params: Params, kind: str) -> JsonDict:
        upload = params.uploads.get(kind)
        if upload is not None:
            record = self.world.new_file(kind, upload.size)
            record["file_name"] = upload.filename
            return record
        reference = params.optional_string(kind)
        if not reference:
            raise bad_request(f"there is no {kind} in the request")
        if reference.startswith(("http://", "https://")):
            return self.world.new_file(kind, 50_000)
        known = self.world.files.get(reference)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    # ----------------------------------------------------------------- editing

    async def edit_message_text(self, bot: Bot, params: Params) -> JsonDict:
        """editMessageText: new text; the keyboard goes unless it is sent again."""
        chat, message = self._editable(bot, params)
        if "text" not in message.content:
            raise bad_request("there is no text in the message to edit")
        text, entities = _formatted(params, "text", "entities")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_length(text) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup = _validated_markup(params.raw("reply_markup"))
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        if content == message.content and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.content = content
        message.reply_markup = markup
        return await self._edited(chat, message)

    async def edit_message_reply_markup(self, bot: Bot, params: Params) -> JsonDict:
        """editMessageReplyMarkup: new buttons, or none."""
        chat, message = self._editable(bot, params)
        markup = _validated_markup(params.raw("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup = markup
        return await self._edited(chat, message)

    async def delete_message(self, bot: Bot, params: Params) -> bool:
        """deleteMessage: gone for both sides."""
        chat = bot.known_chat(params.chat_id())
        message = chat.messages.get(params.integer("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        await chat.record("delete", message_id=message.message_id)
        return True

    def _editable(self, bot: Bot, params: Params) -> tuple[ChatState, StoredMessage]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = bot.known_chat(params.chat_id())
        message = chat.messages.get(params.integer("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    async def _edited(self, chat: ChatState, message: StoredMessage) -> JsonDict:
        message.edit_date = shapes.now()
        shape = message.to_json()
        await chat.record("edit", message=shape)
        return shape

    # ----------------------------------------------------------------- the rest

    async def answer_callback_query(self, bot: Bot, params: Params) -> bool:
        """answerCallbackQuery: once per query, and only while it is fresh."""
        query_id = params.string("callback_query_id")
        record = bot.callbacks.get(query_id)
        deadline = bot.controls.callback_answer_deadline
        too_late = deadline is not None and record and time.monotonic() - record.created > deadline
        if record is None or record.answered or too_late:
            raise bad_request(QUERY_TOO_OLD)
        text = params.optional_string("text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        chat = bot.chats.get(record.chat_id)
        if chat is not None:
            await chat.record(
                "callback_answer",
                callback_query_id=query_id,
                text=text,
                show_alert=params.boolean("show_alert"),
            )
        return True

    async def set_my_commands(self, bot: Bot, params: Params) -> bool:
        """setMyCommands: the menu, per scope and language."""
        commands = params.raw("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request(
                "BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "commands is required"
            )
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            description = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not (
                0 < len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 0 < len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[_scope_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, bot: Bot, params: Params) -> list[JsonDict]:
        """getMyCommands: the menu set for exactly this scope and language."""
        return bot.commands.get(_scope_key(params), [])

    async def delete_my_commands(self, bot: Bot, params: Params) -> bool:
        """deleteMyCommands: the scope falls back to the broader ones."""
        bot.commands.pop(_scope_key(params), None)
        return True

    async def send_chat_action(self, bot: Bot, params: Params) -> bool:
        """sendChatAction: "typing..." and friends."""
        chat = self._target(bot, params)
        await chat.record("chat_action", action=params.string("action"))
        return True


def effective_commands(bot: Bot, chat_id: int, language: str | None) -> list[JsonDict]:
    """The menu a person sees in a chat: the narrowest scope with commands wins."""
    chat = bot.chats.get(chat_id)
    private = chat is None or chat.chat["type"] == "private"
    scopes = [f"chat:{chat_id}", "all_private_chats" if private else "all_group_chats", "default"]
    for scope in scopes:
        for lang in ([language] if language else []) + [""]:
            commands = bot.commands.get(f"{scope}|{lang}")
            if commands:
                return commands
    return []


def _scope_key(params: Params) -> str:
    scope = params.raw("scope") or {"type": "default"}
    kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
    if kind in ("chat", "chat_administrators", "chat_member"):
        kind = f"chat:{scope.get('chat_id')}"
    return f"{kind}|{params.optional_string('language_code') or ''}"


def _formatted(params: Params, text_field: str, entities_field: str) -> tuple[str, list[JsonDict]]:
    text = params.optional_string(text_field) or ""
    mode = (params.optional_string("parse_mode") or "").lower()
    if mode == "html":
        return parse_html(text)
    entities = params.raw(entities_field) or []
    return text, list(entities)


def _caption(params: Params) -> JsonDict:
    if not params.has("caption"):
        return {}
    caption, entities = _formatted(params, "caption", "caption_entities")
    if utf16_length(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    content: JsonDict = {"caption": caption}
    if entities:
        content["caption_entities"] = entities
    return content


def _validated_markup(markup: Any) -> JsonDict | None:
    """Checks an inline keyboard the way Telegram does; other markups pass through."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup if "inline_keyboard" not in markup else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise bad_request(
                    "BUTTON_TEXT_INVALID"
                    if isinstance(button, dict)
                    else "can't parse inline keyboard button"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
    if not any(rows):
        return None  # an empty keyboard is no keyboard
    return {"inline_keyboard": rows}
