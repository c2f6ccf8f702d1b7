"""The broadcast drill: three processes, and the one sending a broadcast SIGKILLed mid-way.

A broadcast to a large audience is seeded (as ``chaos.drills`` does for the limits drill:
subscribers, the admin's message at the stand-in, a broadcast already sending with no
owner), then three ``python -m bot`` processes start on one PostgreSQL database. The
leader takes the broadcast (``storage/broadcasts.py`` ``claim_orphans``) and sends it;
once a share of the audience has it, that process is SIGKILLed. Another becomes the
leader, takes the broadcast over, puts the window that was in flight back to pending
(``recover_in_flight``) and carries on.

Everything is read at the stand-in, which enforces no limit here, so what it logged is
what the bot sent: every subscriber must get the message, the doubles must stay within
the one window the design allows (``bot/broadcasting.py``), and no one-second window may
hold more messages than ``BROADCAST_RATE`` plus the overall bucket's burst
(``bot/limits.py``), the kill and the takeover included.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from bot.limits import Rates
from chaos.drills import ADMIN_ID, UNHANDLED, _busiest_second, _seed_broadcast
from chaos.fleet import fleet_of
from standin.client import Person
from standin.limits import SENDING_METHODS
from storage.database import Database
from storage.models import Broadcast, BroadcastRecipient

#: The broadcast's own pool (``BROADCAST_CONCURRENCY``'s default).
CONCURRENCY = 8
#: The overall bucket's burst, which a broadcast send also goes through.
BURST = Rates().overall_burst
RECOVERED = re.compile(r"resuming broadcast \d+: (\d+) recipients were in flight")


def window(rate: float) -> int:
    """What one kill can double (``bot/broadcasting.py``): the recipients claimed and not
    yet recorded, at most max(concurrency, rate / 10)."""
    return max(CONCURRENCY, math.ceil(rate / 10))


async def broadcast_failover(
    postgres_url: str, audience: int, rate: float, processes: int, kill_at: float = 0.4
) -> dict[str, Any]:
    """A broadcast to ``audience`` at ``rate`` a second among ``processes`` processes; the
    sender SIGKILLed once ``kill_at`` of the audience has it."""
    first = 29_000_000
    recipients = range(first, first + audience)
    async with fleet_of("broadcast", postgres_url) as fleet:
        drill = fleet.drill
        drill.env = {
            "BROADCAST_RATE": f"{rate:g}",
            "TELEGRAM_MESSAGES_PER_SECOND": f"{rate:g}",
            "BROADCAST_CONCURRENCY": str(CONCURRENCY),
        }
        await drill.client.bulk_people(first, audience)
        message = await drill.client.send(Person(ADMIN_ID, "Admin"), "News for everyone")
        await _seed_broadcast(drill.database_url, recipients, message)
        started = time.time()
        most_claimed: list[int] = [0]
        sampling = asyncio.create_task(_sample_claimed(drill.database_url, most_claimed))
        for _ in range(processes):
            await fleet.start()
        # The sender: the process that owns the broadcast (its token carries its pid).
        deadline = time.monotonic() + 30
        while (owner := await _owner(drill.database_url)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("nobody took the broadcast within 30 s")
            await asyncio.sleep(0.05)
        sender = next(p for p in fleet.processes if f":{p.process.pid}:" in owner)
        while await _copies(drill) < kill_at * audience:
            if time.monotonic() > deadline + 600:
                raise RuntimeError("the broadcast did not get far enough")
            await asyncio.sleep(0.02)
        sender_led = fleet.leader() is sender
        killed_at = time.time()
        await fleet.kill(sender)
        done = await _wait_done(drill.database_url, deadline=time.monotonic() + 600)
        finished = time.time()
        sampling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampling
        stats = await drill.stats()
        calls = await drill.client.log(limit=1_000_000)
        new_owner = await _owner(drill.database_url)
        errors = fleet.errors()
        await fleet.stop_all()
        statuses = await _statuses(drill.database_url)
        log = drill.bot_log()
    sent = sorted(
        (float(c["time"]), int(c["params"].get("chat_id", 0)), c["method"])
        for c in calls
        if c["method"] in SENDING_METHODS and c["status"] == 200
    )
    copies = Counter(chat for _, chat, method in sent if method == "copyMessage")
    before = sum(1 for moment, _, method in sent if method == "copyMessage" and moment < killed_at)
    resumed = [m for m, _, method in sent if method == "copyMessage" and m > killed_at]
    return {
        "processes": processes,
        "audience": audience,
        "broadcast_rate": rate,
        "burst": BURST,
        "killed_after_copies": before,
        "sender_was_leader": sender_led,
        "taken_over_by_another": new_owner is not None and owner != new_owner,
        "seconds_until_sending_again": round(resumed[0] - killed_at, 3) if resumed else None,
        "broadcast_done": done,
        "seconds": round(finished - started, 1),
        "received": sum(1 for chat in recipients if copies[chat]),
        "missing": sum(1 for chat in recipients if not copies[chat]),
        "doubled": sum(copies[chat] - 1 for chat in recipients if copies[chat] > 1),
        "double_bound": window(rate),
        # the design keeps at most one window claimed and not yet recorded at any moment
        "most_claimed_at_once": most_claimed[0],
        "recovered_in_flight": sum(int(n) for n in RECOVERED.findall(log)),
        "recipient_statuses": statuses,
        "busiest_second": _busiest_second([moment for moment, _, _ in sent]),
        "answered_429": int(stats.get("rate_limited", 0)),
        "error_lines": len(errors),
        "first_error_lines": errors[:3],
        "unhandled_in_log": len(UNHANDLED.findall(log)),
    }


async def _copies(drill: Any) -> int:
    return int((await drill.stats()).get("calls_copyMessage", 0))


async def _owner(url: str) -> str | None:
    database = Database(url)
    try:
        async with database.read() as session:
            return await session.scalar(select(Broadcast.owner).where(Broadcast.owner.is_not(None)))
    finally:
        await database.dispose()


async def _sample_claimed(url: str, most: list[int]) -> None:
    """Keeps ``most[0]`` at the most recipients seen ``sending`` at once (until cancelled)."""
    database = Database(url)
    try:
        while True:
            async with database.read() as session:
                sending = await session.scalar(
                    select(func.count()).where(BroadcastRecipient.status == "sending")
                )
            most[0] = max(most[0], int(sending or 0))
            await asyncio.sleep(0.1)
    finally:
        await database.dispose()


async def _wait_done(url: str, deadline: float) -> bool:
    """Until the broadcast is marked done (False: the deadline came first)."""
    database = Database(url)
    try:
        while time.monotonic() < deadline:
            async with database.read() as session:
                status = await session.scalar(select(Broadcast.status))
            if status == "done":
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await database.dispose()


async def _statuses(url: str) -> dict[str, int]:
    """The recipients by delivery status, as the database has them after the drill."""
    database = Database(url)
    try:
        async with database.read() as session:
            rows = await session.execute(
                select(BroadcastRecipient.status, func.count()).group_by(BroadcastRecipient.status)
            )
            return {str(status): int(count) for status, count in rows}
    finally:
        await database.dispose()
