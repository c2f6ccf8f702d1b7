"""Data rights: a user can take everything we store about them, or have it all erased."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.conversation import ConversationService
from dialogs.engine import DialogueEngine
from dialogs.events import Begin, Say
from storage.columns import utc_now
from storage.database import Database
from storage.maintenance import prune_processed_updates
from storage.models import Answer, ConversationSession, ProcessedUpdate, User
from storage.records import UserProfile
from storage.users import UserStore
from tests.storage.conftest import conversation_store

SAM = UserProfile(id=31, first_name="Sam", language="de")
ALEX = UserProfile(id=32, first_name="Alex")


async def _talk(database: Database, engine: DialogueEngine, user: UserProfile) -> None:
    service = ConversationService(engine, conversation_store(database))
    for event in (Begin(), Say("yes"), Say("2"), Say("restart"), Say("yes"), Say("1")):
        await service.apply(user, event)


async def test_export_holds_every_conversation_and_answer_as_json(
    database: Database, engine: DialogueEngine
) -> None:
    await _talk(database, engine, SAM)
    exported = await UserStore(database).export(SAM.id)
    assert exported is not None
    assert json.loads(json.dumps(exported)) == exported, "plain JSON all the way down"
    assert exported["user"]["telegram_id"] == SAM.id
    assert exported["user"]["first_name"] == "Sam"
    conversations = exported["conversations"]
    assert [c["current"] for c in conversations] == [False, True]
    assert {a["step"]: a["option"] for a in conversations[0]["answers"]} == {
        "welcome": "begin",
        "stage": "building",
    }
    assert {a["step"]: a["option"] for a in conversations[1]["answers"]} == {
        "welcome": "begin",
        "stage": "early",
    }
    assert conversations[1]["snapshot"]["state"] == "pattern"
    assert await UserStore(database).export(999) is None


async def test_delete_erases_everything_about_one_user_and_nothing_else(
    database: Database, engine: DialogueEngine
) -> None:
    await _talk(database, engine, SAM)
    await _talk(database, engine, ALEX)
    users = UserStore(database)
    assert await users.delete(SAM.id) is True
    assert await users.export(SAM.id) is None
    async with database.read() as session:
        owners = set((await session.scalars(select(ConversationSession.user_id).distinct())).all())
        answers = await session.scalar(select(func.count()).select_from(Answer))
        people = set((await session.scalars(select(User.id))).all())
    assert owners == {ALEX.id}
    assert people == {ALEX.id}
    assert answers == 4, "Alex's answers are untouched"
    assert await users.delete(SAM.id) is False


async def test_subscription_and_blocking_flags(database: Database, engine: DialogueEngine) -> None:
    await _talk(database, engine, SAM)
    users = UserStore(database)
    await users.set_subscribed(SAM, False)
    await users.set_blocked(SAM.id, True)
    async with database.read() as session:
        user = await session.get(User, SAM.id)
        assert user is not None
        assert (user.subscribed, user.blocked) == (False, True)
        assert user.blocked_at is not None
    # Writing to the bot again means they unblocked it; the opt-out stays as they chose.
    await ConversationService(engine, conversation_store(database)).apply(SAM, Say("help"))
    async with database.read() as session:
        user = await session.get(User, SAM.id)
        assert user is not None
        assert (user.subscribed, user.blocked) == (False, False)
    newcomer = UserProfile(id=12345, first_name="New")
    await users.set_subscribed(newcomer, False)  # /stop before /start: remembered
    await ConversationService(engine, conversation_store(database)).apply(newcomer, Say("hi"))
    async with database.read() as session:
        remembered = await session.get(User, newcomer.id)
        assert remembered is not None
        assert remembered.subscribed is False


async def test_processed_update_ids_are_not_personal_and_survive_erasure(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    await service.apply(SAM, Begin(), update_id=500)
    await UserStore(database).delete(SAM.id)
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
    assert await service.apply(SAM, Begin(), update_id=500) is None, "still applied once"


async def test_old_processed_update_ids_are_pruned(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    await service.apply(SAM, Begin(), update_id=1)
    await service.apply(SAM, Say("yes"), update_id=2)
    assert await prune_processed_updates(database, now=utc_now()) == 0
    assert await prune_processed_updates(database, now=utc_now() + timedelta(days=8)) == 2
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
