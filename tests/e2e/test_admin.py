"""Admins: broadcasting through the stand-in, statistics, and non-admins learning nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import select

from bot.app import Running
from bot.config import Settings
from dialogs import default_library
from standin.client import Conversation, Person, StandInClient, button_labels, message_text
from standin.server import RunningStandIn
from storage.broadcasts import BroadcastStatus
from storage.models import BroadcastRecipient, User
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import newest_message_id, say_and_wait, tap_and_wait

ADMIN = Person(9000, "Admin")


async def _people(client: StandInClient, count: int, first_id: int = 9100) -> list[Conversation]:
    """People who have started the bot (and so are subscribers)."""
    chats = [client.conversation(Person(first_id + n, f"P{n}")) for n in range(count)]
    await asyncio.gather(*(say_and_wait(chat, "/start") for chat in chats))
    return chats


async def _admin_bot(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, **extra: Any
) -> Running:
    settings: Settings = make_settings(standin, database_url, admin_ids=str(ADMIN.id), **extra)
    return await start_bot(settings)


async def _compose(admin: Conversation, send: dict[str, Any]) -> dict[str, Any]:
    """/broadcast, then the draft; returns the panel message."""
    await say_and_wait(admin, "/broadcast", keyboard=False)
    before = newest_message_id(admin)
    if "kind" in send:
        await admin.send_kind(**send)
    else:
        await admin.send(**send)
    await admin.wait_until(
        lambda c: (c.keyboard_message() or {}).get("message_id", 0) > before, 15, "the panel"
    )
    panel = admin.keyboard_message()
    assert panel is not None
    return panel


async def _until_finished(admin: Conversation, timeout: float = 60) -> dict[str, Any]:
    """Waits for the final report, which arrives as a new message (not only a panel edit)."""

    def report(chat: Conversation) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in chat.bot_messages.values()
                if "is done" in message_text(m) and not m.get("edit_date")
            ),
            None,
        )

    await admin.wait_until(lambda c: report(c) is not None, timeout, "the final report")
    found = report(admin)
    assert found is not None
    return found


def _received(chats: list[Conversation], text: str) -> Counter[int]:
    return Counter(
        chat.person.id
        for chat in chats
        for m in chat.bot_messages.values()
        if message_text(m) == text
    )


async def test_a_text_broadcast_reaches_every_subscriber_once(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    running = await _admin_bot(start_bot, standin, database_url)
    admin = client.conversation(ADMIN)
    await say_and_wait(admin, "/start")
    people = await _people(client, 30)
    await say_and_wait(people[0], "/stop", keyboard=False)  # opted out
    await client.block(people[1].person)  # the bot hears of it (my_chat_member)
    quietly_blocked = people[2].person  # blocks without the bot knowing: it will meet a 403
    async with running.services.database.read() as session:
        assert (await session.get(User, people[1].person.id)) is not None
    panel = await _compose(
        admin, {"text": "<b>New:</b> a short read on patience", "entities": None}
    )
    assert "All subscribers" in message_text(panel)
    assert "people right now" in message_text(panel)
    preview = [
        m
        for m in admin.bot_messages.values()
        if message_text(m) == "<b>New:</b> a short read on patience"
    ]
    assert preview, "the admin saw the draft exactly as recipients will"
    await _block_quietly(running, client, quietly_blocked)
    await tap_and_wait_for_edit(admin, "Send now")
    final = await _until_finished(admin)
    assert "27 sent" in message_text(final) or "28 sent" in message_text(final)
    for chat in people:
        await chat.sync()
    text = "<b>New:</b> a short read on patience"
    received = _received(people, text)
    assert received[people[0].person.id] == 0, "opted out"
    assert received[people[1].person.id] == 0, "blocked"
    assert received[quietly_blocked.id] == 0
    assert sorted(received.values()) == [1] * 27, "every other person exactly once"
    assert _received([admin], text)[ADMIN.id] == 2, "the admin: the preview, then their own copy"
    async with running.services.database.read() as session:
        user = await session.get(User, quietly_blocked.id)
        assert user is not None
        assert user.blocked, "the 403 marked them"
        statuses = Counter((await session.execute(select(BroadcastRecipient.status))).scalars())
    assert statuses == {"sent": 28, "blocked": 1}


async def _block_quietly(running: Running, client: StandInClient, person: Person) -> None:
    """Blocks the bot in the stand-in, then undoes the bot's record of it, as if the
    my_chat_member update had never arrived."""
    await client.block(person)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        async with running.services.database.read() as session:
            user = await session.get(User, person.id)
            if user is not None and user.blocked:
                break
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    await running.services.users.set_blocked(person.id, False)


async def tap_and_wait_for_edit(chat: Conversation, label: str) -> None:
    """Taps a button on a panel and waits for the panel to change."""
    message = chat.keyboard_message(label)
    assert message is not None
    before = message.get("edit_date", 0), message_text(message)
    await chat.tap(label)
    await chat.wait_until(
        lambda c: (
            (
                c.bot_messages[message["message_id"]].get("edit_date", 0),
                message_text(c.bot_messages[message["message_id"]]),
            )
            != before
        ),
        15,
        f"the panel after {label!r}",
    )


async def test_a_photo_goes_to_the_chosen_audience_only(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    running = await _admin_bot(start_bot, standin, database_url)
    admin = client.conversation(ADMIN)
    people = await _people(client, 6)
    for chat in people[:2]:  # two people get part-way
        await tap_and_wait(chat, "Let's begin")
    panel = await _compose(admin, {"kind": "photo", "caption": "This week's picture"})
    assert "6 people right now" in message_text(panel)
    await tap_and_wait_for_edit(admin, "Part-way through")
    assert "Part-way through, 2 people right now" in message_text(
        admin.bot_messages[panel["message_id"]]
    )
    assert "• Part-way through" in button_labels(admin.bot_messages[panel["message_id"]])
    await tap_and_wait_for_edit(admin, "Send now")
    await _until_finished(admin)
    for chat in people:
        await chat.sync()
    got_photo = {
        chat.person.id
        for chat in people
        for m in chat.bot_messages.values()
        if m.get("photo") and m.get("caption") == "This week's picture"
    }
    assert got_photo == {people[0].person.id, people[1].person.id}
    assert running.admin.broadcaster.recovered == 0


async def test_429s_from_a_30_per_second_limit_are_waited_out(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    # The bot believes it may send 60 a second; "Telegram" allows 30.
    await _admin_bot(
        start_bot, standin, database_url, broadcast_rate=60, telegram_messages_per_second=60
    )
    admin = client.conversation(ADMIN)
    await client.bulk_people(20_000, 150)
    people = [client.conversation(Person(20_000 + n, "Reader")) for n in range(150)]
    await _seed_subscribers(client, people)
    await _compose(admin, {"text": "Thirty a second, please"})
    await client.control(global_rate=30, global_burst=30)
    await tap_and_wait_for_edit(admin, "Send now")
    await _until_finished(admin, timeout=90)
    stats = await client.stats()
    assert stats["rate_limited"] >= 1, "the limit was hit, and handled"
    copies = Counter(
        int(c["params"]["chat_id"])
        for c in await client.log(limit=100_000)
        if c["method"] == "copyMessage" and c["status"] == 200
    )
    copies[ADMIN.id] -= 1  # the admin's preview is a copy too
    assert +copies == Counter({p.person.id: 1 for p in people}), "everyone exactly once"


async def _seed_subscribers(client: StandInClient, people: list[Conversation]) -> None:
    """People who wrote /start once (fast: their replies are not awaited one by one)."""
    await asyncio.gather(*(chat.send("/start") for chat in people))
    for chat in people:
        await chat.wait_until(lambda c: c.keyboard_message() is not None, 30, "the welcome")


async def test_a_running_broadcast_can_be_stopped(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    running = await _admin_bot(start_bot, standin, database_url, broadcast_rate=5)
    admin = client.conversation(ADMIN)
    people = [client.conversation(Person(30_000 + n, "Reader")) for n in range(40)]
    await _seed_subscribers(client, people)
    await _compose(admin, {"text": "Slowly now"})
    await tap_and_wait_for_edit(admin, "Send now")
    await tap_and_wait_for_edit(admin, "Stop sending")
    await admin.wait_until(
        lambda c: any(
            "was stopped" in message_text(m) and not m.get("edit_date")
            for m in c.bot_messages.values()
        ),
        20,
        "the stopped report",
    )
    info = (await running.admin.store.recent())[0]
    assert info.status is BroadcastStatus.CANCELLED
    sent = info.counts.get("sent", 0)
    assert 0 < sent < 40
    assert info.counts.get("pending", 0) == 40 - sent, "nothing left half-way"


async def test_broadcast_list_and_statistics(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    await _admin_bot(start_bot, standin, database_url)
    admin = client.conversation(ADMIN)
    listing = await say_and_wait(admin, "/broadcasts", keyboard=False)
    assert "No broadcasts yet" in message_text(listing)
    people = await _people(client, 4)
    await tap_and_wait(people[0], "Let's begin")
    await _compose(admin, {"text": "Hello, everyone"})
    await tap_and_wait_for_edit(admin, "Send now")
    await _until_finished(admin)
    listing = await say_and_wait(admin, "/broadcasts", keyboard=False)
    assert "#1 · " in message_text(listing)
    # The admin never wrote /start here, so only the four people are subscribers.
    assert "done · to All subscribers: 4 sent, 0 failed, 0 blocked, 0 left" in message_text(listing)
    before = newest_message_id(admin)
    await admin.send("/stats")
    await admin.wait_until(
        lambda c: len([i for i in c.bot_messages if i > before]) >= 2,
        15,
        "the chart and the numbers",
    )
    chart, numbers = (admin.bot_messages[i] for i in sorted(admin.bot_messages) if i > before)
    assert chart.get("photo")
    assert chart["caption"] == "How far people get, step by step."
    text = message_text(numbers)
    assert "People: 4 in all, 4 new and 4 active in the last 7 days." in text
    assert "Broadcasts: 1 sent, 4 messages delivered." in text
    assert "4 · Welcome (75% stop here)" in text
    assert "1 · A little about you two (100% stop here)" in text
    assert "Languages:\n4 · English (100%)" in text


async def test_a_broadcast_can_go_to_the_people_of_one_language(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    await _admin_bot(start_bot, standin, database_url)
    admin = client.conversation(ADMIN)
    english = await _people(client, 3)
    russian = [
        client.conversation(Person(9200 + n, f"Маша{n}", language_code="ru-RU")) for n in range(2)
    ]
    for chat in russian:
        await say_and_wait(chat, "/start")
    panel = await _compose(admin, {"text": "Новое для вас"})
    await tap_and_wait_for_edit(admin, "Talks in Русский")
    assert "Talks in Русский, 2 people right now" in message_text(
        admin.bot_messages[panel["message_id"]]
    )
    await tap_and_wait_for_edit(admin, "Send now")
    await _until_finished(admin)
    for chat in [*english, *russian]:
        await chat.sync()
    assert _received(russian, "Новое для вас") == {9200: 1, 9201: 1}
    assert not _received(english, "Новое для вас")


async def test_people_who_are_not_admins_get_no_admin_behaviour(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    running = await _admin_bot(start_bot, standin, database_url)
    admin = client.conversation(ADMIN)
    await say_and_wait(admin, "/start")
    mallory = client.conversation(Person(9666, "Mallory"))
    await say_and_wait(mallory, "/start")
    for command in ("/broadcast", "/broadcasts", "/stats", "/cancel"):
        reply = await say_and_wait(mallory, command, keyboard=False)
        assert message_text(reply) == "I don't know that command. Send /help to see what I can do."
    await say_and_wait(mallory, "hello everyone, buy my course")  # not a draft: a re-prompt
    assert await running.admin.store.recent() == []
    assert await running.admin.store.composing(mallory.person.id) is None
    processed = running.dispatcher.processed
    await client.inject(
        {
            "callback_query": {
                "id": "forged-admin",
                "from": mallory.person.to_json() | {"is_bot": False},
                "chat_instance": "1",
                "data": "b:1:s",
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": mallory.person.id, "type": "private"},
                },
            }
        }
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while running.dispatcher.processed == processed:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
    await mallory.sync()
    assert "earlier question" in (mallory.callback_answers[-1]["text"] or "")
    admin_menu = {c["command"] for c in await client.commands(ADMIN.id)}
    everyone_menu = {c["command"] for c in await client.commands(mallory.person.id)}
    assert {"broadcast", "broadcasts", "stats", "cancel"} <= admin_menu
    assert not {"broadcast", "broadcasts", "stats", "cancel"} & everyone_menu


async def test_an_admin_reads_the_admin_texts_in_their_own_language(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    settings = make_settings(standin, database_url, admin_ids="9001")
    await start_bot(settings)
    admin = client.conversation(Person(9001, "Ирина", language_code="ru"))
    await say_and_wait(admin, "/start")
    await _people(client, 2)
    before = newest_message_id(admin)
    await admin.send("/stats")
    await admin.wait_until(
        lambda c: len([i for i in c.bot_messages if i > before]) >= 2, 15, "the statistics"
    )
    numbers = admin.bot_messages[max(admin.bot_messages)]
    russian = default_library().engine("ru").content.admin
    assert russian.languages_heading in message_text(numbers)
    assert "2 · English (67\xa0%)" in message_text(numbers), "Babel: 67 %, as Russian writes it"
    assert "1 · Русский (33\xa0%)" in message_text(numbers)
    panel = await _compose(admin, {"text": "Новости"})
    assert russian.audience_all in message_text(panel)
