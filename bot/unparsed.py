"""Bot API calls whose results the bot never reads, without turning them into PTB objects.

python-telegram-bot builds a full ``Message`` (with its chat, sender and keyboard) from
every send and edit; under load that parsing cost more CPU than the call itself
(BENCHMARKS.md), and the bot discards the object. ``Bot.do_api_request`` is PTB's public
way to call a method and get the plain JSON result; errors are raised exactly as by the
typed methods. The method name is passed in lower case: the Bot API ignores case, and PTB
only suggests its typed method when it recognises the name.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot


async def call(bot: Bot, method: str, *, read_timeout: float | None = None, **params: Any) -> Any:
    """Calls ``method`` with the given parameters (None ones left out); returns raw JSON."""
    api_kwargs = {name: value for name, value in params.items() if value is not None}
    if read_timeout is not None:
        return await bot.do_api_request(
            method.lower(), api_kwargs=api_kwargs, read_timeout=read_timeout
        )
    return await bot.do_api_request(method.lower(), api_kwargs=api_kwargs)
