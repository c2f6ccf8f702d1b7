"""How updates come in, so that none is lost and each person's are handled in order.

python-telegram-bot's own Updater confirms a batch of updates to Telegram as soon as it
asks for the next one, before they are processed, so a crash loses them. Here, polling
asks for the next batch (which confirms the last) only once every update of the last batch
has been committed and answered; after a crash Telegram delivers the unfinished batch
again, and storage skips the update ids it already applied. The webhook answers 200 only
after processing, for the same reason: anything else makes Telegram try again.

Within a batch, different people's updates run concurrently and one person's run one at a
time in arrival order (the dispatcher's per-chat locks).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)

#: The update kinds the bot asks Telegram for; everything else is never delivered.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "channel_post")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Dispatcher:
    """Runs updates through the application: concurrently across chats, in order within one."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application = application
        self._locks = KeyedLocks()
        self.processed = 0

    async def process(self, update: Update) -> None:
        """Handles one update once earlier updates of the same chat are done."""
        async with self._locks.hold(_ordering_key(update)):
            await self.application.process_update(update)
            self.processed += 1

    async def process_batch(self, updates: Sequence[Update]) -> None:
        """Handles a batch; returns when every update in it is done."""
        await asyncio.gather(*(self.process(update) for update in updates))


def _ordering_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else -update.update_id


class PollingIntake:
    """Long polling that confirms a batch only after it has been handled."""

    def __init__(self, bot: Bot, dispatcher: Dispatcher, timeout: int = 25) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.timeout = timeout
        self.offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Polls until ``stop`` is set; the batch in hand is always finished first."""
        await self.bot.delete_webhook()
        failures = 0
        while not stop.is_set():
            try:
                updates = await self._next_batch(stop)
            except InvalidToken:
                log.critical("Telegram refused the token; check TELEGRAM_BOT_TOKEN")
                raise
            except Conflict:
                log.error("another instance is polling with this token; retrying in 5 s")
                await _pause(stop, 5)
                continue
            except RetryAfter as error:
                await _pause(stop, float(_seconds(error.retry_after)))
                continue
            except (TimedOut, NetworkError) as error:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("getUpdates failed (%s); retrying in %.1f s", error, delay)
                await _pause(stop, delay)
                continue
            failures = 0
            if updates:
                await self.dispatcher.process_batch(updates)
                self.offset = updates[-1].update_id + 1

    async def _next_batch(self, stop: asyncio.Event) -> Sequence[Update]:
        """One getUpdates call that gives up early when asked to stop."""
        poll = asyncio.ensure_future(
            self.bot.get_updates(
                offset=self.offset,
                timeout=self.timeout,
                allowed_updates=list(ALLOWED_UPDATES),
                read_timeout=self.timeout + 10,
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if poll in done:
            stopping.cancel()
            return poll.result()
        poll.cancel()  # nothing fetched yet is lost: it was not confirmed
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await poll
        return ()


class WebhookIntake:
    """An aiohttp endpoint for Telegram's POSTs, checked against the secret token."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        url: str,
        path: str,
        listen: str,
        port: int,
        secret: str,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.url = url
        self.path = path
        self.listen = listen
        self.port = port
        self.secret = secret
        self.rejected = 0
        self.bound_port: int | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """Processes one update; 403 without the right secret, 200 once handled."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.rejected += 1
            log.warning(
                "webhook call from %s without the right secret token: refused", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception as error:  # malformed JSON or shapes: Telegram would never send it
            log.warning("webhook call with an unreadable update refused: %s", error)
            return web.Response(status=400, text="unreadable update")
        await self.dispatcher.process(update)
        return web.Response(text="ok")

    async def run(self, stop: asyncio.Event) -> None:
        """Serves until ``stop`` is set, after registering the webhook with Telegram."""
        app = web.Application()
        app.router.add_post(self.path, self.handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        site = web.TCPSite(runner, self.listen, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the port aiohttp bound
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        try:
            await self.bot.set_webhook(
                self.url,
                secret_token=self.secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=40,
            )
            log.info(
                "webhook registered; listening on %s:%s%s", self.listen, self.bound_port, self.path
            )
            await stop.wait()
        finally:
            await runner.cleanup()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
