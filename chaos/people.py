"""Simulated people who behave like patient humans when the bot misbehaves.

Each one starts, answers every question with a random answer and finishes, like the load
generator's people; but when no new question arrives within their patience (the bot was
killed, Telegram failed), they do what a person does: send /start again, which shows
them where they were, and tap Continue. Everything is counted, so a drill can say how
many replies were lost (a person had to ask again) and how many came twice (more
questions than acts).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.load import LAST_PROMPT, MOVES
from standin.client import Person, StandInClient, StandInError, button_labels

#: Seconds a person waits for the next question before sending /start again.
PATIENCE = 12.0
#: What a person who came back to the chat taps on the "welcome back" panel.
CARRY_ON = "Continue"
#: Acts after which a walk counts as stuck rather than slow.
MAX_ACTS = 150


@dataclass
class Walk:
    """One person's walk: what they did and what they saw."""

    person: int
    acts: int = 0
    unanswered: int = 0  # acts with no new question within patience
    refused_taps: int = 0  # the button had already gone (a resumed chat re-sent it)
    finished: bool = False
    error: str | None = None


@dataclass
class Crowd:
    """Every walk of a drill, and the totals a report needs."""

    walks: list[Walk] = field(default_factory=list)

    @property
    def finished(self) -> int:
        """People who reached the end of the conversation."""
        return sum(walk.finished for walk in self.walks)

    @property
    def acts(self) -> int:
        """Every message and tap people sent, retries included."""
        return sum(walk.acts for walk in self.walks)

    @property
    def unanswered(self) -> int:
        """Acts that got no new question within a person's patience."""
        return sum(walk.unanswered for walk in self.walks)


class _Chat:
    """A person's view: their newest question and how far they have read."""

    def __init__(self, client: StandInClient, person: Person) -> None:
        self.client = client
        self.person = person
        self.seq = 0
        self.question: dict[str, Any] | None = None

    async def next_question(self, patience: float, answered: Any = None) -> bool:
        """Waits for a new message with buttons; False if none came in time.

        ``answered``: the keyboard just tapped. A copy of it (a send retried after a
        failure that hid its success) is not the reply, and a person would not answer
        the same question twice: they wait for the next one."""
        deadline = time.monotonic() + patience
        while (remaining := deadline - time.monotonic()) > 0:
            events, _ = await self.client.events(
                self.person.id, self.seq, timeout=remaining, until_keyboard=True
            )
            if not events:
                return False
            self.seq = max(self.seq, *(event["seq"] for event in events))
            fresh = [
                event["message"]
                for event in events
                if event["kind"] == "message"
                and button_labels(event["message"])
                and (answered is None or event["message"].get("reply_markup") != answered)
            ]
            if fresh:
                self.question = fresh[-1]
                return True
        return False

    @property
    def at_the_end(self) -> bool:
        text = str((self.question or {}).get("text", ""))
        return text.rsplit("\n\n", 1)[-1].startswith(LAST_PROMPT)


def _choose(chat: _Chat, rng: random.Random) -> str:
    """A random answer; but someone who asked to be shown where they were carries on."""
    labels = button_labels(chat.question or {})
    if CARRY_ON in labels:
        return CARRY_ON
    return rng.choice([label for label in labels if label not in MOVES])


async def walk(
    client: StandInClient,
    person: Person,
    rng: random.Random,
    pace: float = 0.0,
    patience: float = PATIENCE,
) -> Walk:
    """One person, from /start to the end, asking again whenever the bot goes quiet."""
    record = Walk(person.id)
    chat = _Chat(client, person)

    async def act(start_again: bool) -> bool:
        if pace:
            await asyncio.sleep(rng.uniform(0.5 * pace, 1.5 * pace))
        record.acts += 1
        tapped = None
        if start_again or chat.question is None:
            await client.send(person, "/start")
        else:
            tapped = chat.question.get("reply_markup")
            try:
                await client.press(person, chat.question["message_id"], text=_choose(chat, rng))
            except StandInError:
                record.refused_taps += 1
                tapped = None
                await client.send(person, "/start")
        if await chat.next_question(patience, tapped):
            return True
        record.unanswered += 1
        return False

    try:
        answered = await act(start_again=True)
        while not (answered and chat.at_the_end):
            if record.acts >= MAX_ACTS:
                raise RuntimeError(f"not finished after {MAX_ACTS} acts")
            # No new question after the last act: ask again, as a person would.
            answered = await act(start_again=not answered)
        record.finished = True
    except Exception as error:  # a drill reports every person, whatever went wrong
        record.error = f"{type(error).__name__}: {error}"
    return record


async def crowd(
    client: StandInClient,
    first_id: int,
    people: int,
    seed: int,
    pace: float = 0.0,
    patience: float = PATIENCE,
) -> Crowd:
    """``people`` people walking at once; returns when every one has finished or given up."""
    rng = random.Random(seed)
    walks = await asyncio.gather(
        *(
            walk(client, Person(first_id + n, f"P{n}"), random.Random(rng.random()), pace, patience)
            for n in range(people)
        )
    )
    return Crowd(list(walks))
