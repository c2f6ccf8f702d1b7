"""Delivering updates to a bot's webhook, the way Telegram does.

Each update is POSTed as JSON to the registered URL, with the
``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set. Up to max_connections
updates are on their way at once, but never two of the same chat, so each chat's arrive in
order. An update is confirmed (dropped from the queue) only by a 2xx answer; anything else
is retried after a growing pause and recorded as the webhook's last error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from standin import shapes
from standin.world import Bot

JsonDict = dict[str, Any]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """One delivery loop per bot with a webhook."""

    def __init__(self, retry_seconds: float = 0.5, max_retry_seconds: float = 10.0) -> None:
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._deliveries: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self.delivered = 0

    def changed(self, bot: Bot) -> None:
        """Starts or stops the loop after setWebhook or deleteWebhook."""
        task = self._tasks.get(bot.id)
        if bot.webhook is None:
            if task is not None:
                task.cancel()
                del self._tasks[bot.id]
            return
        if task is None or task.done():
            self._tasks[bot.id] = asyncio.create_task(self._run(bot), name=f"webhook-{bot.id}")
        bot.webhook_wakeup.set()

    async def close(self) -> None:
        """Stops every loop and closes the HTTP client."""
        for task in [*self._tasks.values(), *self._deliveries]:
            task.cancel()
        for task in [*self._tasks.values(), *self._deliveries]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()

    async def _run(self, bot: Bot) -> None:
        """Delivers pending updates, up to max_connections at once, one chat's in order."""
        busy_chats: set[int] = set()
        in_flight: set[int] = set()
        pause = self.retry_seconds
        failures: list[str] = []
        progress = asyncio.Event()

        async def deliver(update: JsonDict, chat: int) -> None:
            assert bot.webhook is not None
            error = await self._post(bot.webhook.url, bot.webhook.secret_token, update)
            if error is None:
                self._confirm(bot, update)
                self.delivered += 1
            else:
                failures.append(error)
            busy_chats.discard(chat)
            in_flight.discard(id(update))
            progress.set()

        while bot.webhook is not None:
            webhook = bot.webhook
            started = False
            for update in [*bot.redelivered, *bot.pending]:
                if len(in_flight) >= webhook.max_connections:
                    break
                if id(update) in in_flight:
                    continue
                allowed = webhook.allowed_updates
                if allowed and not any(kind in update for kind in allowed):
                    self._confirm(bot, update)
                    continue
                chat = _chat_of(update)
                if chat in busy_chats:
                    continue  # this chat's earlier update is still on its way
                busy_chats.add(chat)
                in_flight.add(id(update))
                task = asyncio.create_task(deliver(update, chat))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
                started = True
            if failures:
                webhook.last_error_date = shapes.now()
                webhook.last_error_message = failures[-1]
                log.info("webhook delivery failed (%s); retrying in %.1f s", failures[-1], pause)
                failures.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(bot.webhook_wakeup.wait(), pause)
                pause = min(self.max_retry_seconds, pause * 2)
                continue
            if started:
                pause = self.retry_seconds
            bot.webhook_wakeup.clear()
            progress.clear()
            waits = [
                asyncio.ensure_future(bot.webhook_wakeup.wait()),
                asyncio.ensure_future(progress.wait()),
            ]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()

    def _confirm(self, bot: Bot, update: JsonDict) -> None:
        for queue in (bot.redelivered, bot.pending):
            for index, queued in enumerate(queue):
                if queued is update:
                    del queue[index]
                    return

    async def _post(self, url: str, secret: str | None, update: JsonDict) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"Connection failed: {type(error).__name__}"


def _chat_of(update: JsonDict) -> int:
    """The chat an update belongs to (its own id when it has none), for ordering."""
    for kind in ("message", "edited_message", "channel_post", "my_chat_member"):
        payload = update.get(kind)
        if isinstance(payload, dict) and isinstance(payload.get("chat"), dict):
            return int(payload["chat"].get("id", 0))
    query = update.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict):
            return int(chat.get("id", 0))
        return int((query.get("from") or {}).get("id", 0))
    return -int(update.get("update_id", 0))
