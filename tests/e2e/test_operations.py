"""What an operator asks a running process: /healthz and /metrics.

Polling mode serves them on HEALTH_PORT (webhook mode beside the webhook, checked in
test_modes_and_settings.py's webhook test). A database that does not answer turns
/healthz into 503, so a load balancer stops sending a process work it cannot store.
"""

from __future__ import annotations

import json
import socket

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Running
from bot.health import Health
from standin.client import Person, StandInClient
from standin.server import RunningStandIn
from storage.batches import BatchWriter
from storage.database import Database
from storage.outbox import OutboxStore
from storage.presence import Presence
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import say_and_wait


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_healthz_and_metrics_tell_the_role_the_backlog_and_the_calls(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    port = _free_port()
    running = await start_bot(make_settings(standin, database_url, health_port=port))
    await say_and_wait(client.conversation(Person(7301, "Ops")), "/start")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/healthz") as reply:
            assert reply.status == 200
            health = json.loads(await reply.text())
        async with session.get(f"http://127.0.0.1:{port}/metrics") as reply:
            assert reply.status == 200
            metrics = await reply.text()
    assert health["role"] == "leader", "on SQLite the one process leads"
    assert health["processes"] == 1
    assert health["database"] is True
    assert isinstance(health["outbox_backlog"], int)
    handled = running.dispatcher.processed
    assert f"closer_updates_handled_total {float(handled)}" in metrics
    assert 'closer_bot_api_calls_total{method="sendMessage"}' in metrics
    assert "closer_outbox_backlog " in metrics
    assert "closer_leader 1.0" in metrics


async def test_healthz_is_503_when_the_database_does_not_answer(bot: Running) -> None:
    gone = Database("postgresql+asyncpg://closer@127.0.0.1:9/nowhere", busy_timeout=1)
    outbox = OutboxStore(gone, BatchWriter(gone), Presence(gone, "ops"))
    health = Health(
        Presence(gone, "ops"),
        outbox,
        bot.services.sender,
        bot.dispatcher,
        bot.delivery,
        bot.admin.store,
    )
    app = web.Application()
    health.add_routes(app)
    async with TestClient(TestServer(app)) as test_client:
        reply = await test_client.get("/healthz")
        assert reply.status == 503
        assert json.loads(await reply.text()) == {
            "role": "standby",
            "processes": 1,
            "database": False,
        }
        metrics = await (await test_client.get("/metrics")).text()
        assert "closer_database_up 0.0" in metrics
    await gone.dispose()
