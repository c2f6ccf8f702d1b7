"""The one way out to Telegram: every Bot API call the bot makes for output goes through here.

(Intake's ``getUpdates``, ``deleteWebhook`` and ``setWebhook`` are the only calls made
elsewhere: they bring updates in.) Telegram's etiquette is applied once, here:

- **Limits** (``bot/limits.py``): about 30 messages a second overall, about one a second
  per chat with a short burst, 20 a minute per group, broadcasts at their own rate inside
  the overall one and behind people's replies.
- **429**: the call waits out ``retry_after`` (the chat, or every broadcast, pauses with
  it) and is made again; a wait longer than ``longest_wait`` gives up with the error.
- **Network errors, timeouts, 5xx**: retried with backoff, each retry logged with "(it may
  arrive twice)", because Telegram may have carried out a call whose answer was lost; so a
  doubled message is always explained by a log line.
- **403**: the person blocked the bot; ``BlockedError``, for the caller to record.
- **400**: our request is wrong (or the message is gone); raised at once, never retried.

Calls are made by their documented names through ``Bot.do_api_request`` (``bot/unparsed.py``),
with parameters as the Bot API takes them (the outbox's JSON), and return the plain JSON
result. Replies and broadcasts use separate connection pools, so a broadcast never takes
the connection a person's reply needs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import unparsed
from bot.limits import Limits, Priority

log = logging.getLogger(__name__)
#: Calls that carry a file: Telegram takes longer to answer them than the usual read timeout.
UPLOADS = frozenset({"sendPhoto", "sendDocument", "sendVideo"})
UPLOAD_READ_TIMEOUT = 30.0


class BlockedError(Exception):
    """The person blocked the bot; nothing more can be sent to them."""

    def __init__(self, chat_id: int | None) -> None:
        super().__init__(f"chat {chat_id} blocked the bot")
        self.chat_id = chat_id


class Sender:
    """Makes Bot API calls within Telegram's limits and with its retry etiquette."""

    def __init__(
        self,
        bot: Bot,
        limits: Limits,
        *,
        broadcast_bot: Bot | None = None,
        in_flight: int = 16,
        broadcast_in_flight: int = 8,
        attempts: int = 4,
        backoff: float = 0.5,
        longest_wait: float = 120.0,
    ) -> None:
        self.bot = bot
        self.broadcast_bot = broadcast_bot or bot
        self.limits = limits
        # Calls wait here, in order, rather than in the HTTP client's connection pool; each
        # gate is sized to its pool, so no call ever queues there (that costs CPU per waiter).
        self._gates = {
            Priority.REPLY: asyncio.Semaphore(in_flight),
            Priority.BROADCAST: asyncio.Semaphore(broadcast_in_flight),
        }
        self.in_flight = in_flight
        self.attempts = attempts
        self.backoff = backoff
        self.longest_wait = longest_wait
        self.retries = 0
        self.rate_limited = 0
        self.calls: dict[str, int] = {}

    async def call(
        self,
        method: str,
        params: dict[str, Any],
        *,
        chat_id: int | None = None,
        priority: Priority = Priority.REPLY,
    ) -> Any:
        """Makes the call (retrying as Telegram asks); returns its plain JSON result.

        Raises BlockedError on 403, BadRequest at once, and the last error when out of tries
        or asked to wait longer than ``longest_wait``."""
        bot = self.bot if priority is Priority.REPLY else self.broadcast_bot
        timeout = {"read_timeout": UPLOAD_READ_TIMEOUT} if method in UPLOADS else {}
        for attempt in range(1, self.attempts + 1):
            await self.limits.acquire(chat_id, method, priority)
            try:
                async with self._gates[priority]:
                    result = await unparsed.call(bot, method, **timeout, **params)
                self.calls[method] = self.calls.get(method, 0) + 1
                return result
            except RetryAfter as error:
                wait = _seconds(error.retry_after)
                self.rate_limited += 1
                self.limits.pause(chat_id, priority, wait)
                if wait > self.longest_wait or attempt == self.attempts:
                    raise
                log.warning("%s to chat %s: 429, waiting %.0f s as asked", method, chat_id, wait)
            except Forbidden:
                log.info("%s to chat %s: 403, the person blocked the bot", method, chat_id)
                raise BlockedError(chat_id) from None
            except BadRequest:
                raise  # our request is wrong, or its message is gone: again would not help
            except (TimedOut, NetworkError) as error:
                if attempt == self.attempts:
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                self.retries += 1
                log.warning(
                    "%s to chat %s failed (%s: %s); retry %d in %.1f s (it may arrive twice)",
                    method,
                    chat_id,
                    type(error).__name__,
                    error,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
