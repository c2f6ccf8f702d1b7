"""How updates come in, so that none is lost and each person's are handled in order.

python-telegram-bot's own Updater confirms a batch of updates to Telegram as soon as it
asks for the next one, before they are processed, so a crash loses them. Here, polling
never confirms an update that is still being handled (the offset is the lowest one in
hand); after a crash Telegram delivers the unfinished ones again, and update ids already
applied are skipped. The webhook answers 200 only after processing, for the same reason.

Different people's updates run concurrently; one person's run one at a time in arrival
order (the dispatcher's per-chat locks).
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
from telegram.error import (
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application

from bot.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)

#: The update kinds the bot asks Telegram for; everything else is never delivered.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
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


def _ordering_key(update: Update) -> int:
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else -update.update_id


class PollingIntake:
    """Long polling that never confirms an update before it has been handled.

    Updates are handled as they arrive, without waiting for the rest of their batch, so a
    person whose replies wait out a 429 delays nobody else. The offset sent to Telegram is
    the lowest update still being handled, so after a crash everything unfinished comes
    back; updates Telegram returns again while they are still in hand are skipped here.
    """

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        timeout: int = 25,
        max_in_hand: int = 1000,
        drain_seconds: float = 30.0,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.timeout = timeout
        self.max_in_hand = max_in_hand
        self.drain_seconds = drain_seconds
        self.highest: int | None = None
        self.in_hand: set[int] = set()
        self.finished: set[int] = set()  # finished, above the lowest update still in hand
        self._tasks: set[asyncio.Task[None]] = set()
        self._progress = asyncio.Event()

    @property
    def offset(self) -> int | None:
        """What getUpdates is asked for: everything from the oldest unfinished update."""
        if self.in_hand:
            return min(self.in_hand)
        return self.highest + 1 if self.highest is not None else None

    async def run(self, stop: asyncio.Event) -> None:
        """Polls until ``stop`` is set, then finishes what is in hand and confirms it."""
        await self.bot.delete_webhook()
        failures = 0
        try:
            while not stop.is_set():
                if len(self.in_hand) >= self.max_in_hand:
                    await self._await_progress(stop, 1.0)
                    continue
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
                fresh = [u for u in updates if u.update_id not in self.in_hand | self.finished]
                for update in fresh:
                    self._start(update)
                if fresh:
                    # Usually the batch is done in milliseconds; then the next poll confirms
                    # it and waits for new updates instead of fetching these ones again.
                    await self._await_progress(stop, 0.2, until_idle=True)
                elif updates:
                    # Only updates still in hand came back: wait for one to finish.
                    await self._await_progress(stop, 1.0)
        finally:
            await self._drain()

    def _start(self, update: Update) -> None:
        update_id = update.update_id
        self.in_hand.add(update_id)
        self.highest = update_id if self.highest is None else max(self.highest, update_id)
        task = asyncio.create_task(self._handle(update), name=f"update-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        try:
            await self.dispatcher.process(update)
        finally:
            self.in_hand.discard(update.update_id)
            if self.in_hand:
                lowest = min(self.in_hand)
                self.finished = {done for done in self.finished if done > lowest}
                self.finished.add(update.update_id)
            else:
                self.finished.clear()
            self._progress.set()

    async def _await_progress(
        self, stop: asyncio.Event, seconds: float, until_idle: bool = False
    ) -> None:
        """Waits until an update finishes (or all have, with ``until_idle``), up to ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not stop.is_set() and (self.in_hand if until_idle else True):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)
            if not until_idle:
                return

    async def _drain(self) -> None:
        """On a graceful stop: finish what is in hand, then confirm it to Telegram."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.drain_seconds)
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0)

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
