"""Webhook mode with its secret token; settings that stop start-up with one clear line."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import BotMode, ConfigurationError, Settings, load_settings
from bot.intake import SECRET_HEADER, WebhookIntake
from standin.client import Person, StandInClient, message_text
from standin.server import RunningStandIn
from tests.e2e.conftest import ROOT, TOKEN, StartBot, make_settings
from tests.e2e.helpers import say_and_wait


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_takes_updates_with_the_right_secret_only(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    settings = make_settings(
        standin,
        database_url,
        bot_mode="webhook",
        webhook_url=url,
        webhook_port=port,
        webhook_secret_token="correct-horse_battery",
    )
    running = await start_bot(settings)
    assert isinstance(running.intake, WebhookIntake)
    chat = client.conversation(Person(6001, "Web"))
    welcome = await say_and_wait(chat, "/start")
    assert message_text(welcome).endswith("Shall we begin?")
    update = {
        "update_id": 999_001,
        "message": {
            "message_id": 50,
            "date": 0,
            "chat": {"id": 6002, "type": "private", "first_name": "Sly"},
            "from": {"id": 6002, "is_bot": False, "first_name": "Sly"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: "correct-horse_batter"}):
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        assert running.intake.rejected == 3
        assert await running.services.conversations.current(6002) is None, "nothing processed"
        async with session.post(
            url, json=update, headers={SECRET_HEADER: "correct-horse_battery"}
        ) as response:
            assert response.status == 200
        async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200, "health beside the webhook"
    assert await running.services.conversations.current(6002) is not None


@pytest.mark.parametrize(
    ("environment", "line"),
    [
        ({}, "TELEGRAM_BOT_TOKEN: is not set"),
        ({"TELEGRAM_BOT_TOKEN": "hello"}, "TELEGRAM_BOT_TOKEN: does not look like a bot token"),
        (
            {"DATABASE_URL": "mysql://root@localhost/closer"},
            "DATABASE_URL: DATABASE_URL uses 'mysql'",
        ),
        ({"ADMIN_IDS": "42,abc"}, "ADMIN_IDS: 'abc' is not a Telegram user id"),
        ({"BOT_MODE": "pigeon"}, "BOT_MODE: Input should be 'polling' or 'webhook'"),
        ({"BOT_MODE": "webhook"}, "WEBHOOK_URL: webhook mode needs the URL"),
        (
            {"BOT_MODE": "webhook", "WEBHOOK_URL": "https://example.org/hook"},
            "WEBHOOK_SECRET_TOKEN: webhook mode needs a secret token",
        ),
        ({"WEBHOOK_SECRET_TOKEN": "has spaces"}, "WEBHOOK_SECRET_TOKEN: must be 1-256 characters"),
        ({"WEBHOOK_PORT": "70000"}, "WEBHOOK_PORT: Input should be less than or equal to 65535"),
        ({"REMINDER_DELAY": "soon"}, "REMINDER_DELAY: must be a duration"),
        ({"REMINDER_CHECK_INTERVAL": "0"}, "REMINDER_CHECK_INTERVAL: must be at least 1s"),
        ({"BROADCAST_PROGRESS_INTERVAL": "0.5s"}, "BROADCAST_PROGRESS_INTERVAL: must be at"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        (
            {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"},
            "TELEGRAM_API_BASE_URL: give the root",
        ),
    ],
)
def test_each_bad_setting_gives_one_clear_line(environment: dict[str, str], line: str) -> None:
    values: dict[str, Any] = {"TELEGRAM_BOT_TOKEN": TOKEN, **environment}
    if "TELEGRAM_BOT_TOKEN" in environment or not environment:
        values = dict(environment)
    with pytest.raises(ConfigurationError) as caught:
        load_settings(_env_file=None, **{k.lower(): v for k, v in values.items()})
    lines = str(caught.value).splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(line), lines[0]


def test_python_m_bot_stops_with_the_line_and_exit_code_2(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "ADMIN"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env here
        env={**environment, "PYTHONPATH": str(ROOT), "ADMIN_IDS": "x1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "Configuration error: TELEGRAM_BOT_TOKEN: is not set",
        "Configuration error: ADMIN_IDS: 'x1' is not a Telegram user id"
        " (use numbers, comma-separated)",
    ]


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", " 7, 8 ,9")
    monkeypatch.setenv("REMINDER_DELAY", "90m")
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "https://closer.example.org/tg/hook")
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", "s3cr3t")
    settings: Settings = load_settings(_env_file=None)
    assert settings.admin_ids == frozenset({7, 8, 9})
    assert settings.reminder_delay.total_seconds() == 5400
    assert settings.bot_mode is BotMode.WEBHOOK
    assert settings.webhook_path == "/tg/hook"
    assert TOKEN not in repr(settings), "the token is a secret"


async def test_the_token_never_reaches_the_log(
    standin: RunningStandIn, client: StandInClient, database_url: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env={
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": standin.url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "DEBUG",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        chat = client.conversation(Person(6101, "Log"))
        await chat.send("/start")
        await chat.wait_until(lambda c: c.keyboard_message(), 30, "the welcome")
    finally:
        process.terminate()
        output, _ = await process.communicate()
    log = output.decode()
    assert "getUpdates" in log or "HTTP" in log or "Closer is up" in log, "DEBUG logging happened"
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log


def test_a_copied_env_example_with_only_the_token_set_starts(tmp_path: Path) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    env_file = tmp_path / ".env"
    env_file.write_text(example.replace("TELEGRAM_BOT_TOKEN=\n", f"TELEGRAM_BOT_TOKEN={TOKEN}\n"))
    settings: Settings = load_settings(_env_file=env_file)
    assert settings.token == TOKEN
    assert settings.webhook_secret_token is None, "an empty line means not set"
    assert settings.bot_mode is BotMode.POLLING


def test_env_example_lists_exactly_the_settings() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert documented == {name.upper() for name in Settings.model_fields}
