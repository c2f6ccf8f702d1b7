"""The JSON shapes of Telegram objects, built by hand for speed and checked against PTB.

Tests parse every one of these with python-telegram-bot's own ``de_json``; the shapes
follow the Bot API documentation: dates in Unix seconds, ``is_bot`` on every user,
``from`` (not ``from_user``), ``chat_instance`` on callback queries.
"""

from __future__ import annotations

import time
from typing import Any

JsonDict = dict[str, Any]


def now() -> int:
    """Telegram's clock: whole Unix seconds."""
    return int(time.time())


def user(
    user_id: int,
    first_name: str,
    *,
    is_bot: bool = False,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> JsonDict:
    """A User object."""
    shape: JsonDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        shape["last_name"] = last_name
    if username:
        shape["username"] = username
    if language_code:
        shape["language_code"] = language_code
    return shape


def bot_user(bot_id: int, first_name: str, username: str) -> JsonDict:
    """The bot's own User object, as getMe returns it."""
    shape = user(bot_id, first_name, is_bot=True, username=username)
    shape.update(
        {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    )
    return shape


def private_chat(person: JsonDict) -> JsonDict:
    """The private chat between the bot and a user (same id as the user)."""
    shape: JsonDict = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
    for key in ("last_name", "username"):
        if key in person:
            shape[key] = person[key]
    return shape


def group_chat(chat_id: int, title: str, kind: str = "group") -> JsonDict:
    """A group, supergroup or channel chat."""
    return {"id": chat_id, "type": kind, "title": title}


def photo_sizes(file_id: str, unique_id: str, size: int) -> list[JsonDict]:
    """A photo as Telegram describes it: a thumbnail and the full size."""
    return [
        {
            "file_id": f"{file_id}-s",
            "file_unique_id": f"{unique_id}s",
            "width": 90,
            "height": 67,
            "file_size": max(1, size // 20),
        },
        {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": 1280,
            "height": 960,
            "file_size": size,
        },
    ]


def message_id_object(message_id: int) -> JsonDict:
    """The MessageId object copyMessage returns."""
    return {"message_id": message_id}
