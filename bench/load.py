"""Simulated people for the load benchmarks, talking to a bot through the stand-in.

Each person walks the whole conversation: /start, "Let's begin", an answer to every
question (a random one, so profiles differ), "Thank you". An event's latency runs from the
moment the person acts (the HTTP call that taps or sends) to the moment the bot's complete
reply is there (the next question with its buttons); the first reply is when the first
new message of that reply arrived (the stand-in stamps each event with the time it
happened; the same clock, on the same machine). Each person costs the stand-in two
requests an event: one to act, one long poll that waits for the reply.

Closed loop: everyone acts as soon as their reply arrives (the most the bot can do).
Open loop: everyone acts about once a second, whatever the bot does (what a person feels).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from standin.client import Person, StandInClient, button_labels

#: Buttons that move rather than answer; simulated people never tap them.
MOVES = frozenset({"Tell me more", "Back", "Skip", "Pause", "Not right now"})
LAST_PROMPT = "What would you like to do now?"
REPLY_TIMEOUT = 60.0
#: A walk longer than this is going round in circles: count it as a failure, not a hang.
MAX_ACTS = 100


@dataclass
class LoadResult:
    """What one load run measured."""

    people: int
    events: int = 0
    finished: int = 0
    failures: int = 0
    latencies: list[float] = field(default_factory=list)
    first_replies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, share: float, values: list[float] | None = None) -> float:
        """Latency (complete replies, unless ``values``) at the share (0..1), in ms."""
        values = self.latencies if values is None else values
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def summary(self) -> dict[str, Any]:
        """The figures, JSON-shaped."""
        return {
            "people": self.people,
            "events": self.events,
            "finished": self.finished,
            "failures": self.failures,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(self.events / self.seconds, 1) if self.seconds else 0,
            "finished_per_second": round(self.finished / self.seconds, 2) if self.seconds else 0,
            "p50_ms": round(self.percentile(0.50), 1),
            "p95_ms": round(self.percentile(0.95), 1),
            "p99_ms": round(self.percentile(0.99), 1),
            "first_reply_p50_ms": round(self.percentile(0.50, self.first_replies), 1),
            "first_reply_p99_ms": round(self.percentile(0.99, self.first_replies), 1),
        }


class _Chat:
    """One simulated person's view of their chat: the newest keyboard and the event cursor."""

    def __init__(self, client: StandInClient, person: Person) -> None:
        self.client = client
        self.person = person
        self.seq = 0
        self.keyboard: dict[str, Any] | None = None

    async def act_and_wait(self, act: Any) -> tuple[float, float]:
        """Acts, then waits for a new message with buttons; returns the latency of the first
        new message and of that one, in seconds."""
        started, wall = time.perf_counter(), time.time()
        await act
        first: float | None = None
        while True:
            events, _ = await self.client.events(
                self.person.id, self.seq, timeout=REPLY_TIMEOUT, until_keyboard=True
            )
            if not events:
                raise TimeoutError(f"person {self.person.id}: no reply within {REPLY_TIMEOUT} s")
            self.seq = max(self.seq, *(event["seq"] for event in events))
            messages = [event for event in events if event["kind"] == "message"]
            if first is None and messages:
                first = max(0.0, float(messages[0]["at"]) - wall)
            fresh = [event["message"] for event in messages if button_labels(event["message"])]
            if fresh:
                self.keyboard = fresh[-1]
                done = time.perf_counter() - started
                return (done if first is None else min(first, done)), done

    def tap(self, label: str) -> Any:
        """The HTTP call that taps a button of the newest keyboard."""
        assert self.keyboard is not None
        return self.client.press(self.person, self.keyboard["message_id"], text=label)


async def walk(
    client: StandInClient,
    person: Person,
    result: LoadResult,
    rng: random.Random,
    pace: float | None,
) -> None:
    """One person, through the whole conversation; ``pace``: seconds between acts (open loop)."""
    chat = _Chat(client, person)
    # Open loop: people arrive spread over the first interval, not all in the same instant.
    next_act = time.perf_counter() + (rng.uniform(0, pace) if pace is not None else 0.0)

    async def step(act: Any) -> None:
        nonlocal next_act
        if pace is not None:
            delay = next_act - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_act = max(next_act, time.perf_counter()) + rng.uniform(0.5 * pace, 1.5 * pace)
        first, complete = await chat.act_and_wait(act)
        result.first_replies.append(first)
        result.latencies.append(complete)
        result.events += 1

    try:
        await step(client.send(person, "/start"))
        for _ in range(MAX_ACTS):
            assert chat.keyboard is not None
            labels = button_labels(chat.keyboard)
            if str(chat.keyboard.get("text", "")).rsplit("\n\n", 1)[-1].startswith(LAST_PROMPT):
                result.finished += 1
                return
            answers = [label for label in labels if label not in MOVES]
            await step(chat.tap(rng.choice(answers)))
        raise AssertionError(f"not finished after {MAX_ACTS} acts")
    except (TimeoutError, AssertionError, OSError) as error:
        result.failures += 1
        print(f"person {person.id} gave up: {error}")


async def echo_walk(
    client: StandInClient,
    person: Person,
    result: LoadResult,
    messages: int,
    rng: random.Random,
    pace: float | None,
) -> None:
    """A person who sends ``messages`` texts to the echo bot: each as soon as the last
    echo is back (closed loop), or about every ``pace`` seconds (open loop)."""
    seq = 0
    next_act = time.perf_counter() + (rng.uniform(0, pace) if pace is not None else 0.0)
    for number in range(messages):
        if pace is not None:
            delay = next_act - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            next_act = max(next_act, time.perf_counter()) + rng.uniform(0.5 * pace, 1.5 * pace)
        started = time.perf_counter()
        await client.send(person, f"echo {number}")
        events, _ = await client.events(
            person.id, seq, wait_for=1, timeout=REPLY_TIMEOUT, kinds=("message",)
        )
        if not events:
            result.failures += 1
            return
        seq = max(seq, *(event["seq"] for event in events))
        latency = time.perf_counter() - started
        result.latencies.append(latency)  # the echo is the first and the complete reply
        result.first_replies.append(latency)
        result.events += 1
    result.finished += 1


async def run_dialogue(
    url: str, bot_id: int, people: int, first_id: int, pace: float | None, seed: int = 7
) -> LoadResult:
    """Walks ``people`` people through the conversation at once."""
    result = LoadResult(people=people)
    rng = random.Random(seed)
    async with StandInClient(url, bot_id=bot_id, connections=2 * people + 10) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                walk(
                    client, Person(first_id + n, f"P{n}"), result, random.Random(rng.random()), pace
                )
                for n in range(people)
            )
        )
        result.seconds = time.perf_counter() - started
    return result


async def run_echo(
    url: str,
    bot_id: int,
    people: int,
    first_id: int,
    messages: int,
    pace: float | None = None,
    seed: int = 7,
) -> LoadResult:
    """``people`` people each sending ``messages`` texts to the echo bot at once."""
    result = LoadResult(people=people)
    rng = random.Random(seed)
    async with StandInClient(url, bot_id=bot_id, connections=2 * people + 10) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                echo_walk(
                    client,
                    Person(first_id + n, f"E{n}"),
                    result,
                    messages,
                    random.Random(rng.random()),
                    pace,
                )
                for n in range(people)
            )
        )
        result.seconds = time.perf_counter() - started
    return result
