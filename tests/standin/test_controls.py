"""Blocking, rate limits, latency and injected faults surface as PTB's own exceptions."""

from __future__ import annotations

import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from standin.client import Person, StandInClient
from standin.server import RunningStandIn
from tests.standin.conftest import ANA, TOKEN

PEOPLE = [Person(2000 + n, f"P{n}") for n in range(12)]


async def _everyone_started(client: StandInClient, bot: Bot) -> None:
    for person in [ANA, *PEOPLE]:
        await client.send(person, "/start")
    updates = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)


async def test_a_blocked_user_gives_forbidden(client: StandInClient, bot: Bot) -> None:
    await _everyone_started(client, bot)
    await client.block(ANA)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(ANA.id, "hello?")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_chat_action(ANA.id, "typing")


async def test_global_limit_answers_429_with_retry_after(client: StandInClient, bot: Bot) -> None:
    await _everyone_started(client, bot)
    await client.control(global_rate=5, global_burst=5)
    for person in PEOPLE[:5]:
        await bot.send_message(person.id, "within the limit")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(PEOPLE[5].id, "one too many")
    retry_after = caught.value.retry_after
    seconds = retry_after if isinstance(retry_after, int) else retry_after.total_seconds()
    assert seconds >= 1
    stats = await client.stats()
    assert stats["rate_limited"] == 1
    assert stats["status_429"] == 1


async def test_per_chat_limit_allows_a_burst_then_429(client: StandInClient, bot: Bot) -> None:
    await _everyone_started(client, bot)
    await client.control(per_chat_rate=1, per_chat_burst=3)
    for number in range(3):
        await bot.send_message(ANA.id, f"burst {number}")
    with pytest.raises(RetryAfter):
        await bot.send_message(ANA.id, "fourth in a row")
    await bot.send_message(PEOPLE[0].id, "another chat is unaffected")
    await bot.edit_message_text("edits do not count", chat_id=ANA.id, message_id=2)


async def test_latency_delays_every_call(client: StandInClient, bot: Bot) -> None:
    await client.control(latency_ms=150)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("kind", "error"), [("5xx", NetworkError), ("drop", NetworkError), ("timeout", TimedOut)]
)
async def test_injected_faults_raise_the_matching_exception(
    standin: RunningStandIn, client: StandInClient, bot: Bot, kind: str, error: type[Exception]
) -> None:
    await _everyone_started(client, bot)
    await client.control(faults={"rate": 1.0, "kinds": [kind], "timeout_seconds": 2, "seed": 1})
    impatient = Bot(TOKEN, base_url=standin.bot_api_base, request=HTTPXRequest(read_timeout=0.5))
    with pytest.raises(error):
        await impatient.send_message(ANA.id, "will this arrive?")
    await impatient.shutdown()
    assert not [m for m in await client.messages(ANA.id) if m["from_bot"]], "failed before effect"
    assert (await client.stats())[f"fault_{kind}"] == 1


async def test_a_fault_after_the_effect_delivers_the_message_anyway(
    client: StandInClient, bot: Bot
) -> None:
    await _everyone_started(client, bot)
    await client.control(faults={"rate": 1.0, "kinds": ["5xx"], "after_effect_share": 1.0})
    with pytest.raises(NetworkError):
        await bot.send_message(ANA.id, "arrives, though the bot is told it failed")
    texts = [m["text"] for m in await client.messages(ANA.id) if m["from_bot"]]
    assert texts == ["arrives, though the bot is told it failed"]


async def test_faults_can_target_methods_and_spare_the_rest(
    client: StandInClient, bot: Bot
) -> None:
    await _everyone_started(client, bot)
    await client.control(faults={"rate": 1.0, "methods": ["sendChatAction"]})
    assert (await bot.send_message(ANA.id, "fine")).text == "fine"
    with pytest.raises(NetworkError):
        await bot.send_chat_action(ANA.id, "typing")


async def test_a_fault_rate_fails_about_that_share_reproducibly(
    client: StandInClient, bot: Bot
) -> None:
    await _everyone_started(client, bot)
    await client.control(faults={"rate": 0.3, "seed": 7})
    outcomes = []
    for number in range(100):
        try:
            await bot.send_message(ANA.id, f"message {number}")
            outcomes.append(True)
        except NetworkError:
            outcomes.append(False)
    failed = outcomes.count(False)
    assert 15 <= failed <= 45
    assert (await client.stats())["fault_5xx"] == failed


async def test_every_call_is_logged(client: StandInClient, bot: Bot) -> None:
    await _everyone_started(client, bot)
    before = (await client.log())[-1]["seq"]
    await bot.send_message(ANA.id, "logged")
    with pytest.raises(BadRequest):
        await bot.send_message(ANA.id, "")
    calls = await client.log(since=before)
    assert [(c["method"], c["status"]) for c in calls] == [
        ("sendMessage", 200),
        ("sendMessage", 400),
    ]
    assert calls[0]["params"]["text"] == "logged"
    assert calls[1]["description"] == "Bad Request: message text is empty"
    assert calls[0]["bot"] == int(TOKEN.split(":")[0])


async def test_method_names_in_any_case_meet_the_same_limits_and_faults(
    client: StandInClient, bot: Bot
) -> None:
    await _everyone_started(client, bot)
    await client.control(
        per_chat_rate=1, per_chat_burst=1, faults={"rate": 1.0, "methods": ["editMessageText"]}
    )
    await bot.do_api_request("sendmessage", api_kwargs={"chat_id": ANA.id, "text": "one"})
    with pytest.raises(RetryAfter):
        await bot.do_api_request("SENDMESSAGE", api_kwargs={"chat_id": ANA.id, "text": "two"})
    with pytest.raises(NetworkError):
        await bot.do_api_request(
            "editmessagetext", api_kwargs={"chat_id": ANA.id, "message_id": 2, "text": "x"}
        )
    stats = await client.stats()
    assert stats["calls_sendMessage"] == 2, "counted under the documented name"
    assert stats["misspelled_method_calls"] == 3, "and each other spelling noticed"
