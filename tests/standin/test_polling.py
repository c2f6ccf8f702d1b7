"""Long polling behaves like Telegram's: prompt, patient, once per offset, one poller."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import Bot
from telegram.error import Conflict

from standin.client import StandInClient
from standin.server import RunningStandIn
from tests.standin.conftest import ANA, BEN, TOKEN


async def test_returns_at_once_when_an_update_arrives(client: StandInClient, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=25))
    await asyncio.sleep(0)  # let the poll reach the server before the update exists
    await client.send(ANA, "hello")
    updates = await asyncio.wait_for(poll, 5)  # far less than the 20 s timeout
    assert [u.message.text for u in updates if u.message] == ["hello"]


async def test_returns_empty_after_the_timeout_when_nothing_arrives(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_each_update_is_delivered_once_per_offset(client: StandInClient, bot: Bot) -> None:
    for text in ("one", "two", "three"):
        await client.send(ANA, text)
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["one", "two", "three"]
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [u.update_id for u in first], "offset not advanced"
    confirmed = await bot.get_updates(offset=first[1].update_id + 1, timeout=0)
    assert [u.message.text for u in confirmed if u.message] == ["three"]
    assert await bot.get_updates(offset=first[2].update_id + 1, timeout=0) == ()
    assert [u.message.text for u in await bot.get_updates(timeout=0) if u.message] == []


async def test_limit_and_negative_offset(client: StandInClient, bot: Bot) -> None:
    for number in range(5):
        await client.send(BEN, str(number))
    assert len(await bot.get_updates(limit=2, timeout=0)) == 2
    last_two = await bot.get_updates(offset=-2, timeout=0)
    assert [u.message.text for u in last_two if u.message] == ["3", "4"]


async def test_a_second_poller_makes_the_first_one_give_way(
    client: StandInClient, bot: Bot, standin: RunningStandIn
) -> None:
    """Two instances of the same bot (two processes, say) polling at once."""
    first = asyncio.create_task(bot.get_updates(timeout=10, read_timeout=15))
    async with Bot(TOKEN, base_url=standin.bot_api_base) as other_instance:
        await _until_polling(client)
        second = asyncio.create_task(other_instance.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 5)
        await client.send(ANA, "for the survivor")
        assert [u.message.text for u in await second if u.message] == ["for the survivor"]


async def _until_polling(client: StandInClient, deadline: float = 5.0) -> None:
    """Polls the stand-in's gauge until a getUpdates call is waiting there."""
    give_up = time.monotonic() + deadline
    while (await client.stats())["polls_waiting"] < 1:
        assert time.monotonic() < give_up, "the first poller never reached the stand-in"
        await asyncio.sleep(0.01)


async def test_a_redelivered_update_comes_again_with_the_same_id(
    client: StandInClient, bot: Bot
) -> None:
    sent = await client.send(ANA, "once")
    (update,) = await bot.get_updates(timeout=0)
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    await client.redeliver(sent["update_id"])
    (again,) = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert again.update_id == update.update_id
    assert again.message is not None
    assert again.message.text == "once"
