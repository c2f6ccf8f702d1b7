"""A conversation written by one process is read back exactly by a fresh one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.storage.conftest import Target

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import asyncio, json, sys
from bot.conversation import ConversationService
from dialogs import default_engine
from dialogs.events import Begin, Say, Act
from dialogs.content_model import Action
from storage.database import Database
from storage.migrate import migrate
from storage.records import UserProfile
from tests.storage.conftest import conversation_store

async def main():
    database = Database(sys.argv[1], schema=sys.argv[2] or None)
    await migrate(database)
    service = ConversationService(default_engine(), conversation_store(database))
    user = UserProfile(id=4242, first_name="Kim")
    turn = None
    for event in [Begin(), Say("yes"), Say("3"), Say("1"), Act(Action.BACK), Say("2"),
                  Say("3"), Say("1"), Act(Action.SKIP), Act(Action.PAUSE)]:
        turn = await service.apply(user, event)
    print(turn.snapshot.to_json())
    await database.dispose()

asyncio.run(main())
"""

READER = """
import asyncio, json, sys
from storage.database import Database
from storage.users import UserStore
from tests.storage.conftest import conversation_store

async def main():
    database = Database(sys.argv[1], schema=sys.argv[2] or None)
    stored = await conversation_store(database).load(4242)
    exported = await UserStore(database).export(4242)
    answers = {a["step"]: a["option"] for a in exported["conversations"][-1]["answers"]}
    print(json.dumps({"snapshot": stored.snapshot, "answers": answers}))
    await database.dispose()

asyncio.run(main())
"""


def _run(script: str, target: Target) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, target.url, target.schema or ""],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_fresh_process_reads_back_snapshot_answers_and_history(target: Target) -> None:
    written = json.loads(_run(WRITER, target))
    read = json.loads(_run(READER, target))
    assert read["snapshot"] == written
    assert written["state"] == "vulnerability_talk"
    assert written["history"] == [
        "welcome",
        "stage",
        "pattern",
        "duration",
        "independence_space",
        "independence_words",
    ]
    assert written["paused"] is True
    assert (
        read["answers"]
        == written["answers"]
        == {
            "welcome": "begin",
            "stage": "established",
            "pattern": "closed_off",
            "duration": "longer",
            "independence_space": "warmer",
        }
    )
