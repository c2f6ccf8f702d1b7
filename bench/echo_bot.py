"""A bare python-telegram-bot echo bot: the stand-in demonstration and a benchmark baseline.

    python -m bench.echo_bot --base-url http://127.0.0.1:8081/bot --token 123:ABC...
    python -m bench.echo_bot ... --transport aiohttp --pool 4   # as the benchmark runs it

It replies to every text message with the same text. In the benchmarks it is the ceiling
of Bot API calls a second on this machine and framework, so it runs the way a competent
developer would tune it: on the same HTTP transport as Closer (``bot/http.py``), with as
many updates in hand at once as it has connections, so no call queues in the pool (a
queue there costs CPU for every waiter). It still parses each reply into a ``Message``,
as PTB's typed methods do; Closer skips that (``bot/unparsed.py``), and BENCHMARKS.md says
so beside the figures.
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, HTTPXRequest

from bot.http import AiohttpRequest

DEMO_TOKEN = "100000001:" + "E" * 35
TRANSPORTS = ("httpx", "aiohttp")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies with the same text."""
    if update.effective_message is not None and update.effective_message.text is not None:
        await update.effective_message.reply_text(update.effective_message.text)


def request_for(transport: str, pool: int) -> BaseRequest:
    """PTB's default HTTPX transport, or the aiohttp one Closer ships, with ``pool`` connections."""
    if transport == "aiohttp":
        return AiohttpRequest(connection_pool_size=pool, pool_timeout=10)
    return HTTPXRequest(connection_pool_size=pool, pool_timeout=10)


def build_echo_application(
    token: str,
    base_url: str,
    *,
    pool: int = 8,
    concurrency: int | None = None,
    transport: str = "httpx",
) -> Application:  # type: ignore[type-arg]
    """The echo bot, pointed at a Bot API server (``base_url`` ends in ``/bot``).

    ``concurrency``: updates handled at once (the pool size when not given)."""
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(concurrency or pool)
        .request(request_for(transport, pool))
        .get_updates_request(request_for(transport, 1))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def main(argv: list[str] | None = None) -> int:
    """Runs the echo bot with long polling until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8081/bot")
    parser.add_argument("--token", default=DEMO_TOKEN)
    parser.add_argument("--pool", type=int, default=8, help="HTTP connections to the Bot API")
    parser.add_argument("--concurrency", type=int, default=None, help="updates at once (pool)")
    parser.add_argument("--transport", choices=TRANSPORTS, default="httpx")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    application = build_echo_application(
        args.token,
        args.base_url,
        pool=args.pool,
        concurrency=args.concurrency,
        transport=args.transport,
    )
    application.run_polling(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
