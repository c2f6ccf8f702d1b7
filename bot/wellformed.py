"""A structural check of raw updates before python-telegram-bot sees them.

python-telegram-bot parses leniently: a message without a chat becomes a ``Message`` whose
``chat`` is None, and the library's own filters then fail on it deep inside dispatch.
Telegram never sends such updates, but anyone who can reach a webhook, or a bug upstream,
can. So the fields the bot relies on are checked here, on the raw JSON, and an update that
lacks them is dropped with one warning line instead of an error and a traceback.
"""

from __future__ import annotations

from typing import Any

#: Update kinds that carry a message.
MESSAGE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post")


def problem(update: Any) -> str | None:
    """What is wrong with a raw update, or None if the bot can safely handle it."""
    if not isinstance(update, dict):
        return "not an object"
    if not _is_int(update.get("update_id")):
        return "no update_id"
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) > 1:  # Telegram sends exactly one; which would a handler believe?
        return f"more than one kind of update ({', '.join(sorted(kinds))})"
    for kind in MESSAGE_KINDS:
        if kind in update:
            return _message(update[kind], kind)
    if "callback_query" in update:
        return _callback_query(update["callback_query"])
    if "my_chat_member" in update:
        return _member_update(update["my_chat_member"])
    return None  # a kind the bot does not handle: it passes through untouched


def _message(message: Any, where: str) -> str | None:
    if not isinstance(message, dict):
        return f"{where} is not an object"
    if not _is_int(message.get("message_id")) or not _is_int(message.get("date")):
        return f"{where} has no message_id or date"
    if (chat := _chat(message.get("chat"))) is not None:
        return f"{where}.chat {chat}"
    private = message["chat"]["type"] == "private"  # there Telegram always says who wrote
    if (private or "from" in message) and (sender := _user(message.get("from"))) is not None:
        return f"{where}.from {sender}"
    for field in ("text", "caption"):
        if field in message and not isinstance(message[field], str):
            return f"{where}.{field} is not a string"
    for field in ("entities", "caption_entities"):
        if field in message and not _entities(message[field]):
            return f"{where}.{field} is not a list of entities"
    return None


def _callback_query(query: Any) -> str | None:
    if not isinstance(query, dict):
        return "callback_query is not an object"
    if not isinstance(query.get("id"), str) or not isinstance(query.get("chat_instance"), str):
        return "callback_query has no id or chat_instance"
    if (sender := _user(query.get("from"))) is not None:
        return f"callback_query.from {sender}"
    if "data" in query and not isinstance(query["data"], str):
        return "callback_query.data is not a string"
    message = query.get("message")
    if message is None:
        return None
    if not isinstance(message, dict) or not _is_int(message.get("message_id")):
        return "callback_query.message has no message_id"
    if (chat := _chat(message.get("chat"))) is not None:
        return f"callback_query.message.chat {chat}"
    if message.get("date") != 0:  # date 0 marks a message too old to show ("inaccessible")
        return _message(message, "callback_query.message")
    return None


def _member_update(update: Any) -> str | None:
    if not isinstance(update, dict):
        return "my_chat_member is not an object"
    if (chat := _chat(update.get("chat"))) is not None:
        return f"my_chat_member.chat {chat}"
    if (sender := _user(update.get("from"))) is not None:
        return f"my_chat_member.from {sender}"
    for field in ("old_chat_member", "new_chat_member"):
        member = update.get(field)
        if not isinstance(member, dict) or not isinstance(member.get("status"), str):
            return f"my_chat_member.{field} has no status"
        if (user := _user(member.get("user"))) is not None:
            return f"my_chat_member.{field}.user {user}"
    return None


def _chat(chat: Any) -> str | None:
    if not isinstance(chat, dict):
        return "is missing"
    if not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        return "has no id or type"
    return None


def _user(user: Any) -> str | None:
    if not isinstance(user, dict):
        return "is missing"
    if not _is_int(user.get("id")) or not isinstance(user.get("first_name"), str):
        return "has no id or first_name"
    if not isinstance(user.get("is_bot", False), bool):
        return "has a non-boolean is_bot"
    if not isinstance(user.get("language_code", ""), str):
        return "has a language_code that is not a string"
    return None


def _entities(entities: Any) -> bool:
    return isinstance(entities, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and _is_int(e.get("offset"))
        and _is_int(e.get("length"))
        for e in entities
    )


def _is_int(value: Any) -> bool:
    # Telegram's integers fit in 64 bits (ids up to 52 significant bits); bool is not one.
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
