"""Telegram's limits, held once for everything the bot sends (``aiolimiter``'s leaky buckets).

Telegram allows a bot about 30 messages a second overall, about one a second in a chat
(short bursts go through), and 20 a minute in a group; beyond them it answers 429. Only
messages count (``MESSAGE_METHODS``): answering a tap or editing a message does not. Each
limit is a leaky bucket that holds a small burst, so in any second at most the rate plus
the burst go out. Broadcasts have a rate of their own (``BROADCAST_RATE``) inside the
overall one, and always give way: a broadcast message takes from a bucket only while no
reply waits for it and the bucket is empty (its whole burst free), so the replies that
come along find the burst free, and a broadcast never makes someone wait for their next
question. Alone, a broadcast still goes at the full rate (it takes one message's worth
as soon as the bucket has drained it). A limit set to 0 is not applied (the benchmarks'
stand-in enforces none).

A 429 still pauses what it concerns for ``retry_after``: that chat, or every broadcast
send (Telegram asks for a pause when a bulk send goes too fast).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import IntEnum

from aiolimiter import AsyncLimiter

#: Methods that put a message in a chat, and so count against the limits.
MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVideo", "copyMessage", "sendSticker"}
)
#: Chats whose buckets are kept; the ones idle longest are forgotten first (an empty
#: bucket is the same as a new one).
KEPT_CHATS = 10_000


class Priority(IntEnum):
    """Whose turn first when the overall budget is short: people's replies, then broadcasts."""

    REPLY = 0
    BROADCAST = 1


@dataclass(frozen=True)
class Rates:
    """The limits, from the settings (0: not applied)."""

    overall: float = 30.0
    overall_burst: float = 3.0
    per_chat: float = 1.0
    chat_burst: float = 6.0
    per_group_minute: float = 20.0
    broadcast: float = 30.0


def _bucket(rate: float, burst: float) -> AsyncLimiter:
    """A bucket that lets ``burst`` through at once and ``rate`` a second after that."""
    return AsyncLimiter(max_rate=burst, time_period=burst / rate)


#: With several processes polling, the share of the overall limit the standbys keep
#: between them (reminders, check-ins, calls taken over); the leader replies to everyone.
STANDBYS_SHARE = 0.1


def overall_share(*, live: int, leading: bool, every_process_replies: bool) -> float:
    """This process's share of the bot's overall limit, so that together the processes on
    one database stay within it. Behind a webhook every process replies to people, so they
    share alike; when polling, the leader handles every update and keeps the most."""
    if live <= 1:
        return 1.0
    if every_process_replies:
        return 1.0 / live
    return 1.0 - STANDBYS_SHARE if leading else STANDBYS_SHARE / (live - 1)


class Limits:
    """Waits, before each message, until every limit that applies lets it through."""

    def __init__(self, rates: Rates) -> None:
        self.rates = rates
        self._overall = _bucket(rates.overall, rates.overall_burst) if rates.overall else None
        burst = max(1.0, rates.broadcast * 0.05)  # a twentieth of a second's worth
        self._broadcast = _bucket(rates.broadcast, burst) if rates.broadcast else None
        self._chats: dict[int, AsyncLimiter] = {}
        self._paused: dict[int, float] = {}  # chat -> monotonic time its pause ends
        self._broadcasts_paused_until = 0.0
        self._replies_waiting = 0

    def share(self, fraction: float) -> None:
        """Keeps only ``fraction`` of the overall limit for this process: Telegram counts
        a bot's messages whichever process sends them (see ``overall_share``)."""
        if self.rates.overall:
            self._overall = _bucket(
                self.rates.overall * fraction, max(1.0, self.rates.overall_burst * fraction)
            )

    async def acquire(self, chat_id: int | None, method: str, priority: Priority) -> None:
        """Returns once ``method`` may be called for ``chat_id`` at ``priority``."""
        if chat_id is not None:
            await self._wait_pause(self._paused.get(chat_id, 0.0))
        if priority is Priority.BROADCAST:
            await self._wait_pause(self._broadcasts_paused_until)
        if method not in MESSAGE_METHODS:
            return
        if priority is Priority.BROADCAST and self._broadcast is not None:
            await self._broadcast.acquire()
        # A broadcast counts against a chat only when the chat is busy (has a bucket): one
        # message to an idle chat cannot go over its limit, and a bucket for each of a
        # million recipients would cost more than the broadcast.
        chat = None
        if chat_id is not None:
            busy = priority is Priority.REPLY or chat_id in self._chats
            chat = self._chat(chat_id) if busy else None
        if priority is Priority.BROADCAST:
            for bucket in (chat, self._overall):
                if bucket is not None:
                    await self._give_way(bucket)
            return
        if chat is not None:
            await chat.acquire()
        if self._overall is not None:
            self._replies_waiting += 1
            try:
                await self._overall.acquire()
            finally:
                self._replies_waiting -= 1

    async def _give_way(self, bucket: AsyncLimiter) -> None:
        """Takes one message's worth for a broadcast, only while no reply waits and the
        bucket is empty. Checking and taking happen without a pause in between, so nothing
        slips in; it looks again at the bucket's own pace (one message's worth of time),
        since room comes back by the clock, not by anyone's action."""
        while self._replies_waiting or not bucket.has_capacity(bucket.max_rate):  # noqa: ASYNC110
            await asyncio.sleep(bucket.time_period / bucket.max_rate)
        await bucket.acquire()

    def pause(self, chat_id: int | None, priority: Priority, seconds: float) -> None:
        """Telegram said 429: the chat (or every broadcast send) waits ``seconds``."""
        until = time.monotonic() + seconds
        if priority is Priority.BROADCAST:
            self._broadcasts_paused_until = max(self._broadcasts_paused_until, until)
        elif chat_id is not None:
            self._paused[chat_id] = max(self._paused.get(chat_id, 0.0), until)

    def _chat(self, chat_id: int) -> AsyncLimiter | None:
        """The chat's bucket: one a second with a burst in private chats (positive ids),
        20 a minute in groups (negative ids)."""
        rates = self.rates
        group = chat_id < 0
        if (rates.per_group_minute if group else rates.per_chat) <= 0:
            return None
        bucket = self._chats.pop(chat_id, None)
        if bucket is None:
            if len(self._chats) >= KEPT_CHATS:
                self._forget_idle()
            bucket = (
                _bucket(rates.per_group_minute / 60, 3.0)
                if group
                else _bucket(rates.per_chat, rates.chat_burst)
            )
        self._chats[chat_id] = bucket  # the most recent last
        return bucket

    def _forget_idle(self) -> None:
        """Drops the least recently used buckets that are empty (they hold nothing back)."""
        for chat_id in list(self._chats)[: KEPT_CHATS // 10]:
            if self._chats[chat_id].has_capacity(self._chats[chat_id].max_rate):
                del self._chats[chat_id]
        now = time.monotonic()
        self._paused = {chat: until for chat, until in self._paused.items() if until > now}

    @staticmethod
    async def _wait_pause(until: float) -> None:
        delay = until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
