"""``GET /healthz`` and ``GET /metrics``: what an operator's load balancer and Prometheus ask.

``/healthz`` answers 200 with this process's role (``leader``: it polls and takes over
what dead processes left; ``standby``: it handles what it is given and waits to lead), how
many processes are alive on the database,
whether the database answers, and the outbox backlog; 503 when the database does not
answer, so a load balancer stops sending webhooks to a process that cannot store them.

``/metrics`` reads the figures the bot keeps anyway (updates handled, calls by method,
429s, retries, deliveries) and asks the database for the backlog and the broadcasts'
progress, at scrape time: nothing is counted twice and nothing costs anything between
scrapes. ``prometheus-client`` is imported at the first scrape, not at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.delivery import Delivery
from bot.intake import Dispatcher
from bot.sender import Sender
from storage.broadcasts import BroadcastStore
from storage.columns import utc_now
from storage.outbox import OutboxStore
from storage.presence import Presence

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)
#: The longest /healthz waits for the database before calling it unreachable.
DATABASE_PATIENCE = 2.0


@dataclass
class Health:
    """The running parts whose figures the two endpoints report."""

    presence: Presence
    outbox: OutboxStore
    sender: Sender
    dispatcher: Dispatcher
    delivery: Delivery
    broadcasts: BroadcastStore

    def add_routes(self, app: web.Application) -> None:
        """Adds both endpoints to an aiohttp application (the webhook's, or their own)."""
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics)

    @property
    def role(self) -> str:
        """``leader`` or ``standby``."""
        return "leader" if self.presence.leading.is_set() else "standby"

    async def _backlog(self) -> tuple[int, float | None] | None:
        """Outbox rows and the oldest one's age in seconds; None if the database is out."""
        try:
            async with asyncio.timeout(DATABASE_PATIENCE):
                count, oldest = await self.outbox.backlog()
        except Exception as error:  # unreachable, locked, timed out: all mean "not healthy"
            log.warning("health check: the database did not answer (%s)", error)
            return None
        age = (utc_now() - oldest).total_seconds() if oldest is not None else None
        return count, age

    async def healthz(self, request: web.Request) -> web.Response:
        """200 with the role, the database and the backlog; 503 without a database."""
        from aiohttp import web

        backlog = await self._backlog()
        body: dict[str, Any] = {
            "role": self.role,
            "processes": self.presence.live,
            "database": backlog is not None,
        }
        if backlog is not None:
            body["outbox_backlog"], body["outbox_oldest_seconds"] = backlog
        return web.Response(
            status=200 if backlog is not None else 503,
            text=json.dumps(body),
            content_type="application/json",
        )

    async def metrics(self, request: web.Request) -> web.Response:
        """The figures in Prometheus's text format."""
        from aiohttp import web
        from prometheus_client import generate_latest
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        from prometheus_client.registry import Collector, CollectorRegistry

        backlog = await self._backlog()
        try:
            broadcasts = await self.broadcasts.totals()
        except Exception:  # the database is out: report what this process knows
            broadcasts = {}
        families: list[Any] = []
        updates = CounterMetricFamily("closer_updates_handled", "Updates handled by this process")
        updates.add_metric([], self.dispatcher.processed)
        calls = CounterMetricFamily(
            "closer_bot_api_calls", "Bot API calls Telegram accepted", labels=["method"]
        )
        for method, count in sorted(self.sender.calls.items()):
            calls.add_metric([method], count)
        limited = CounterMetricFamily("closer_rate_limited", "429 answers from Telegram")
        limited.add_metric([], self.sender.rate_limited)
        retries = CounterMetricFamily("closer_retries", "Calls retried after a network error")
        retries.add_metric([], self.sender.retries)
        delivered = CounterMetricFamily("closer_outbox_delivered", "Outbox calls delivered")
        delivered.add_metric([], self.delivery.delivered)
        taken = CounterMetricFamily(
            "closer_outbox_taken_over", "Outbox calls taken over from processes that died"
        )
        taken.add_metric([], self.delivery.taken_over)
        leader = GaugeMetricFamily("closer_leader", "1 while this process leads")
        leader.add_metric([], 1 if self.role == "leader" else 0)
        processes = GaugeMetricFamily(
            "closer_processes", "Processes alive on the database at the last look"
        )
        processes.add_metric([], self.presence.live)
        database = GaugeMetricFamily("closer_database_up", "1 while the database answers")
        database.add_metric([], 1 if backlog is not None else 0)
        families += [updates, calls, limited, retries, delivered, taken, leader, processes]
        families.append(database)
        if backlog is not None:
            count, age = backlog
            rows = GaugeMetricFamily("closer_outbox_backlog", "Calls waiting in the outbox")
            rows.add_metric([], count)
            oldest = GaugeMetricFamily(
                "closer_outbox_oldest_seconds", "Age of the oldest call in the outbox"
            )
            oldest.add_metric([], age or 0.0)
            families += [rows, oldest]
        recipients = GaugeMetricFamily(
            "closer_broadcast_recipients", "Broadcast recipients by status", labels=["status"]
        )
        sent = GaugeMetricFamily("closer_broadcasts", "Broadcasts started so far")
        sent.add_metric([], broadcasts.pop("broadcasts", 0))
        for status, count in sorted(broadcasts.items()):
            recipients.add_metric([status], count)
        families += [recipients, sent]

        class Snapshot(Collector):
            def collect(self) -> Iterator[Any]:
                yield from families

        registry = CollectorRegistry()
        registry.register(Snapshot())
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": "text/plain; version=0.0.4"}
        )


async def serve(health: Health, listen: str, port: int, stop: asyncio.Event) -> None:
    """Serves the two endpoints on their own port until ``stop`` (polling mode)."""
    from aiohttp import web

    app = web.Application()
    health.add_routes(app)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, listen, port).start()
    log.info("health and metrics on http://%s:%s/healthz and /metrics", listen, port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
