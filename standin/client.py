"""A small async client for the stand-in's user side: act as people, read what the bot did.

    async with StandInClient(url) as client:
        sam = client.conversation(Person(1001, "Sam"))
        await sam.send("/start")
        reply = await sam.next_message()
        await sam.tap("Let's begin")

A :class:`Conversation` follows one person's chat: it keeps the bot's messages as they
currently stand (edits and deletions applied), so "tap the button labelled X" means what it
means on a phone: the latest message that shows that button.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

JsonDict = dict[str, Any]


class StandInError(RuntimeError):
    """The stand-in refused a user-side request (the reason is Telegram-like)."""


@dataclass(frozen=True)
class Person:
    """Someone using Telegram."""

    id: int
    first_name: str = "Sam"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_json(self) -> JsonDict:
        """The person as the stand-in's user side takes it."""
        shape: JsonDict = {"id": self.id, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                shape[key] = getattr(self, key)
        return shape


class StandInClient:
    """HTTP client for ``/_standin/``; one per test or load generator."""

    def __init__(self, url: str, bot_id: int | None = None, connections: int = 1000) -> None:
        self.url = url.rstrip("/")
        self.bot_id = bot_id
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> StandInClient:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._connections),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def conversation(self, person: Person, chat_id: int | None = None) -> Conversation:
        """Follows ``person``'s chat with the bot (or a group chat they write in)."""
        return Conversation(self, person, chat_id if chat_id is not None else person.id)

    # ----------------------------------------------------------------- acting

    async def register_bot(self, token: str) -> JsonDict:
        """Registers a bot before it connects; returns its User object."""
        answer = await self._post("/_standin/bots", {"token": token})
        if self.bot_id is None:
            self.bot_id = int(answer["bot"]["id"])
        return dict(answer["bot"])

    async def bulk_people(self, first_id: int, count: int, first_name: str = "Reader") -> None:
        """Creates ``count`` people (ids from ``first_id``) who have started the bot."""
        await self._post(
            "/_standin/people/bulk",
            {"first_id": first_id, "count": count, "first_name": first_name},
        )

    async def send(
        self, person: Person, text: str | None = None, *, kind: str = "text", **fields: Any
    ) -> JsonDict:
        """A message from ``person``: text (commands get their entity) or another ``kind``."""
        body: JsonDict = {"user": person.to_json(), "kind": kind, **fields}
        if text is not None:
            body["text"] = text
        return await self._post("/_standin/send", body)

    async def press(
        self,
        person: Person,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """Taps a button by its callback data or its label; StandInError if it is not there."""
        body: JsonDict = {"user": person.to_json(), "message_id": message_id}
        if data is not None:
            body["data"] = data
        if text is not None:
            body["text"] = text
        if chat_id is not None:
            body["chat_id"] = chat_id
        return await self._post("/_standin/press", body)

    async def block(self, person: Person, blocked: bool = True) -> None:
        """``person`` blocks (or unblocks) the bot."""
        await self._post("/_standin/block", {"user": person.to_json(), "blocked": blocked})

    async def inject(self, update: JsonDict) -> int:
        """Queues a raw update of any shape; returns its update_id."""
        answer = await self._post("/_standin/updates", {"update": update})
        return int(answer["update_id"])

    async def redeliver(self, update_id: int) -> None:
        """Has Telegram deliver an update again."""
        await self._post("/_standin/redeliver", {"update_id": update_id})

    # ----------------------------------------------------------------- reading

    async def events(
        self,
        chat_id: int,
        since: int = 0,
        *,
        wait_for: int = 0,
        timeout: float = 0,
        kinds: tuple[str, ...] = (),
        until_keyboard: bool = False,
    ) -> tuple[list[JsonDict], int]:
        """Events in a chat after ``since`` (waiting up to ``timeout`` for ``wait_for``)."""
        query: dict[str, str] = {"since": str(since), "min": str(wait_for), "timeout": str(timeout)}
        if kinds:
            query["kinds"] = ",".join(kinds)
        if until_keyboard:
            query["until"] = "keyboard"
        answer = await self._get(f"/_standin/chats/{chat_id}/events", query)
        return list(answer["events"]), int(answer["seq"])

    async def messages(self, chat_id: int) -> list[JsonDict]:
        """Every message now in a chat, with ``from_bot`` set on the bot's."""
        return list((await self._get(f"/_standin/chats/{chat_id}/messages"))["messages"])

    async def commands(self, chat_id: int, language: str | None = None) -> list[JsonDict]:
        """The command menu shown in a chat."""
        query = {"language": language} if language else {}
        return list((await self._get(f"/_standin/chats/{chat_id}/commands", query))["commands"])

    # ----------------------------------------------------------------- steering

    async def control(self, **controls: Any) -> JsonDict:
        """Sets the bot's controls (rate limits, latency, faults); anything omitted is off."""
        return dict((await self._post("/_standin/control", controls))["controls"])

    async def log(self, since: int = 0, limit: int = 10_000) -> list[JsonDict]:
        """Bot API calls after ``since``."""
        answer = await self._get("/_standin/log", {"since": str(since), "limit": str(limit)})
        return list(answer["calls"])

    async def stats(self) -> JsonDict:
        """The stand-in's counters."""
        return dict((await self._get("/_standin/stats"))["stats"])

    async def reset(self) -> None:
        """Forgets everything."""
        await self._post("/_standin/reset", {})

    # ----------------------------------------------------------------- transport

    async def _post(self, path: str, body: JsonDict) -> JsonDict:
        if self.bot_id is not None and "bot" not in body:
            body = {**body, "bot": self.bot_id}
        session = self._require_session()
        async with session.post(self.url + path, json=body) as response:
            return await _answer(response)

    async def _get(self, path: str, query: dict[str, str] | None = None) -> JsonDict:
        query = dict(query or {})
        if self.bot_id is not None:
            query.setdefault("bot", str(self.bot_id))
        session = self._require_session()
        async with session.get(self.url + path, params=query) as response:
            return await _answer(response)

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use `async with StandInClient(url) as client:`")
        return self._session


async def _answer(response: aiohttp.ClientResponse) -> JsonDict:
    body = await response.json(content_type=None)
    if response.status != 200 or not body.get("ok"):
        raise StandInError(str(body.get("description", response.status)))
    return dict(body)


@dataclass
class Conversation:
    """One person's chat, as their phone shows it."""

    client: StandInClient
    person: Person
    chat_id: int
    seq: int = 0
    bot_messages: dict[int, JsonDict] = field(default_factory=dict)
    callback_answers: list[JsonDict] = field(default_factory=list)
    unread: list[JsonDict] = field(default_factory=list)

    async def send(self, text: str, **fields: Any) -> JsonDict:
        """Sends a text message (a command if it starts with ``/``)."""
        chat = {"chat": fields.pop("chat")} if "chat" in fields else {}
        return await self.client.send(self.person, text, **chat, **fields)

    async def send_kind(self, kind: str, **fields: Any) -> JsonDict:
        """Sends a sticker, photo, voice, document, video, location or contact."""
        return await self.client.send(self.person, kind=kind, **fields)

    async def sync(self, wait_for: int = 0, timeout: float = 0) -> list[JsonDict]:
        """Reads new events into the view of the chat; returns them."""
        events, _ = await self.client.events(
            self.chat_id, self.seq, wait_for=wait_for, timeout=timeout
        )
        for event in events:
            self.seq = max(self.seq, event["seq"])
            kind = event["kind"]
            if kind in ("message", "edit"):
                message = event["message"]
                self.bot_messages[message["message_id"]] = message
                if kind == "message":
                    self.unread.append(message)
            elif kind == "delete":
                self.bot_messages.pop(event["message_id"], None)
            elif kind == "callback_answer":
                self.callback_answers.append(event)
        return events

    async def next_message(self, timeout: float = 10.0) -> JsonDict:
        """The oldest bot message not yet returned, waiting for one if need be."""
        deadline = time.monotonic() + timeout
        while not self.unread:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no message from the bot in chat {self.chat_id} within {timeout} s"
                )
            await self.sync(wait_for=1, timeout=remaining)
        return self.unread.pop(0)

    async def wait_until(
        self, predicate: Any, timeout: float = 10.0, what: str = "the expected state"
    ) -> None:
        """Reads events until ``predicate(self)`` holds; TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        await self.sync()
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"chat {self.chat_id}: {what} not reached within {timeout} s")
            await self.sync(wait_for=1, timeout=remaining)

    def read_all(self) -> list[JsonDict]:
        """Takes every unread bot message."""
        taken, self.unread = self.unread, []
        return taken

    def keyboard_message(self, label: str | None = None) -> JsonDict | None:
        """The newest bot message showing buttons (with this label, if given)."""
        for message in sorted(self.bot_messages.values(), key=lambda m: -m["message_id"]):
            labels = button_labels(message)
            if labels and (label is None or label in labels):
                return message
        return None

    async def tap(self, label: str) -> JsonDict:
        """Taps the button with this label on the newest message that shows it."""
        await self.sync()
        message = self.keyboard_message(label)
        if message is None:
            shown = [button_labels(m) for m in self.bot_messages.values()]
            raise StandInError(f"no button {label!r}; buttons on screen: {shown}")
        return await self.client.press(
            self.person, message["message_id"], text=label, chat_id=self.chat_id
        )

    async def press_data(self, message_id: int, data: str) -> JsonDict:
        """Taps a button by its callback data."""
        return await self.client.press(self.person, message_id, data=data, chat_id=self.chat_id)


def button_labels(message: JsonDict) -> list[str]:
    """The labels of a message's inline buttons, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [str(button.get("text", "")) for row in rows for button in row]


def message_text(message: JsonDict) -> str:
    """What a message reads as: its text or its caption."""
    return str(message.get("text") or message.get("caption") or "")
