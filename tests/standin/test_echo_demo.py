"""The demonstration from the README: a PTB echo bot, chatted with through the stand-in."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bench.echo_bot import DEMO_TOKEN, build_echo_application
from standin.client import Person, StandInClient
from standin.server import RunningStandIn
from standin.terminal import TerminalChat

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def echo_bot(standin: RunningStandIn) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = build_echo_application(DEMO_TOKEN, standin.bot_api_base)
    await application.initialize()
    assert application.updater is not None
    await application.updater.start_polling(timeout=1)
    await application.start()
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_the_terminal_view_shows_the_echo(
    standin: RunningStandIn,
    echo_bot: Application,  # type: ignore[type-arg]
) -> None:
    async with StandInClient(standin.url) as client:
        conversation = client.conversation(Person(5, "Tess"))
        written: list[str] = []
        view = TerminalChat(conversation, written.append, tty=False)
        follower = asyncio.create_task(view.follow())
        try:
            assert await view.handle_line("hello stand-in\n")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not any("bot > hello stand-in" in line for line in written):
                assert loop.time() < deadline, f"no echo shown: {written}"
                await asyncio.sleep(0.02)
            assert not await view.handle_line("/quit\n")
        finally:
            follower.cancel()


async def test_the_terminal_client_process_chats_with_the_echo_bot(
    standin: RunningStandIn,
    echo_bot: Application,  # type: ignore[type-arg]
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "standin.terminal",
        "--url",
        standin.url,
        "--user-id",
        "7",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(b"ping from a terminal\n")
    await process.stdin.drain()
    seen = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while b"bot > ping from a terminal" not in seen:
        assert loop.time() < deadline, f"no echo in the terminal output: {seen!r}"
        seen += await asyncio.wait_for(process.stdout.read(200), deadline - loop.time())
    process.stdin.write(b"/quit\n")
    await process.stdin.drain()
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_on_a_terminal_the_screen_is_redrawn_with_edits_in_place(
    client: StandInClient, bot: Bot
) -> None:
    person = Person(9, "Ida")
    conversation = client.conversation(person)
    await conversation.send("/start")
    await bot.get_updates(timeout=0)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
    sent = await bot.send_message(person.id, "Ready?", reply_markup=keyboard)
    screens: list[str] = []
    view = TerminalChat(conversation, screens.append, tty=True)
    view.absorb(await conversation.sync())
    view.render()
    assert screens[-1].startswith("\x1b[2J\x1b[H")
    assert "bot > Ready?" in screens[-1]
    assert "[1] Yes" in screens[-1]
    await bot.edit_message_text("Ready? ✓ Yes", chat_id=person.id, message_id=sent.message_id)
    view.absorb(await conversation.sync())
    view.render()
    assert "bot > Ready? ✓ Yes  (edited)" in screens[-1]
    assert "Ready?\n" not in screens[-1].replace("Ready? ✓", ""), "the old text is gone"
    assert "[1] Yes" not in screens[-1]
