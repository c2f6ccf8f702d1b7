"""Bot API calls whose results the bot never reads, without turning them into PTB objects.

python-telegram-bot builds a full ``Message`` (with its chat, sender and keyboard) from
every send and edit; under load that parsing cost more CPU than the call itself
(BENCHMARKS.md), and the bot discards the object. ``Bot.do_api_request`` is PTB's public
way to call a method and get the plain JSON result; errors are raised exactly as by the
typed methods. Methods are called by their documented names (``getUpdates``, not
``getupdates``): the Bot API ignores case, but logs, proxies and tools that match on
method names do not.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Bot
from telegram.warnings import PTBUserWarning

# PTB suggests its typed method whenever ``do_api_request`` is given a name it knows; here
# that is the point (the typed method would parse the result), so that one warning goes.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.\w+' instead of 'Bot\.do_api_request",
    category=PTBUserWarning,
)


async def call(bot: Bot, method: str, *, read_timeout: float | None = None, **params: Any) -> Any:
    """Calls ``method`` with the given parameters (None ones left out); returns raw JSON."""
    api_kwargs = {name: value for name, value in params.items() if value is not None}
    if read_timeout is not None:
        return await bot.do_api_request(method, api_kwargs=api_kwargs, read_timeout=read_timeout)
    return await bot.do_api_request(method, api_kwargs=api_kwargs)
