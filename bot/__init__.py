"""The Telegram bot: handlers, wiring, and the service joining engine and storage."""

import os

# Opt in now to python-telegram-bot's coming behaviour (durations as timedelta, e.g.
# RetryAfter.retry_after); the code accepts both forms, and this silences the deprecation.
os.environ.setdefault("PTB_TIMEDELTA", "1")
