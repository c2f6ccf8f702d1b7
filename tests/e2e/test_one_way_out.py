"""One way out to Telegram: every Bot API call the bot makes comes from the sender or the intake.

Checked where it cannot be argued with: every HTTP request the bot's transport makes is
traced back to the first of the bot's own modules on the call stack, while people walk the
conversation, ask for their data, erase it, send danger words, and an admin broadcasts and
asks for statistics. Only ``bot/sender.py`` (everything the bot says) and ``bot/intake.py``
(updates coming in) may be that module; python-telegram-bot's own ``getMe`` at start-up is
the one call made by the framework itself.
"""

from __future__ import annotations

import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.http import AiohttpRequest
from standin.client import Conversation, Person, StandInClient, button_labels
from standin.server import RunningStandIn
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import say_and_wait, walk_to_the_end

BOT_PACKAGE = Path(__file__).resolve().parents[2] / "bot"
#: The transport itself and the thin layer over do_api_request are how calls leave, not
#: who makes them.
PLUMBING = {"http.py", "unparsed.py"}
ALLOWED = {"sender.py", "intake.py"}
ADMIN = Person(9900, "Admin")


def _count(chat: Conversation, kind: str) -> int:
    """Messages of a kind (photo, document) the bot sent in the chat."""
    return sum(1 for message in chat.bot_messages.values() if message.get(kind))


def _caller() -> str:
    """The first module of the bot (past the plumbing) on the current stack, or PTB."""
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        if path.parent == BOT_PACKAGE and path.name not in PLUMBING:
            return path.name
    return "python-telegram-bot"


async def test_only_the_sender_and_the_intake_call_the_bot_api(
    start_bot: StartBot,
    standin: RunningStandIn,
    database_url: str,
    client: StandInClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    callers: Counter[tuple[str, str]] = Counter()
    real = AiohttpRequest.do_request

    async def traced(self: AiohttpRequest, url: str, *args: Any, **kwargs: Any) -> Any:
        callers[(url.rsplit("/", 1)[-1], _caller())] += 1
        return await real(self, url, *args, **kwargs)

    monkeypatch.setattr(AiohttpRequest, "do_request", traced)
    settings: Settings = make_settings(standin, database_url, admin_ids=str(ADMIN.id))
    await start_bot(settings)
    person = client.conversation(Person(9901, "Ana"))
    await walk_to_the_end(person)
    await person.send("/summary")
    await person.wait_until(lambda c: _count(c, "photo") == 2, 15, "the picture again")
    await person.send("/mydata")
    await person.wait_until(lambda c: _count(c, "document") == 1, 15, "the data")
    await person.send("i want to die")
    await person.wait_until(lambda c: c.keyboard_message("Not now") is not None, 15, "help")
    await person.send("/forget")
    await person.wait_until(lambda c: c.keyboard_message("No, keep it") is not None, 15, "ask")
    asked = person.keyboard_message("No, keep it")
    assert asked is not None
    await person.tap("No, keep it")
    await person.wait_until(
        lambda c: not button_labels(c.bot_messages[asked["message_id"]]), 15, "the question settled"
    )
    admin = client.conversation(ADMIN)
    await say_and_wait(admin, "/start")
    await say_and_wait(admin, "/stats", keyboard=False)
    await say_and_wait(admin, "/broadcast", keyboard=False)
    await admin.send("Hello all")
    await admin.wait_until(lambda c: c.keyboard_message("Send now") is not None, 15, "the panel")
    await admin.tap("Send now")
    await person.wait_until(
        lambda c: any(m.get("text") == "Hello all" for m in c.bot_messages.values()),
        15,
        "the broadcast",
    )
    outside = {
        (method, caller): count
        for (method, caller), count in callers.items()
        if caller not in ALLOWED and method != "getMe"
    }
    assert not outside, f"Bot API calls made outside the sender and intake: {outside}"
    methods = {method for method, _ in callers}
    expected = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "copyMessage"}
    assert expected <= methods, "the scenario made the calls it is meant to check"
    assert {"answerCallbackQuery", "setMyCommands", "getUpdates"} <= methods
