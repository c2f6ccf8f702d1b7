"""A bare python-telegram-bot echo bot: the stand-in demonstration and a benchmark baseline.

    python -m bench.echo_bot --base-url http://127.0.0.1:8081/bot --token 123:ABC...

It replies to every text message with the same text, processing updates concurrently, so
in the benchmarks it measures the most Bot API calls per second this machine and
python-telegram-bot allow when there is nothing else to do.
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

DEMO_TOKEN = "100000001:" + "E" * 35


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies with the same text."""
    if update.effective_message is not None and update.effective_message.text is not None:
        await update.effective_message.reply_text(update.effective_message.text)


def build_echo_application(
    token: str, base_url: str, concurrent: bool = True, pool: int = 8
) -> Application:  # type: ignore[type-arg]
    """The echo bot, pointed at a Bot API server (``base_url`` ends in ``/bot``)."""
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .concurrent_updates(concurrent)
        .connection_pool_size(pool)
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    build_echo_application(args.token, args.base_url, pool=args.pool).run_polling(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
