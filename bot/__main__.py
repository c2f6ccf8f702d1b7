"""``python -m bot``: run Closer with the settings from the environment and ``.env``."""

from __future__ import annotations

import asyncio
import sys

from bot.app import run_bot
from bot.commands import MenuError
from bot.config import ConfigurationError, load_settings
from bot.logs import configure_logging
from dialogs.content_model import ContentError
from storage.errors import StorageUnavailableError
from storage.presence import PresenceError


def main() -> int:
    """Checks the settings, then runs the bot; bad settings end it with one line each."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        for line in str(error).splitlines():
            print(f"Configuration error: {line}", file=sys.stderr)
        return 2
    secrets = [settings.token]
    if settings.webhook_secret_token is not None:
        secrets.append(settings.webhook_secret_token.get_secret_value())
    configure_logging(settings.log_level, secrets)
    try:
        asyncio.run(run_bot(settings))
    except (ContentError, MenuError) as error:
        print(f"Content error: {error}", file=sys.stderr)
        return 2
    except (StorageUnavailableError, PresenceError) as error:
        print(f"Database error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
