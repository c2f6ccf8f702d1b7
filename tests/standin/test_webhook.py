"""Webhook mode: updates are POSTed with the secret header, retried until accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from standin.client import Person, StandInClient
from tests.standin.conftest import ANA


class Receiver:
    """A tiny webhook endpoint that records what arrives (and can refuse it)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, object], str | None]] = []
        self.status = 200
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        self.arrived.set()
        return web.Response(status=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    app = web.Application()

    async def route(request: web.Request) -> web.Response:
        return await hook.handle(request)  # looked up per call, so a test can swap it

    app.router.add_post("/hook", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield hook, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_token(
    client: StandInClient, bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    await bot.set_webhook(url, secret_token="letmein")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    await client.send(ANA, "via webhook")
    await asyncio.wait_for(hook.arrived.wait(), 5)
    update, secret = hook.received[0]
    assert secret == "letmein"
    assert update["message"]["text"] == "via webhook"  # type: ignore[index]
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_a_refused_delivery_is_retried_and_reported(
    client: StandInClient, bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.status = 500
    await bot.set_webhook(url)
    await client.send(ANA, "persistent")
    await asyncio.wait_for(hook.arrived.wait(), 5)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while info.last_error_message is None:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
        info = await bot.get_webhook_info()
    assert "500" in info.last_error_message
    hook.status = 200
    hook.arrived.clear()
    while (await bot.get_webhook_info()).pending_update_count:
        assert loop.time() < deadline + 10, "the update was never accepted"
        await asyncio.sleep(0.05)
    texts = [u["message"]["text"] for u, _ in hook.received]  # type: ignore[index]
    assert set(texts) == {"persistent"}
    assert len(texts) >= 2, "delivered again after the refusal"


async def test_deleting_the_webhook_returns_to_polling(
    client: StandInClient, bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    _, url = receiver
    await bot.set_webhook(url)
    await bot.delete_webhook()
    await client.send(ANA, "polled again")
    updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message][-1:] == ["polled again"]


async def test_deliveries_run_concurrently_but_each_chat_in_order(
    client: StandInClient, bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    in_flight: list[int] = []
    most = 0
    order: dict[int, list[str]] = {}
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        nonlocal most
        update = await request.json()
        chat = update["message"]["chat"]["id"]
        assert chat not in in_flight, "two updates of one chat at once"
        in_flight.append(chat)
        most = max(most, len(in_flight))
        order.setdefault(chat, []).append(update["message"]["text"])
        if len(in_flight) >= 3:
            release.set()
        await asyncio.wait_for(release.wait(), 5)
        in_flight.remove(chat)
        return web.Response()

    hook.handle = slow  # type: ignore[method-assign]
    await bot.set_webhook(url, max_connections=10)
    people = [Person(7000 + n, f"W{n}") for n in range(3)]
    for round_ in range(2):
        for person in people:
            await client.send(person, f"{person.id}-{round_}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while sum(len(texts) for texts in order.values()) < 6:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    assert most >= 3, "several chats at once"
    assert all(texts == [f"{chat}-0", f"{chat}-1"] for chat, texts in order.items())
