"""The command menu Telegram shows, built from the content's descriptions."""

from __future__ import annotations

from telegram import BotCommand

from bot.sender import Sender
from dialogs.content_model import Content

#: The order commands appear in the menu: the dialogue first, then data and settings.
MENU_ORDER = (
    "start",
    "sos",
    "resume",
    "back",
    "skip",
    "more",
    "pause",
    "progress",
    "summary",
    "restart",
    "help",
    "privacy",
    "language",
    "mydata",
    "forget",
    "stop",
    "subscribe",
)


class MenuError(ValueError):
    """The content's command descriptions do not match the commands the bot answers."""


def menu(content: Content, handled: frozenset[str]) -> list[BotCommand]:
    """The menu for everyone; fails if a handled command has no description, or vice versa."""
    described = set(content.commands)
    if described != handled:
        missing = ", ".join(sorted(handled - described)) or "none"
        extra = ", ".join(sorted(described - handled)) or "none"
        raise MenuError(
            f"content 'commands' must describe exactly the bot's commands "
            f"(missing: {missing}; not handled: {extra})"
        )
    ordered = sorted(
        handled, key=lambda c: MENU_ORDER.index(c) if c in MENU_ORDER else len(MENU_ORDER)
    )
    return [BotCommand(command, content.commands[command]) for command in ordered]


async def publish_menu(
    sender: Sender, commands: list[BotCommand], language_code: str | None = None
) -> None:
    """Shows the menu in every private chat: for people whose Telegram is in
    ``language_code``, or (None) for everyone else."""
    params: dict[str, object] = {
        "commands": [command.to_dict() for command in commands],
        "scope": {"type": "all_private_chats"},
    }
    if language_code is not None:
        params["language_code"] = language_code
    await sender.call("setMyCommands", params)
