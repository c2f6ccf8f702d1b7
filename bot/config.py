"""The bot's settings, from the environment and ``.env``, checked before anything starts.

Every setting is documented in ``.env.example``. A missing or malformed one stops start-up
with one line that names it and says what is expected; the token is a ``SecretStr`` and
never printed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.limits import Rates
from storage.database import DEFAULT_DATABASE_URL, parse_database_url

TELEGRAM_API = "https://api.telegram.org"
TOKEN_PATTERN = re.compile(r"^\d{1,15}:[A-Za-z0-9_-]{30,64}$")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class BotMode(StrEnum):
    """How updates reach the bot."""

    POLLING = "polling"
    WEBHOOK = "webhook"


class Settings(BaseSettings):
    """Everything an operator sets; see .env.example for each one's meaning."""

    # env_ignore_empty: ``NAME=`` (as .env.example has it) means "not set", so a copied
    # .env with the optional settings left blank starts with their defaults.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr
    telegram_api_base_url: str = TELEGRAM_API
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    bot_mode: BotMode = BotMode.POLLING
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    #: Polling mode: a port for GET /healthz and /metrics (0: none). A webhook serves them
    #: beside the webhook itself.
    health_port: int = Field(default=0, ge=0, le=65535)
    health_listen: str = "127.0.0.1"
    log_level: str = "INFO"
    reminder_delay: Annotated[timedelta, NoDecode] = timedelta(hours=24)
    checkin_delay: Annotated[timedelta, NoDecode] = timedelta(days=7)
    reminder_check_interval: Annotated[timedelta, NoDecode] = timedelta(minutes=1)
    broadcast_rate: float = Field(default=30.0, gt=0, le=10_000)
    telegram_messages_per_second: float = Field(default=30.0, ge=0, le=10_000)
    telegram_chat_messages_per_second: float = Field(default=1.0, ge=0, le=1_000)
    telegram_chat_burst: int = Field(default=6, ge=1, le=100)
    telegram_group_messages_per_minute: float = Field(default=20.0, ge=0, le=10_000)
    broadcast_concurrency: int = Field(default=8, ge=1, le=256)
    telegram_pool_size: int = Field(default=16, ge=1, le=256)
    broadcast_progress_interval: Annotated[timedelta, NoDecode] = timedelta(seconds=3)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then 30+ letters)")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        if value.rstrip("/").endswith("/bot"):
            raise ValueError("give the root (e.g. http://127.0.0.1:8081), without /bot")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        parse_database_url(value)  # raises ValueError with the reason
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> frozenset[int]:
        if isinstance(value, (set, frozenset, list, tuple)):
            return frozenset(int(v) for v in value)
        ids = set()
        for part in str(value or "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(
                    f"{part!r} is not a Telegram user id (use numbers, comma-separated)"
                )
            ids.add(int(part))
        return frozenset(ids)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator(
        "reminder_delay",
        "checkin_delay",
        "reminder_check_interval",
        "broadcast_progress_interval",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError("must be a duration such as 90s, 30m, 24h or 2d")
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])

    @field_validator("reminder_check_interval", "broadcast_progress_interval", "checkin_delay")
    @classmethod
    def _interval(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 1:
            raise ValueError("must be at least 1s (it is how often a loop runs)")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_PATTERN.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> Settings:
        if self.bot_mode is BotMode.WEBHOOK:
            if not self.webhook_url or not re.match(r"^https?://", self.webhook_url):
                raise ValueError(
                    "WEBHOOK_URL: webhook mode needs the URL Telegram posts updates to"
                )
            if self.webhook_secret_token is None:
                raise ValueError("WEBHOOK_SECRET_TOKEN: webhook mode needs a secret token")
        return self

    @model_validator(mode="after")
    def _broadcasts_within_the_limit(self) -> Settings:
        overall = self.telegram_messages_per_second
        if overall and self.broadcast_rate > overall:
            raise ValueError(
                f"BROADCAST_RATE: {self.broadcast_rate:g} a second is over "
                f"TELEGRAM_MESSAGES_PER_SECOND ({overall:g}); broadcasts share that budget"
            )
        return self

    @property
    def rates(self) -> Rates:
        """Telegram's limits as the sender holds them (``bot/limits.py``)."""
        return Rates(
            overall=self.telegram_messages_per_second,
            per_chat=self.telegram_chat_messages_per_second,
            chat_burst=float(self.telegram_chat_burst),
            per_group_minute=self.telegram_group_messages_per_minute,
            broadcast=self.broadcast_rate,
        )

    @property
    def token(self) -> str:
        """The bot token (keep it out of logs)."""
        return self.telegram_bot_token.get_secret_value()

    @property
    def webhook_path(self) -> str:
        """The path part of WEBHOOK_URL, where the bot listens for updates."""
        assert self.webhook_url is not None
        match = re.match(r"^https?://[^/]+(/.*)?$", self.webhook_url)
        return (match.group(1) if match and match.group(1) else "/") or "/"


class ConfigurationError(ValueError):
    """Settings that cannot start the bot; ``str()`` is one line per problem."""


def load_settings(**overrides: Any) -> Settings:
    """Reads and checks the settings; raises ConfigurationError naming each bad one."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigurationError(describe(error)) from None


def describe(error: ValidationError) -> str:
    """One line per bad setting, named as the operator sets it (upper case)."""
    lines = []
    for detail in error.errors():
        name = str(detail["loc"][0]).upper() if detail["loc"] else ""
        message = str(detail["msg"]).removeprefix("Value error, ")
        if detail["type"] == "missing":
            message = "is not set"
        if name:
            lines.append(f"{name}: {message}")
        else:
            lines.append(message)
    return "\n".join(lines)
