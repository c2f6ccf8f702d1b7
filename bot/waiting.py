"""Waiting for whichever of several events is set first."""

from __future__ import annotations

import asyncio


async def first_of(*events: asyncio.Event) -> None:
    """Returns as soon as any of ``events`` is set (at once if one already is).

    Background loops wait like this for "there is work" or "we are stopping"; the waiters
    left over are cancelled, so nothing lingers in the loop."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
