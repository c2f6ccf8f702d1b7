"""Fixtures for the stand-in's own tests: a server on a free port, a PTB Bot, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from standin.client import Person, StandInClient
from standin.server import RunningStandIn, serve

TOKEN = "110201543:" + "T" * 35
ANA = Person(1001, "Ana", username="ana", language_code="en")
BEN = Person(1002, "Ben", language_code="de")


@pytest.fixture
async def standin() -> AsyncIterator[RunningStandIn]:
    """A stand-in serving on a free loopback port."""
    running = await serve()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(standin: RunningStandIn) -> AsyncIterator[StandInClient]:
    """The user side, with the test bot registered."""
    async with StandInClient(standin.url) as client:
        await client.register_bot(TOKEN)
        yield client


@pytest.fixture
async def bot(standin: RunningStandIn, client: StandInClient) -> AsyncIterator[Bot]:
    """A python-telegram-bot Bot pointed at the stand-in, with short timeouts."""
    request = HTTPXRequest(read_timeout=3, connect_timeout=3, write_timeout=3, pool_timeout=3)
    telegram_bot = Bot(TOKEN, base_url=standin.bot_api_base, request=request)
    async with telegram_bot:
        yield telegram_bot
