"""One measured process of the broadcast benchmark (see ``bench/broadcast.py``).

    python -m bench.broadcast_worker seed   --database URL --count N
    python -m bench.broadcast_worker bare   --standin URL --seconds S
    python -m bench.broadcast_worker closer --standin URL --database URL --rate R --seconds S

``bare`` is the baseline: python-telegram-bot alone (on the same aiohttp transport as the
bot), copying a message to people as fast as ``--concurrency`` calls at once allow.
``closer`` runs the bot's own Broadcaster against a database of N subscribers for S
seconds (or until done). Each prints one JSON line, including its
own peak memory (VmHWM), and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import aiohttp
from sqlalchemy import insert
from telegram import Bot

from bench.echo_bot import request_for
from bot.app import broadcast_bot
from bot.broadcasting import Broadcaster
from bot.config import load_settings
from bot.limits import Limits
from bot.sender import Sender
from storage.broadcasts import BroadcastStore
from storage.columns import utc_now
from storage.database import Database
from storage.migrate import migrate
from storage.models import User

TOKEN = "100000003:" + "W" * 35
ADMIN_ID = 42
FIRST_SUBSCRIBER = 1_000_000
SEED_CHUNK = 20_000


def peak_rss_mb() -> float:
    """This process's peak resident memory, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def seed(database_url: str, count: int) -> dict[str, Any]:
    """Migrates and fills the users table with ``count`` subscribers, in chunks."""
    database = Database(database_url)
    await migrate(database)
    now = utc_now()
    for start in range(0, count, SEED_CHUNK):
        rows = [
            {
                "id": FIRST_SUBSCRIBER + n,
                "first_name": "Reader",
                "language": "en",
                "created_at": now,
                "last_seen_at": now,
                "subscribed": True,
                "blocked": False,
            }
            for n in range(start, min(count, start + SEED_CHUNK))
        ]
        async with database.write() as session:
            await session.execute(insert(User), rows)
    await database.dispose()
    return {"seeded": count}


async def source_message(standin: str) -> int:
    """The admin's message in the stand-in, which the broadcast copies."""
    async with aiohttp.ClientSession() as session:
        await session.post(f"{standin}/_standin/bots", json={"token": TOKEN})
        async with session.post(
            f"{standin}/_standin/send",
            json={"user": {"id": ADMIN_ID, "first_name": "Admin"}, "text": "A new article is out"},
        ) as reply:
            return int((await reply.json())["message_id"])


def telegram_bot(standin: str, connections: int) -> Bot:
    """A bare PTB Bot on the transport Closer ships (aiohttp), so the baseline has the same
    advantage: the ratio compares the broadcaster with a hand-written loop, not transports."""
    return Bot(TOKEN, base_url=f"{standin}/bot", request=request_for("aiohttp", connections))


def closer_sender(standin: str, rate: float, connections: int) -> Sender:
    """The sender the Closer process broadcasts through, with its broadcast Bot
    (``bot.app.broadcast_bot``) and its limits, as shipped; the overall limit is the
    broadcast rate (paid broadcasts), since nothing else is sent."""
    settings = load_settings(
        _env_file=None,  # a developer's .env must not change what is measured
        telegram_bot_token=TOKEN,
        telegram_api_base_url=standin,
        broadcast_concurrency=connections,
        broadcast_rate=rate,
        telegram_messages_per_second=rate,
    )
    bot = broadcast_bot(settings)
    return Sender(
        bot,
        Limits(settings.rates),
        broadcast_bot=bot,
        broadcast_in_flight=settings.broadcast_concurrency,
    )


async def bare(standin: str, seconds: float, people: int, concurrency: int) -> dict[str, Any]:
    """The baseline: copyMessage as fast as ``concurrency`` PTB calls at once go."""
    message_id = await source_message(standin)
    sent = 0
    async with telegram_bot(standin, concurrency) as bot:
        stop_at = time.perf_counter() + seconds
        next_chat = FIRST_SUBSCRIBER

        async def worker() -> None:
            nonlocal sent, next_chat
            while time.perf_counter() < stop_at:
                chat = next_chat
                next_chat = FIRST_SUBSCRIBER + (next_chat - FIRST_SUBSCRIBER + 1) % people
                await bot.copy_message(chat, ADMIN_ID, message_id)
                sent += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "sent": sent,
        "seconds": round(elapsed, 2),
        "rate": round(sent / elapsed, 1),
        "concurrency": concurrency,
    }


async def closer(
    standin: str, database_url: str, rate: float, seconds: float, concurrency: int
) -> dict[str, Any]:
    """The bot's Broadcaster sending one broadcast to every subscriber in the database."""
    message_id = await source_message(standin)
    database = Database(database_url)
    store = BroadcastStore(database, first_step="welcome")
    broadcast_id = await store.begin_draft(ADMIN_ID)
    await store.attach(broadcast_id, ADMIN_ID, message_id, "text")
    prepared = time.perf_counter()
    total = await store.start(broadcast_id)
    recipients_seconds = time.perf_counter() - prepared
    sender = closer_sender(standin, rate, concurrency)
    async with sender.broadcast_bot:
        broadcaster = Broadcaster(sender, store, rate=rate, concurrency=concurrency)
        started = time.perf_counter()
        task = broadcaster.launch(broadcast_id)
        try:
            await asyncio.wait_for(asyncio.shield(task), seconds)
        except TimeoutError:
            await broadcaster.close()
        progress = await task
        elapsed = time.perf_counter() - started
    await database.dispose()
    return {
        "recipients": total,
        "recipients_insert_seconds": round(recipients_seconds, 2),
        "sent": progress.sent_this_run,
        "seconds": round(elapsed, 2),
        "rate": round(progress.sent_this_run / elapsed, 1),
        "window": broadcaster.window,
        "concurrency": concurrency,
    }


def main(argv: list[str] | None = None) -> int:
    """Runs one mode and prints its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["seed", "bare", "closer"])
    parser.add_argument("--standin", default="")
    parser.add_argument("--database", default="")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    if args.mode == "seed":
        result = asyncio.run(seed(args.database, args.count))
    elif args.mode == "bare":
        result = asyncio.run(bare(args.standin, args.seconds, args.count, args.concurrency))
    else:
        result = asyncio.run(
            closer(args.standin, args.database, args.rate, args.seconds, args.concurrency)
        )
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
