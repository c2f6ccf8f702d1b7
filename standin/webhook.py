"""Delivering updates to a bot's webhook, the way Telegram does.

Each update is POSTed as JSON to the registered URL, with the
``X-Telegram-Bot-Api-Secret-Token`` header when a secret was set. Updates go out one at a
time in order; an update is confirmed (dropped from the queue) only by a 2xx answer, and
anything else is retried with a growing pause, recorded as the webhook's last error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from standin import shapes
from standin.world import Bot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """One delivery loop per bot with a webhook."""

    def __init__(self, retry_seconds: float = 0.5, max_retry_seconds: float = 10.0) -> None:
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self._tasks: dict[int, asyncio.Task[None]] = {}
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
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()

    async def _run(self, bot: Bot) -> None:
        pause = self.retry_seconds
        while bot.webhook is not None:
            update = (
                bot.redelivered[0] if bot.redelivered else (bot.pending[0] if bot.pending else None)
            )
            if update is None:
                bot.webhook_wakeup.clear()
                await bot.webhook_wakeup.wait()
                continue
            webhook = bot.webhook
            allowed = webhook.allowed_updates
            if allowed and not any(kind in update for kind in allowed):
                self._confirm(bot, update)
                continue
            error = await self._post(webhook.url, webhook.secret_token, update)
            if error is None:
                self._confirm(bot, update)
                self.delivered += 1
                pause = self.retry_seconds
                continue
            webhook.last_error_date = shapes.now()
            webhook.last_error_message = error
            log.info(
                "webhook delivery to %s failed (%s); retrying in %.1f s", webhook.url, error, pause
            )
            bot.webhook_wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(bot.webhook_wakeup.wait(), pause)
            pause = min(self.max_retry_seconds, pause * 2)

    def _confirm(self, bot: Bot, update: dict[str, object]) -> None:
        if bot.redelivered and bot.redelivered[0] is update:
            bot.redelivered.popleft()
        elif bot.pending and bot.pending[0] is update:
            bot.pending.popleft()

    async def _post(self, url: str, secret: str | None, update: dict[str, object]) -> str | None:
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
