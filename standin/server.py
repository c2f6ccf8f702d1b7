"""The stand-in's HTTP server: the Bot API at ``/bot{token}/{method}``, the user side at
``/_standin/``, a log of every call, and the controls applied on the way through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from typing import Any

from aiohttp import web

from standin.botapi import BotApi
from standin.errors import NOT_FOUND, ApiError
from standin.limits import SENDING_METHODS, FaultKind
from standin.params import read_params
from standin.userapi import UserApi
from standin.webhook import WebhookDelivery
from standin.world import World

log = logging.getLogger(__name__)

#: Calls kept in the log (the oldest are dropped first).
CALL_LOG_LIMIT = 200_000
#: Characters of a text parameter kept in the log.
LOGGED_TEXT = 300


class StandIn:
    """One stand-in: its world, its HTTP app, its log and counters."""

    def __init__(
        self, bot_username: str = "closer_bot", webhook_retry_seconds: float = 0.5
    ) -> None:
        self.world = World(bot_username=bot_username)
        self.api = BotApi(self.world)
        self.webhooks = WebhookDelivery(retry_seconds=webhook_retry_seconds)
        self.api.webhook_changed = self.webhooks.changed
        self.calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_LIMIT)
        self.call_seq = 0
        self.stats: Counter[str] = Counter()
        self.app = web.Application(client_max_size=50 * 1024 * 1024)
        self.app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self.bot_api),
                *UserApi(self.world, self).routes(),
            ]
        )
        self.app.on_cleanup.append(self._cleanup)

    async def bot_api(self, request: web.Request) -> web.StreamResponse:
        """One Bot API call: latency, faults, the method, and a log line."""
        started = time.perf_counter()
        asked = request.match_info["method"]
        method = self.api.canonical(asked)
        if asked != method:
            # Telegram takes any case, but proxies and logs that match on names do not: a
            # bot should call each method by its documented name, and tests check it does.
            self.stats["misspelled_method_calls"] += 1
            log.info("method %r called; its documented name is %r", asked, method)
        bot_id: int | None = None
        params_logged: dict[str, Any] = {}
        fault: tuple[FaultKind, bool] | None = None
        try:
            bot = self.world.bot_for_token(request.match_info["token"])
            bot_id = bot.id
            params = await read_params(request)
            params_logged = _trimmed(params.json_safe())
            handler = self.api.methods.get(method.lower())
            if handler is None:
                log.warning("unknown Bot API method %r called", method)
                raise NOT_FOUND
            delay = bot.faults.latency(bot.controls)
            if delay:
                await asyncio.sleep(delay)
            fault = bot.faults.pick(method)
            if fault is not None and not fault[1]:
                return await self._fail(request, fault[0], method, bot_id, params_logged, started)
            result = await handler(self.api, bot, params)
            if fault is not None:
                return await self._fail(request, fault[0], method, bot_id, params_logged, started)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, body = error.code, error.payload()
        self._record(method, bot_id, params_logged, status, body.get("description"), started)
        if status == 200 and method in SENDING_METHODS:
            self.stats["messages_sent"] += 1
        if status == 429:
            self.stats["rate_limited"] += 1
        if method == "getUpdates" and status == 200:
            self.stats["updates_delivered"] += len(body["result"])
        return web.json_response(body, status=status)

    async def _fail(
        self,
        request: web.Request,
        kind: FaultKind,
        method: str,
        bot_id: int | None,
        params: dict[str, Any],
        started: float,
    ) -> web.StreamResponse:
        self.stats[f"fault_{kind.value}"] += 1
        self._record(
            method,
            bot_id,
            params,
            0 if kind is not FaultKind.SERVER_ERROR else 502,
            f"injected fault: {kind.value}",
            started,
        )
        if kind is FaultKind.SERVER_ERROR:
            return web.json_response(
                {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502
            )
        if kind is FaultKind.TIMEOUT:
            bot = self.world.bots_by_id.get(bot_id or 0)
            await asyncio.sleep(bot.controls.faults.timeout_seconds if bot else 30)
        if request.transport is not None:
            request.transport.close()
        raise asyncio.CancelledError  # aiohttp drops the connection without an answer

    def _record(
        self,
        method: str,
        bot_id: int | None,
        params: dict[str, Any],
        status: int,
        description: str | None,
        started: float,
    ) -> None:
        self.call_seq += 1
        self.stats[f"calls_{method}"] += 1
        self.stats[f"status_{status}"] += 1
        self.calls.append(
            {
                "seq": self.call_seq,
                "time": time.time(),
                "bot": bot_id,
                "method": method,
                "params": params,
                "status": status,
                "description": description,
                "ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )

    def stats_json(self) -> dict[str, Any]:
        """The counters, plus webhook deliveries."""
        return {
            **self.stats,
            "webhook_delivered": self.webhooks.delivered,
            "calls": self.call_seq,
            "polls_waiting": sum(bot.polls_waiting for bot in self.world.bots.values()),
            # getUpdates calls begun (``calls_getUpdates`` counts them as they return)
            "polls_started": sum(bot.poll_generation for bot in self.world.bots.values()),
            "updates_pending": sum(len(bot.pending) for bot in self.world.bots.values()),
        }

    async def reset(self) -> None:
        """Forgets every bot, person, chat, call and counter."""
        await self.webhooks.close()
        self.webhooks = WebhookDelivery(retry_seconds=self.webhooks.retry_seconds)
        self.api.webhook_changed = self.webhooks.changed
        self.world.bots.clear()
        self.world.bots_by_id.clear()
        self.world.people.clear()
        self.world.files.clear()
        self.calls.clear()
        self.call_seq = 0
        self.stats.clear()

    async def _cleanup(self, _app: web.Application) -> None:
        await self.webhooks.close()


def _trimmed(params: dict[str, Any]) -> dict[str, Any]:
    for key in ("text", "caption"):
        value = params.get(key)
        if isinstance(value, str) and len(value) > LOGGED_TEXT:
            params[key] = value[:LOGGED_TEXT] + f"… ({len(value)} characters)"
    return params


class RunningStandIn:
    """A stand-in serving on a loopback port inside the current event loop."""

    def __init__(self, standin: StandIn, runner: web.AppRunner, host: str, port: int) -> None:
        self.standin = standin
        self._runner = runner
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        """The root URL, e.g. ``http://127.0.0.1:8081``."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_api_base(self) -> str:
        """What to give python-telegram-bot as ``base_url`` (it appends the token)."""
        return f"{self.url}/bot"

    async def stop(self) -> None:
        """Stops serving and releases the port."""
        with contextlib.suppress(Exception):
            await self._runner.cleanup()


async def serve(
    host: str = "127.0.0.1", port: int = 0, standin: StandIn | None = None
) -> RunningStandIn:
    """Starts a stand-in on ``host:port`` (0: any free port) in the running loop."""
    standin = standin or StandIn()
    # A client that hangs up on a long poll ends its handler (handler_cancellation), and
    # stopping waits at most a second for the rest: no test waits out a 25 s poll.
    runner = web.AppRunner(
        standin.app,
        access_log=None,
        handle_signals=False,
        handler_cancellation=True,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    server = site._server  # the only way to learn the port aiohttp chose
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    return RunningStandIn(standin, runner, host, int(bound))
