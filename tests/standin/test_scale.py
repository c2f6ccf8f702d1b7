"""A thousand people at once: nothing lost, nothing in the wrong chat, and fast enough."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from standin.client import Person, StandInClient
from standin.server import RunningStandIn
from tests.standin.conftest import TOKEN

USERS = 1000


async def _echo_until(standin: RunningStandIn, expected: int) -> int:
    """A bare consumer (raw HTTP, no PTB): polls updates and replies to each chat."""
    base = f"{standin.bot_api_base}{TOKEN}"
    answered, offset = 0, 0
    async with aiohttp.ClientSession() as session:
        while answered < expected:
            async with session.post(
                f"{base}/getUpdates", json={"offset": offset, "timeout": 5}
            ) as r:
                updates = (await r.json())["result"]
            if not updates:
                continue
            offset = updates[-1]["update_id"] + 1

            async def reply(update: dict[str, object]) -> None:
                message = update["message"]
                assert isinstance(message, dict)
                payload = {"chat_id": message["chat"]["id"], "text": f"echo {message['text']}"}
                async with session.post(f"{base}/sendMessage", json=payload) as response:
                    assert response.status == 200

            await asyncio.gather(*(reply(u) for u in updates))
            answered += len(updates)
    return answered


async def test_a_thousand_people_each_get_their_own_reply(
    standin: RunningStandIn, client: StandInClient
) -> None:
    people = [Person(100_000 + n, f"Person{n}") for n in range(USERS)]
    consumer = asyncio.create_task(_echo_until(standin, USERS))
    started = time.perf_counter()

    async def one_person(person: Person) -> str:
        chat = client.conversation(person)
        await chat.send(f"I am {person.id}")
        return str((await chat.next_message(timeout=30))["text"])

    replies = await asyncio.gather(*(one_person(p) for p in people))
    elapsed = time.perf_counter() - started
    assert await consumer == USERS
    assert replies == [f"echo I am {p.id}" for p in people]
    stats = await client.stats()
    calls = stats["calls"]
    print(
        f"\n{USERS} people: {elapsed:.2f} s, {calls} Bot API calls, "
        f"{calls / elapsed:.0f} calls/s plus {USERS * 2} user-side requests"
    )
