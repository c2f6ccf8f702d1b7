"""Files in outbox calls: stored as what to draw or write, turned into bytes when sent.

A call is stored as JSON, so a photo or a document is stored as its description: the
profile picture's bars and words, the funnel's steps, a document's name and text. The
sender's side turns the description into a file just before the call is made, the same
way every time, so a call delivered after a restart is the one that was committed.

Drawing runs outside the event loop, so nobody's reply waits for someone's picture, on one
thread of its own: each thread that allocates Pillow's image buffers keeps a malloc arena
of its own, and asyncio's default pool has up to six threads, each holding on to its arena.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from telegram import InputFile

from bot import profile_picture
from dialogs.turn import ProfilePicture

#: The key a parameter's description carries: ``{"attach": "profile", ...}``.
ATTACH = "attach"
_ARTIST = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drawing")


def profile(picture: ProfilePicture) -> dict[str, Any]:
    """A profile picture, as a call parameter."""
    return {ATTACH: "profile", "picture": asdict(picture)}


def funnel(steps: list[tuple[str, int]]) -> dict[str, Any]:
    """The statistics funnel chart (title and people who reached it, per step)."""
    return {ATTACH: "funnel", "steps": [list(step) for step in steps]}


def document(name: str, text: str) -> dict[str, Any]:
    """A text document (the person's data export)."""
    return {ATTACH: "document", "name": name, "text": text}


def needs_drawing(params: dict[str, Any]) -> bool:
    """Whether a call carries a file (to prepare it ahead of its turn)."""
    return any(isinstance(value, dict) and ATTACH in value for value in params.values())


async def resolve(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters with every described file made into one."""
    if not needs_drawing(params):
        return params
    out = dict(params)
    for name, value in params.items():
        if isinstance(value, dict) and ATTACH in value:
            out[name] = await _file(value)
    return out


def _file(description: dict[str, Any]) -> Awaitable[InputFile]:
    kind = description[ATTACH]
    if kind == "profile":
        picture = description["picture"]
        drawn = ProfilePicture(
            heading=picture["heading"],
            factors=tuple((str(title), int(filled)) for title, filled in picture["factors"]),
            cells=int(picture["cells"]),
            track=picture["track"],
            text=picture["text"],
        )
        return _input(_drawn(profile_picture.draw, drawn), "closer-profile.jpg")
    if kind == "funnel":
        from bot.statistics import funnel_chart

        steps = [(str(title), int(count)) for title, count in description["steps"]]
        return _input(_drawn(funnel_chart, steps), "funnel.png")
    if kind == "document":
        return _ready(InputFile(description["text"].encode("utf-8"), filename=description["name"]))
    raise ValueError(f"unknown attachment {kind!r}")


def _drawn(draw: Callable[[Any], bytes], what: Any) -> Awaitable[bytes]:
    return asyncio.get_running_loop().run_in_executor(_ARTIST, draw, what)


async def _input(data: Awaitable[bytes], filename: str) -> InputFile:
    return InputFile(await data, filename=filename)


async def _ready(file: InputFile) -> InputFile:
    return file
