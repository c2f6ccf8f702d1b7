"""End-to-end fixtures: the stand-in, and the real bot talking to it over HTTP.

The bot runs exactly as ``python -m bot`` runs it (``run_bot`` with settings), either in
this process (fast, and its internals can be inspected) or as a child process (for killing
it with SIGKILL). People are played through the stand-in's user side.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Running, run_bot
from bot.config import Settings, load_settings
from standin.client import StandInClient
from standin.server import RunningStandIn, serve

TOKEN = "300000001:" + "C" * 35
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def standin() -> AsyncIterator[RunningStandIn]:
    """A stand-in on a free loopback port."""
    running = await serve()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def client(standin: RunningStandIn) -> AsyncIterator[StandInClient]:
    """The people's side, with the bot's token registered."""
    async with StandInClient(standin.url) as people:
        await people.register_bot(TOKEN)
        yield people


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file of this test's own."""
    return f"sqlite+aiosqlite:///{tmp_path / 'closer.db'}"


@pytest.fixture
def settings(standin: RunningStandIn, database_url: str) -> Settings:
    """Settings for a bot pointed at the stand-in (reminders off unless a test turns them on)."""
    return make_settings(standin, database_url)


def make_settings(standin: RunningStandIn, database_url: str, **overrides: Any) -> Settings:
    """Settings as the environment would give them, without reading any .env file."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": standin.url,
        "database_url": database_url,
        "reminder_delay": "0",
        "reminder_check_interval": "1h",
        # These people tap faster than anyone could read: the bot's own per-chat limit
        # would only slow the tests down (tests/e2e/test_limits.py checks the limits).
        "telegram_chat_messages_per_second": 0,
        **overrides,
    }
    return load_settings(_env_file=None, **values)


class BotRunner:
    """Starts bots in this process and stops them as SIGTERM would (graceful)."""

    def __init__(self) -> None:
        self._running: dict[int, tuple[asyncio.Event, asyncio.Task[None]]] = {}

    async def __call__(self, settings: Settings) -> Running:
        stop = asyncio.Event()
        started: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(run_bot(settings, stop, started))
        waiting: set[asyncio.Future[Any]] = {task, started}
        done, _ = await asyncio.wait(waiting, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()
            raise AssertionError("the bot stopped before it was up")
        assert started in done, "the bot did not start within 30 s"
        running = started.result()
        self._running[id(running)] = (stop, task)
        return running

    async def stop(self, running: Running) -> None:
        """Sets the bot's stop event and waits for it to finish its work and exit."""
        stop, task = self._running.pop(id(running))
        stop.set()
        await asyncio.wait_for(task, 30)

    async def stop_all(self) -> None:
        """Stops every bot still running."""
        for stop, _ in self._running.values():
            stop.set()
        for _, task in self._running.values():
            await asyncio.wait_for(task, 30)
        self._running.clear()


StartBot = BotRunner


@pytest.fixture
async def start_bot(standin: RunningStandIn) -> AsyncIterator[BotRunner]:
    """Starts bots in this process; every one is stopped at the end of the test."""
    runner = BotRunner()
    yield runner
    await runner.stop_all()


@pytest.fixture
async def bot(start_bot: StartBot, settings: Settings, client: StandInClient) -> Running:
    """The bot, running in this process against the stand-in."""
    return await start_bot(settings)


class BotProcess:
    """``python -m bot`` as a child process, so a test can SIGKILL it and start it again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.log = b""

    async def start(self, client: StandInClient) -> None:
        """Starts the bot and waits until it is polling."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while (await client.stats()).get("polls_waiting", 0) < 1:
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited: {await self.stderr()}")
            assert loop.time() < deadline, "the bot did not start polling within 30 s"
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM and wait (a graceful stop)."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 30)

    async def stderr(self) -> str:
        """Everything the process wrote to stderr (once it has exited)."""
        assert self.process is not None
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode(errors="replace")


@pytest.fixture
async def bot_process(
    standin: RunningStandIn, database_url: str
) -> AsyncIterator[Callable[..., BotProcess]]:
    """Makes bot processes for this test's stand-in and database; stops them afterwards."""
    made: list[BotProcess] = []

    def make(**env: str) -> BotProcess:
        process = BotProcess(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": standin.url,
                "DATABASE_URL": database_url,
                "REMINDER_DELAY": "0",
                "LOG_LEVEL": "WARNING",
                "TELEGRAM_CHAT_MESSAGES_PER_SECOND": "0",  # as in make_settings
                **env,
            }
        )
        made.append(process)
        return process

    yield make
    for process in made:
        await process.stop()
