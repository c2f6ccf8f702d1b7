"""Run a bot against a fresh stand-in and chat with it here: what ``make run`` does
when no Telegram token is configured.

    python -m standin.localrun -- python -m bot

The stand-in serves on a free loopback port; the bot command runs as a child process with
``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_API_BASE_URL`` pointing at it (its log goes to
``data/local-bot.log``); this terminal becomes the chat. Leaving the chat (/quit or
Ctrl-D) stops the bot and the stand-in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

from standin.client import Person
from standin.server import StandIn, serve
from standin.terminal import chat

DEMO_TOKEN = "7000000001:" + "L" * 35
LOG_FILE = Path("data/local-bot.log")


async def run(command: list[str], person: Person, token: str) -> int:
    """Serves, starts the bot, chats, and cleans up; returns the exit status."""
    running = await serve()
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": running.url}
    log = await asyncio.to_thread(LOG_FILE.open, "ab")
    with log:
        bot = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
    try:
        if not await _bot_connected(running.standin, bot):
            print(f"The bot did not start; the end of {LOG_FILE}:", file=sys.stderr)
            print(_tail(LOG_FILE), file=sys.stderr)
            return 1
        print(f"Chatting with the bot through a local Bot API stand-in at {running.url}.")
        print(f"The bot's log is in {LOG_FILE}.")
        await chat(running.url, person)
        return 0
    finally:
        if bot.returncode is None:
            bot.terminate()
            try:
                await asyncio.wait_for(bot.wait(), 15)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        await running.stop()


async def _bot_connected(standin: StandIn, bot: asyncio.subprocess.Process) -> bool:
    """Waits (up to 60 s) until the bot is polling, or has failed."""
    deadline = time.monotonic() + 60
    world = standin.world
    while time.monotonic() < deadline:
        if bot.returncode is not None:
            return False
        if any(b.polls_waiting or b.webhook for b in world.bots.values()):
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bot.wait(), 0.1)
    return False


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    """Command line: options, then ``--`` and the bot command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user-id", type=int, default=1)
    parser.add_argument("--name", default="You")
    parser.add_argument(
        "--language",
        default="en",
        help="your Telegram language (ru, es, en...): the bot talks to you in it",
    )
    parser.add_argument("--token", default=DEMO_TOKEN)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the bot command, after --")
    args = parser.parse_args(argv)
    command = [part for part in args.command if part != "--"] or [sys.executable, "-m", "bot"]
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(
            run(command, Person(args.user_id, args.name, language_code=args.language), args.token)
        )
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
