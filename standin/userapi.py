"""The people's side of the stand-in, and the knobs: HTTP endpoints under ``/_standin/``.

Everything a person does in a Telegram client becomes an update for the bot: a message
(text, command, sticker, photo, voice...), a button press, blocking the bot. Reading
endpoints return what the bot did in a chat (messages, edits, deletions, answers to button
presses), optionally waiting until something arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from typing import Any

from aiohttp import web

from standin import shapes
from standin.botapi import effective_commands
from standin.htmltext import utf16_length
from standin.limits import Controls
from standin.world import Bot, CallbackRecord, StoredMessage, World

JsonDict = dict[str, Any]
COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")


class UserSideError(web.HTTPBadRequest):
    """A user-side request that cannot be carried out (with a JSON reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            text=json.dumps({"ok": False, "description": reason}), content_type="application/json"
        )


class UserApi:
    """Routes for acting as people and for steering the stand-in."""

    def __init__(self, world: World, server: Any) -> None:
        self.world = world
        self.server = server

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes this side serves."""
        return [
            web.get("/_standin/health", self.health),
            web.post("/_standin/bots", self.register_bot),
            web.post("/_standin/people/bulk", self.bulk_people),
            web.post("/_standin/send", self.send),
            web.post("/_standin/press", self.press),
            web.post("/_standin/block", self.block),
            web.post("/_standin/updates", self.inject),
            web.post("/_standin/redeliver", self.redeliver),
            web.get("/_standin/chats/{chat_id}/events", self.events),
            web.get("/_standin/chats/{chat_id}/messages", self.messages),
            web.get("/_standin/chats/{chat_id}/commands", self.commands),
            web.get("/_standin/control", self.get_control),
            web.post("/_standin/control", self.set_control),
            web.get("/_standin/log", self.log),
            web.get("/_standin/stats", self.stats),
            web.post("/_standin/reset", self.reset),
        ]

    # ----------------------------------------------------------------- helpers

    def _bot(self, request: web.Request, body: JsonDict | None = None) -> Bot:
        wanted = (body or {}).get("bot") or request.query.get("bot")
        if wanted is not None:
            bot = self.world.bots_by_id.get(int(wanted))
            if bot is None:
                raise UserSideError(f"no bot {wanted} has connected")
            return bot
        if len(self.world.bots) == 1:
            return next(iter(self.world.bots.values()))
        if not self.world.bots:
            raise UserSideError("no bot has connected yet")
        raise UserSideError("several bots are connected: say which with bot=<id>")

    @staticmethod
    async def _body(request: web.Request) -> JsonDict:
        try:
            body = await request.json()
        except ValueError:
            raise UserSideError("the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise UserSideError("the body must be a JSON object")
        return body

    def _person(self, body: JsonDict) -> JsonDict:
        user = body.get("user")
        if not isinstance(user, dict) or "id" not in user:
            raise UserSideError("user.id is required")
        return self.world.person(int(user["id"]), **{k: v for k, v in user.items() if k != "id"})

    # ----------------------------------------------------------------- acting as people

    async def health(self, request: web.Request) -> web.Response:
        """Liveness: the stand-in is up."""
        return web.json_response({"ok": True})

    async def register_bot(self, request: web.Request) -> web.Response:
        """Registers a bot token ahead of its first call, so people can write to it."""
        body = await self._body(request)
        bot = self.world.bot_for_token(str(body.get("token", "")))
        return web.json_response({"ok": True, "bot": bot.user})

    async def bulk_people(self, request: web.Request) -> web.Response:
        """Creates many people who have started the bot, without sending any update."""
        body = await self._body(request)
        bot = self._bot(request, body)
        first, count = int(body["first_id"]), int(body["count"])
        # Chats are made when the bot first writes to them, so a million people cost nothing.
        bot.bulk.append((first, count, str(body.get("first_name", "Reader"))))
        return web.json_response({"ok": True, "created": count})

    async def send(self, request: web.Request) -> web.Response:
        """A person sends a message (text, command, sticker, photo...) in a chat."""
        body = await self._body(request)
        bot = self._bot(request, body)
        person = self._person(body)
        chat = self._chat_for(bot, person, body.get("chat"))
        if chat.chat["type"] == "private" and person["id"] in bot.blocked_by:
            self._set_blocked(bot, person, blocked=False)  # writing again unblocks the bot
        content = self._content(body)
        message = StoredMessage(
            message_id=chat.allocate_id(),
            chat=chat.chat,
            sender=person if chat.chat["type"] != "channel" else None,
            date=shapes.now(),
            content=content,
            from_bot=False,
        )
        chat.messages[message.message_id] = message
        kind = "channel_post" if chat.chat["type"] == "channel" else "message"
        if body.get("edit_of") is not None:
            original = chat.messages.get(int(body["edit_of"]))
            if original is None:
                raise UserSideError("no message to edit")
            del chat.messages[message.message_id]
            original.content, original.edit_date = content, shapes.now()
            message, kind = original, "edited_message"
        update = bot.enqueue(kind, message.to_json())
        await chat.record("user_message", message=message.to_json())
        self.server.stats["updates_created"] += 1
        return web.json_response(
            {
                "ok": True,
                "update_id": update["update_id"],
                "message_id": message.message_id,
                "chat_id": chat.chat["id"],
            }
        )

    def _chat_for(self, bot: Bot, person: JsonDict, chat: Any) -> Any:
        if chat is None:
            return bot.chat(shapes.private_chat(person))
        if not isinstance(chat, dict) or "id" not in chat:
            raise UserSideError("chat must be an object with an id")
        kind = chat.get("type", "group")
        return bot.chat(shapes.group_chat(int(chat["id"]), str(chat.get("title", "A group")), kind))

    def _content(self, body: JsonDict) -> JsonDict:
        kind = body.get("kind", "text")
        if kind == "text":
            text = str(body.get("text", ""))
            content: JsonDict = {"text": text}
            entities = list(body.get("entities") or [])
            command = COMMAND.match(text)
            if command and not any(e.get("type") == "bot_command" for e in entities):
                entities.insert(
                    0,
                    {"type": "bot_command", "offset": 0, "length": utf16_length(command.group(0))},
                )
            if entities:
                content["entities"] = entities
            return content
        if kind == "sticker":
            record = self.world.new_file("sticker", 12_000)
            return {
                "sticker": {
                    "file_id": record["file_id"],
                    "file_unique_id": record["file_unique_id"],
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": body.get("emoji", "🙂"),
                }
            }
        if kind == "photo":
            record = self.world.new_file("photo", int(body.get("size", 80_000)))
            content = {
                "photo": shapes.photo_sizes(
                    record["file_id"], record["file_unique_id"], record["size"]
                )
            }
        elif kind == "voice":
            record = self.world.new_file("voice", 20_000)
            content = {
                "voice": {
                    "file_id": record["file_id"],
                    "file_unique_id": record["file_unique_id"],
                    "duration": 3,
                    "mime_type": "audio/ogg",
                    "file_size": 20_000,
                }
            }
        elif kind == "document":
            record = self.world.new_file("document", 30_000)
            content = {
                "document": {
                    "file_id": record["file_id"],
                    "file_unique_id": record["file_unique_id"],
                    "file_name": body.get("file_name", "notes.pdf"),
                    "file_size": 30_000,
                }
            }
        elif kind == "video":
            record = self.world.new_file("video", 500_000)
            content = {
                "video": {
                    "file_id": record["file_id"],
                    "file_unique_id": record["file_unique_id"],
                    "width": 640,
                    "height": 360,
                    "duration": 5,
                    "file_size": 500_000,
                }
            }
        elif kind == "location":
            return {"location": {"latitude": 52.52, "longitude": 13.405}}
        elif kind == "contact":
            return {"contact": {"phone_number": "+10000000000", "first_name": "Someone"}}
        else:
            raise UserSideError(f"unknown message kind {kind!r}")
        if body.get("caption"):
            content["caption"] = str(body["caption"])
            if body.get("caption_entities"):
                content["caption_entities"] = body["caption_entities"]
        return content

    async def press(self, request: web.Request) -> web.Response:
        """A person taps an inline button; refused if the message no longer has it."""
        body = await self._body(request)
        bot = self._bot(request, body)
        person = self._person(body)
        chat_id = int(body.get("chat_id") or person["id"])
        chat = bot.chats.get(chat_id)
        message = chat.messages.get(int(body.get("message_id", 0))) if chat else None
        if chat is None or message is None:
            raise UserSideError("no such message")
        data = body.get("data")
        if data is None and body.get("text") is not None:
            data = next(
                (
                    button.get("callback_data")
                    for row in (message.reply_markup or {}).get("inline_keyboard", [])
                    for button in row
                    if button.get("text") == body["text"]
                ),
                None,
            )
        if data is None or not message.has_button(str(data)):
            raise UserSideError("the message has no such button")
        query_id = str(next(bot.callback_ids))
        bot.callbacks[query_id] = CallbackRecord(person["id"], chat_id, time.monotonic())
        query = {
            "id": query_id,
            "from": person,
            "message": message.to_json(),
            "chat_instance": str(abs(hash((bot.id, chat_id))) % 10**18),
            "data": str(data),
        }
        update = bot.enqueue("callback_query", query)
        self.server.stats["updates_created"] += 1
        return web.json_response(
            {"ok": True, "update_id": update["update_id"], "callback_query_id": query_id}
        )

    async def block(self, request: web.Request) -> web.Response:
        """A person blocks (or unblocks) the bot; the bot gets a my_chat_member update."""
        body = await self._body(request)
        bot = self._bot(request, body)
        person = self._person(body)
        self._set_blocked(bot, person, blocked=bool(body.get("blocked", True)))
        return web.json_response({"ok": True})

    def _set_blocked(self, bot: Bot, person: JsonDict, blocked: bool) -> None:
        if blocked == (person["id"] in bot.blocked_by):
            return
        chat = bot.chat(shapes.private_chat(person))
        if blocked:
            bot.blocked_by.add(person["id"])
        else:
            bot.blocked_by.discard(person["id"])
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member = {
            "chat": chat.chat,
            "from": person,
            "date": shapes.now(),
            "old_chat_member": _member(bot, old),
            "new_chat_member": _member(bot, new),
        }
        bot.enqueue("my_chat_member", member)

    async def inject(self, request: web.Request) -> web.Response:
        """Queues a raw update (anything at all, for fuzzing); its update_id is assigned."""
        body = await self._body(request)
        bot = self._bot(request, body)
        update = body.get("update")
        if not isinstance(update, dict):
            raise UserSideError("update must be an object")
        fields = {k: v for k, v in update.items() if k != "update_id"}
        queued = {"update_id": bot.next_update_id, **fields}
        bot.next_update_id += 1
        bot.pending.append(queued)
        bot.history[queued["update_id"]] = queued
        bot.update_arrived.set()
        bot.webhook_wakeup.set()
        for payload in fields.values():
            chat = payload.get("chat") if isinstance(payload, dict) else None
            if (
                _dig_int(chat, "id")
                and isinstance(chat, dict)
                and isinstance(chat.get("type"), str)
            ):
                bot.chat(chat)  # Telegram knows every chat that wrote to the bot
            # a callback query can then be answered
            if isinstance(payload, dict) and "chat_instance" in payload and "id" in payload:
                chat_id = _dig_int(payload, "message", "chat", "id")
                sender = _dig_int(payload, "from", "id")
                bot.callbacks[str(payload["id"])] = CallbackRecord(
                    sender, chat_id, time.monotonic()
                )
        self.server.stats["updates_created"] += 1
        return web.json_response({"ok": True, "update_id": queued["update_id"]})

    async def redeliver(self, request: web.Request) -> web.Response:
        """Delivers an update again, as Telegram does when it never saw it confirmed."""
        body = await self._body(request)
        bot = self._bot(request, body)
        update = bot.history.get(int(body.get("update_id", -1)))
        if update is None:
            raise UserSideError("no such update")
        bot.redeliver(update)
        return web.json_response({"ok": True})

    # ----------------------------------------------------------------- reading

    async def events(self, request: web.Request) -> web.Response:
        """What happened in a chat after ``since``; waits up to ``timeout`` for ``min``
        events, or with ``until=keyboard`` for a new message with buttons (a whole reply)."""
        bot = self._bot(request)
        chat_id = int(request.match_info["chat_id"])
        since = int(request.query.get("since", 0))
        wanted = int(request.query.get("min", 1))
        timeout = float(request.query.get("timeout", 0))
        kinds = set(request.query["kinds"].split(",")) if request.query.get("kinds") else None
        until_keyboard = request.query.get("until") == "keyboard"

        def found() -> list[JsonDict]:
            chat = bot.chats.get(chat_id)
            if chat is None:
                return []
            return [
                e for e in chat.events if e["seq"] > since and (kinds is None or e["kind"] in kinds)
            ]

        def enough(events: list[JsonDict]) -> bool:
            if until_keyboard:
                return any(_has_keyboard(event) for event in events)
            return len(events) >= wanted

        events = found()
        deadline = time.monotonic() + timeout
        while not enough(events) and time.monotonic() < deadline:
            chat = bot.chats.get(chat_id)
            if chat is None:
                await asyncio.sleep(0.01)  # the chat appears with the first message
            else:
                async with chat.changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(chat.changed.wait(), deadline - time.monotonic())
            events = found()
        chat = bot.chats.get(chat_id)
        return web.json_response({"ok": True, "events": events, "seq": chat.seq if chat else 0})

    async def messages(self, request: web.Request) -> web.Response:
        """Every message now in the chat (the bot's and the person's), oldest first."""
        bot = self._bot(request)
        chat = bot.chats.get(int(request.match_info["chat_id"]))
        shown = [
            {**m.to_json(), "from_bot": m.from_bot}
            for m in (chat.messages.values() if chat else [])
            if not m.deleted
        ]
        return web.json_response({"ok": True, "messages": shown})

    async def commands(self, request: web.Request) -> web.Response:
        """The command menu the person in this chat sees."""
        bot = self._bot(request)
        chat_id = int(request.match_info["chat_id"])
        menu = effective_commands(bot, chat_id, request.query.get("language"))
        return web.json_response({"ok": True, "commands": menu})

    # ----------------------------------------------------------------- steering

    async def get_control(self, request: web.Request) -> web.Response:
        """The current controls of a bot."""
        return web.json_response({"ok": True, "controls": self._bot(request).controls.to_json()})

    async def set_control(self, request: web.Request) -> web.Response:
        """Replaces a bot's controls (rate limits, latency, faults); omitted ones are off."""
        body = await self._body(request)
        bots = (
            list(self.world.bots.values())
            if body.pop("all_bots", False)
            else [self._bot(request, body)]
        )
        body.pop("bot", None)
        try:
            controls = Controls.from_json(body)
        except (TypeError, ValueError) as error:
            raise UserSideError(f"bad controls: {error}") from None
        for bot in bots:
            bot.set_controls(controls)
        return web.json_response({"ok": True, "controls": controls.to_json()})

    async def log(self, request: web.Request) -> web.Response:
        """Bot API calls after ``since`` (at most ``limit``), oldest first."""
        since = int(request.query.get("since", 0))
        limit = int(request.query.get("limit", 10_000))
        calls = [c for c in self.server.calls if c["seq"] > since][:limit]
        return web.json_response({"ok": True, "calls": calls})

    async def stats(self, request: web.Request) -> web.Response:
        """Counters: calls per method and status, updates, faults, deliveries."""
        return web.json_response({"ok": True, "stats": self.server.stats_json()})

    async def reset(self, request: web.Request) -> web.Response:
        """Forgets everything: bots, people, chats, log and counters."""
        await self.server.reset()
        return web.json_response({"ok": True})


def _dig_int(value: Any, *keys: str) -> int:
    """``value[k1][k2]...`` if every step is an object and the end an integer, else 0: a
    forged update may hold anything anywhere."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _has_keyboard(event: JsonDict) -> bool:
    if event["kind"] != "message":
        return False
    markup = event["message"].get("reply_markup") or {}
    return bool(markup.get("inline_keyboard"))


def _member(bot: Bot, status: str) -> JsonDict:
    member: JsonDict = {"user": bot.sender, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member
