"""Calling the Bot API the way Telegram asks: wait out 429s, retry network errors a few
times with backoff, and treat 403 as "this person blocked the bot".

Retrying after a timeout can, rarely, deliver a message twice (Telegram may have sent it
before the answer was lost); every such retry is logged, so a doubled message is always
explained by a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

log = logging.getLogger(__name__)
ResultT = TypeVar("ResultT")


class BlockedError(Exception):
    """The person blocked the bot; nothing more can be sent to them."""

    def __init__(self, chat_id: int) -> None:
        super().__init__(f"chat {chat_id} blocked the bot")
        self.chat_id = chat_id


class Sender:
    """Runs Bot API calls with Telegram's retry etiquette."""

    def __init__(
        self,
        on_blocked: Callable[[int], Awaitable[None]],
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        longest_wait: float = 120.0,
        in_flight: int = 16,
    ) -> None:
        self.on_blocked = on_blocked
        # Calls wait here, in order, rather than in the HTTP client's connection pool; sized
        # to the pool, so no call ever queues there (a queue there costs CPU per waiter).
        self._gate = asyncio.Semaphore(in_flight)
        self.attempts = attempts
        self.backoff = backoff
        self.longest_wait = longest_wait
        self.retries = 0
        self.rate_limited = 0

    async def call(
        self, chat_id: int, what: str, operation: Callable[[], Awaitable[ResultT]]
    ) -> ResultT:
        """Runs ``operation``; raises BlockedError on 403, or the last error when out of tries."""
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._gate:
                    return await operation()
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                self.rate_limited += 1
                if wait > self.longest_wait or attempt == self.attempts:
                    raise
                log.warning("%s to chat %s: 429, waiting %.0f s as asked", what, chat_id, wait)
                await asyncio.sleep(wait)
            except Forbidden:
                log.info("%s to chat %s: 403, the person blocked the bot", what, chat_id)
                await self.on_blocked(chat_id)
                raise BlockedError(chat_id) from None
            except BadRequest:
                raise  # our request is wrong; sending it again will not help
            except (TimedOut, NetworkError) as error:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                self.retries += 1
                log.warning(
                    "%s to chat %s failed (%s: %s); retry %d in %.1f s%s",
                    what,
                    chat_id,
                    type(error).__name__,
                    error,
                    attempt,
                    delay,
                    " (it may arrive twice)",  # the call may have taken effect before failing
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
