"""Everything the stand-in remembers: bots, people, chats, messages and pending updates."""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from standin import shapes
from standin.errors import UNAUTHORIZED, ApiError
from standin.limits import Controls, FaultPlan, Limiter

JsonDict = dict[str, Any]

TOKEN_PATTERN = re.compile(r"^(\d{1,15}):[A-Za-z0-9_-]{30,64}$")
#: Events kept per chat for the user side to read (the oldest are dropped after this).
CHAT_EVENT_LIMIT = 5_000
#: Updates remembered per bot so a test can have one delivered again.
HISTORY_LIMIT = 100_000


@dataclass
class StoredMessage:
    """A message as it currently stands in a chat."""

    message_id: int
    chat: JsonDict
    sender: JsonDict | None
    date: int
    content: JsonDict
    from_bot: bool
    reply_markup: JsonDict | None = None
    edit_date: int | None = None
    deleted: bool = False

    def to_json(self) -> JsonDict:
        """The Message object Telegram would return or deliver for it now."""
        shape: JsonDict = {"message_id": self.message_id, "date": self.date, "chat": self.chat}
        if self.sender is not None:
            shape["from"] = self.sender
        shape.update(self.content)
        if self.reply_markup is not None:
            shape["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            shape["edit_date"] = self.edit_date
        return shape

    def has_button(self, data: str) -> bool:
        """Whether an inline button with this callback data is on the message right now."""
        if self.deleted or not self.reply_markup:
            return False
        return any(
            button.get("callback_data") == data
            for row in self.reply_markup.get("inline_keyboard", [])
            for button in row
        )


@dataclass
class ChatState:
    """One chat of one bot: its messages and the events the user side can read."""

    chat: JsonDict
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    events: deque[JsonDict] = field(default_factory=lambda: deque(maxlen=CHAT_EVENT_LIMIT))
    seq: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def is_group(self) -> bool:
        """Groups and supergroups have their own (per-minute) limit."""
        return self.chat["type"] in ("group", "supergroup")

    def allocate_id(self) -> int:
        """The next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    async def record(self, kind: str, **details: Any) -> JsonDict:
        """Adds an event for the user side and wakes anyone waiting for one; ``at`` is the
        wall-clock time it happened (what a benchmark reads to time a first reply)."""
        self.seq += 1
        event = {"seq": self.seq, "kind": kind, "at": time.time(), **details}
        self.events.append(event)
        async with self.changed:
            self.changed.notify_all()
        return event


@dataclass
class CallbackRecord:
    """A callback query the bot is expected to answer."""

    user_id: int
    chat_id: int
    created: float
    answered: bool = False


@dataclass
class Webhook:
    """A bot's webhook registration."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Bot:
    """One bot account: identity, pending updates, chats, commands, controls."""

    def __init__(self, token: str, bot_id: int, username: str, first_name: str) -> None:
        self.token = token
        self.id = bot_id
        self.username = username
        self.first_name = first_name
        self.pending: deque[JsonDict] = deque()
        self.redelivered: deque[JsonDict] = deque()
        self.next_update_id = 1
        self.update_arrived = asyncio.Event()
        self.poll_generation = 0
        self.polls_waiting = 0
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.webhook_wakeup = asyncio.Event()
        self.chats: dict[int, ChatState] = {}
        self.bulk: list[tuple[int, int, str]] = []  # (first id, count, first name): people
        self.blocked_by: set[int] = set()
        self.commands: dict[str, list[JsonDict]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callback_ids = itertools.count(int.from_bytes(secrets.token_bytes(4), "big") << 20)
        self.history: dict[int, JsonDict] = {}  # recent updates by id, for redelivery
        self.controls = Controls()
        self.limiter = Limiter(self.controls)
        self.faults = FaultPlan(self.controls.faults)

    @property
    def user(self) -> JsonDict:
        """The bot's own User object, as getMe returns it."""
        return shapes.bot_user(self.id, self.first_name, self.username)

    @property
    def sender(self) -> JsonDict:
        """The bot as the ``from`` of its messages (no getMe-only fields)."""
        return shapes.user(self.id, self.first_name, is_bot=True, username=self.username)

    def set_controls(self, controls: Controls) -> None:
        """Replaces the controls; buckets and the fault sequence start afresh."""
        self.controls = controls
        self.limiter = Limiter(controls)
        self.faults = FaultPlan(controls.faults)

    def chat(self, chat: JsonDict) -> ChatState:
        """The state of a chat, created on first contact."""
        state = self.chats.get(chat["id"])
        if state is None:
            state = self.chats[chat["id"]] = ChatState(chat)
        return state

    def known_chat(self, chat_id: int) -> ChatState:
        """A chat the bot has seen; Telegram says 400 "chat not found" for any other."""
        state = self.find_chat(chat_id)
        if state is None:
            raise ApiError(400, "Bad Request: chat not found")
        return state

    def find_chat(self, chat_id: int) -> ChatState | None:
        """A chat, materialising people created in bulk only when the bot first writes."""
        state = self.chats.get(chat_id)
        if state is not None:
            return state
        for first, count, first_name in self.bulk:
            if first <= chat_id < first + count:
                person = shapes.user(chat_id, first_name)
                return self.chat(shapes.private_chat(person))
        return None

    def enqueue(self, kind: str, payload: JsonDict) -> JsonDict:
        """Queues a new update for the bot and wakes its poller or webhook."""
        update_id = self.next_update_id
        update: JsonDict = {"update_id": update_id, kind: payload}
        self.next_update_id += 1
        self.pending.append(update)
        self.history[update_id] = update
        if len(self.history) > HISTORY_LIMIT:
            del self.history[next(iter(self.history))]
        self.update_arrived.set()
        self.webhook_wakeup.set()
        return update

    def redeliver(self, update: JsonDict) -> None:
        """Sends an already-delivered update again, as Telegram does after a lost answer."""
        self.redelivered.append(update)
        self.update_arrived.set()
        self.webhook_wakeup.set()

    def confirm(self, offset: int) -> None:
        """Forgets updates below ``offset``: getUpdates with an offset confirms them."""
        while self.pending and self.pending[0]["update_id"] < offset:
            self.pending.popleft()

    def take(self, offset: int, limit: int, allowed: list[str] | None) -> list[JsonDict]:
        """Updates at or above ``offset`` (negative: the last ones), oldest first."""
        found: list[JsonDict] = []
        while self.redelivered and len(found) < limit:
            found.append(self.redelivered.popleft())
        candidates: list[JsonDict] = list(self.pending)
        if offset < 0:
            candidates = candidates[offset:]
        for update in candidates:
            if len(found) >= limit:
                break
            if offset >= 0 and update["update_id"] < offset:
                continue
            if allowed and not any(kind in update for kind in allowed):
                continue
            found.append(update)
        return found


class World:
    """All bots and people the stand-in knows."""

    def __init__(self, bot_username: str = "closer_bot", bot_first_name: str = "Closer") -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bots: dict[str, Bot] = {}
        self.bots_by_id: dict[int, Bot] = {}
        self.people: dict[int, JsonDict] = {}
        self.files: dict[str, JsonDict] = {}

    def bot_for_token(self, token: str) -> Bot:
        """The bot a token belongs to, registered on first use; 401 for a malformed token."""
        bot = self.bots.get(token)
        if bot is not None:
            return bot
        match = TOKEN_PATTERN.match(token)
        if match is None:
            raise UNAUTHORIZED
        bot_id = int(match.group(1))
        existing = self.bots_by_id.get(bot_id)
        if existing is not None:
            raise UNAUTHORIZED  # same bot id, different secret: a wrong token
        suffix = "" if not self.bots else f"_{len(self.bots) + 1}"
        bot = Bot(token, bot_id, f"{self.bot_username}{suffix}", self.bot_first_name)
        self.bots[token] = bot
        self.bots_by_id[bot_id] = bot
        return bot

    def person(self, user_id: int, **details: Any) -> JsonDict:
        """A person's User object, created or updated from what the user side says."""
        current = self.people.get(user_id)
        first_name = (
            details.get("first_name") or (current or {}).get("first_name") or f"User{user_id}"
        )
        person = shapes.user(
            user_id,
            first_name,
            last_name=details.get("last_name") or (current or {}).get("last_name"),
            username=details.get("username") or (current or {}).get("username"),
            language_code=details.get("language_code") or (current or {}).get("language_code"),
        )
        self.people[user_id] = person
        return person

    def new_file(self, kind: str, size: int) -> JsonDict:
        """Registers an uploaded or user-sent file and returns its ids."""
        unique = secrets.token_hex(8)
        file_id = f"{kind[:2].upper()}AC{secrets.token_urlsafe(24)}"
        record = {"file_id": file_id, "file_unique_id": unique, "kind": kind, "size": size}
        self.files[file_id] = record
        return record
