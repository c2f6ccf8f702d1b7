"""``python -m standin``: serve the stand-in Bot API on loopback.

python -m standin --port 8081              # serve until interrupted
python -m standin.terminal --user-id 1     # chat with whatever bot connects to it
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from standin.server import StandIn, serve


async def run(host: str, port: int, bot_username: str, ready_file: str | None) -> None:
    """Serves until SIGINT or SIGTERM."""
    running = await serve(host, port, StandIn(bot_username=bot_username))
    logging.getLogger("standin").info("stand-in Bot API on %s", running.url)
    if ready_file:
        await asyncio.to_thread(Path(ready_file).write_text, running.url, "utf-8")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> int:
    """Command line for the stand-in server."""
    parser = argparse.ArgumentParser(description="A local stand-in for the Telegram Bot API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bot-username", default="closer_bot")
    parser.add_argument("--ready-file", help="write the URL here once serving")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    asyncio.run(run(args.host, args.port, args.bot_username, args.ready_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
