"""How updates come in, so that none is lost and each person's are handled in order.

python-telegram-bot's own Updater confirms a batch of updates to Telegram as soon as it
asks for the next one, before they are processed, so a crash loses them. Here, polling
keeps each batch in the database (the inbox) before it is confirmed, and whatever a dead
process left there is taken over by the leader (``bot/takeover.py``); update ids already
applied are skipped. The webhook answers 200 only after processing, for the same reason:
anything else makes Telegram deliver the update again.

Different people's updates run concurrently; one person's run one at a time in arrival
order (the dispatcher's per-chat locks). With several processes on one PostgreSQL
database, only the leader polls (``storage/presence.py``); behind a webhook every process
receives, and an update waits while an earlier one of the same person is with another
process (the inbox knows whose updates each process holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

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

from bot import unparsed, wellformed
from bot.keyed_locks import KeyedLocks
from bot.waiting import first_of
from storage.errors import StorageUnavailableError
from storage.inbox import Inbox, chat_of
from storage.presence import Presence

if TYPE_CHECKING:  # the server side of aiohttp is loaded only in webhook mode
    from aiohttp import web

log = logging.getLogger(__name__)

#: The update kinds the bot asks Telegram for; everything else is never delivered.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: How often handled updates leave the inbox. Each flush takes the database's one writer
#: for a moment, so rarely is better for latency; after a crash, at most this much work is
#: looked at again (and skipped, as its update ids are recorded as processed).
FLUSH_SECONDS = 1.0
#: How often an update checks whether another process has finished this person's earlier one.
TURN_CHECK_SECONDS = 0.05


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
    """Long polling that keeps every update it takes until that update has been handled.

    Telegram drops an update once a later getUpdates asks for anything after it. So each
    batch is written to the inbox (one insert) before the next poll, and its updates are
    handled as they arrive, without waiting for the rest of their batch: one person waiting
    out a 429 delays nobody. An update leaves the inbox once handled; whatever a crash
    leaves there is handled first on the next start (update ids already applied are
    skipped by storage), so nothing is lost and the long poll never has to wait.
    """

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        inbox: Inbox,
        leading: asyncio.Event,
        timeout: int = 25,
        max_in_hand: int = 1000,
        drain_seconds: float = 30.0,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.inbox = inbox
        #: Set while this process leads: only the leader polls (``storage/presence.py``).
        self.leading = leading
        #: Run each time this process becomes the leader, before its first poll (the
        #: takeover of what the dead left, so their updates go before the new ones).
        self.on_leading: Callable[[], Awaitable[None]] | None = None
        self.timeout = timeout
        self.max_in_hand = max_in_hand
        self.drain_seconds = drain_seconds
        self.offset: int | None = None
        self.in_hand: set[int] = set()
        self._handled: list[int] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        #: Set once what was waiting at start (leftovers, Telegram's first batch) is handled.
        self.caught_up = asyncio.Event()
        self._waiter: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Polls while this process leads, until ``stop`` is set; then finishes what is in
        hand."""
        flusher = asyncio.create_task(self._flush_forever(stop))
        failures = 0
        try:
            while not stop.is_set():
                if not self.leading.is_set():
                    if not await self._become_poller(stop):
                        break
                    continue
                if len(self.in_hand) >= self.max_in_hand:
                    self._room.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._room.wait(), 1.0)
                    continue
                try:
                    batch = await self._next_batch(stop)
                except InvalidToken:
                    log.critical("Telegram refused the token; check TELEGRAM_BOT_TOKEN")
                    raise
                except Conflict:
                    if self.leading.is_set():  # not another Closer: they stand by
                        log.error("something else is polling with this token; retrying in 5 s")
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
                for raw in batch:
                    self._start(raw)
                if not self.caught_up.is_set():
                    self._signal_when_handled(set(self._tasks))
                if not batch:
                    continue
                try:
                    await self.inbox.keep([u for u in batch if _numbered(u)])
                except StorageUnavailableError as error:
                    # Not kept, so not confirmed: the next poll asks for them again.
                    log.warning("updates not kept (%s); they will be fetched again", error)
                    await _pause(stop, 1.0)
                    continue
                numbered = [u["update_id"] for u in batch if _numbered(u)]
                if numbered:
                    self.offset = max(numbered) + 1
        finally:
            await self._drain(flusher)

    async def _become_poller(self, stop: asyncio.Event) -> bool:
        """Waits until this process leads (False: stopped first), then takes over what the
        dead left, and polls from Telegram's oldest unconfirmed update."""
        await first_of(stop, self.leading)
        if stop.is_set():
            return False
        await self.bot.delete_webhook()
        if self.on_leading is not None:
            await self.on_leading()
        self.offset = None
        return True

    def take(self, raw: dict[str, Any]) -> None:
        """Handles an update taken over from a process that is gone."""
        self._start(raw)

    def _signal_when_handled(self, tasks: set[asyncio.Task[None]]) -> None:
        async def signal() -> None:
            if tasks:
                await asyncio.wait(tasks)
            self.caught_up.set()

        if self._waiter is None:
            self._waiter = asyncio.create_task(signal(), name="caught-up")

    def _start(self, raw: dict[str, Any]) -> None:
        if not _numbered(raw):  # getUpdates numbers every update; this is junk
            log.warning("an update without a usable update_id was dropped: %.200r", raw)
            return
        update_id = int(raw["update_id"])
        if update_id in self.in_hand:
            return  # fetched again before it was confirmed; already being handled
        update = _parse(raw, self.bot)
        if update is None:
            self._handled.append(update_id)
            return
        self.in_hand.add(update_id)
        task = asyncio.create_task(self._handle(update), name=f"update-{update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        try:
            await self.dispatcher.process(update)
        finally:
            self.in_hand.discard(update.update_id)
            self._handled.append(update.update_id)
            self._room.set()

    async def _flush_forever(self, stop: asyncio.Event) -> None:
        """Removes handled updates from the inbox every second (the drain does the
        last round, once everything in hand has finished)."""
        while True:
            await _pause(stop, FLUSH_SECONDS)
            if stop.is_set():
                return
            await self._flush()

    async def _flush(self) -> None:
        handled, self._handled = self._handled, []
        try:
            await self.inbox.forget(handled)
        except StorageUnavailableError as error:
            self._handled.extend(handled)  # try again next time; handling twice is harmless
            log.warning("inbox not cleaned (%s)", error)
        except BaseException:
            self._handled.extend(handled)
            raise

    async def _drain(self, flusher: asyncio.Task[None]) -> None:
        """On stop: let updates in hand finish, clean the inbox, confirm to Telegram."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.drain_seconds)
        if self._waiter is not None:
            self._waiter.cancel()
        flusher.cancel()  # a flush cut short puts its ids back (see _flush)
        with contextlib.suppress(asyncio.CancelledError):
            await flusher
        await self._flush()
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                await unparsed.call(self.bot, "getUpdates", offset=self.offset, limit=1, timeout=0)

    async def _get_updates(self) -> Any:
        """One long poll, its results left unparsed until needed."""
        return await unparsed.call(
            self.bot,
            "getUpdates",
            offset=self.offset,
            timeout=self.timeout,
            allowed_updates=list(ALLOWED_UPDATES),
            read_timeout=self.timeout + 10,
        )

    async def _next_batch(self, stop: asyncio.Event) -> list[dict[str, Any]]:
        """One getUpdates call (results left unparsed until needed); gives up on stop."""
        poll = asyncio.ensure_future(self._get_updates())
        stopping = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if poll in done:
            stopping.cancel()
            return list(poll.result())
        poll.cancel()  # nothing fetched yet is lost: it was not confirmed
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await poll
        return []


class WebhookIntake:
    """An aiohttp endpoint for Telegram's POSTs, checked against the secret token."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        inbox: Inbox,
        presence: Presence,
        *,
        url: str,
        path: str,
        listen: str,
        port: int,
        secret: str,
    ) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.presence = presence
        self.url = url
        self.path = path
        self.listen = listen
        self.port = port
        self.secret = secret
        self.rejected = 0
        #: Adds more routes to the webhook's server (``/healthz`` and ``/metrics``).
        self.more_routes: Callable[[web.Application], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.bound_port: int | None = None
        self.caught_up = asyncio.Event()  # each update is handled within its request
        self.caught_up.set()

    async def handle(self, request: web.Request) -> web.Response:
        """Processes one update; 403 without the right secret, 200 once handled."""
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.rejected += 1
            log.warning(
                "webhook call from %s without the right secret token: refused", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            raw = await request.json()
        except ValueError as error:
            log.warning("webhook call with unreadable JSON refused: %s", error)
            return web.Response(status=400, text="unreadable update")
        update = _parse(raw, self.bot)
        if update is None:
            return web.Response(status=400, text="unreadable update")
        try:
            await self._handle(raw, update)
        except StorageUnavailableError as error:  # not handled: Telegram will send it again
            log.warning("update %s not handled (%s); Telegram will retry", update.update_id, error)
            return web.Response(status=503, text="try again")
        return web.Response(text="ok")

    async def _handle(self, raw: dict[str, Any], update: Update) -> None:
        """Processes one update. With other processes on the database, it is kept in the
        inbox first (so if this process dies, the leader handles it) and waits while an
        earlier update of the same person is with another process."""
        if not self.presence.shared:
            await self.dispatcher.process(update)
            return
        await self.inbox.keep([raw])
        chat = chat_of(raw)
        if chat is not None:
            # Another process's progress shows only in the database: ask until it is done.
            while await self.inbox.waits_elsewhere(update.update_id, chat):  # noqa: ASYNC110
                await asyncio.sleep(TURN_CHECK_SECONDS)
        try:
            await self.dispatcher.process(update)
        finally:
            await self.inbox.forget([update.update_id])

    def take(self, raw: dict[str, Any]) -> None:
        """Handles an update taken over from a process that is gone (in the background:
        its person's next updates wait for it through the inbox)."""
        update = _parse(raw, self.bot)
        if update is None:
            return
        task = asyncio.create_task(self._taken(update), name=f"update-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _taken(self, update: Update) -> None:
        try:
            await self.dispatcher.process(update)
        finally:
            with contextlib.suppress(StorageUnavailableError):
                await self.inbox.forget([update.update_id])

    async def run(self, stop: asyncio.Event) -> None:
        """Serves until ``stop`` is set, after registering the webhook with Telegram."""
        from aiohttp import web

        app = web.Application()
        app.router.add_post(self.path, self.handle)
        if self.more_routes is not None:
            self.more_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
        await runner.setup()
        site = web.TCPSite(runner, self.listen, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # the port aiohttp bound
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        try:
            log.info(
                "listening for the webhook on %s:%s%s", self.listen, self.bound_port, self.path
            )
            registering = asyncio.create_task(self._register_when_leading(stop))
            await stop.wait()
            registering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await registering
        finally:
            await runner.cleanup()
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=10)

    async def _register_when_leading(self, stop: asyncio.Event) -> None:
        """The leader registers the webhook, once: if Telegram already has this URL, a new
        process leaves it alone (every process setting it again is what a deploy of
        several processes must not do)."""
        await first_of(stop, self.presence.leading)
        if stop.is_set():
            return
        info = await self.bot.get_webhook_info()
        if info.url == self.url and set(info.allowed_updates or ()) == set(ALLOWED_UPDATES):
            log.info("webhook already registered at Telegram; left as it is")
            return
        await self.bot.set_webhook(
            self.url,
            secret_token=self.secret,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=40,
        )
        log.info("webhook registered")


def _numbered(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and isinstance(raw.get("update_id"), int)
        and not isinstance(raw["update_id"], bool)
    )


def _parse(raw: Any, bot: Bot) -> Update | None:
    """The update, or None (with a warning) if it lacks what handling it needs."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    reason = wellformed.problem(raw)
    if reason is None:
        try:
            return Update.de_json(raw, bot)
        except Exception as error:  # values python-telegram-bot cannot take (a date of 2**62)
            reason = repr(error)
    log.warning("update %s dropped: %s (Telegram never sends such updates)", update_id, reason)
    return None


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
