"""One transaction per event: answers, snapshots and update ids, all or nothing, in order."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.conversation import ConversationService
from dialogs.content_model import Action
from dialogs.engine import DialogueEngine
from dialogs.events import Act, Begin, Choose, Say
from dialogs.snapshot import Snapshot
from storage.batches import BatchWriter
from storage.database import Database
from storage.models import Answer, ConversationSession, OutboxCall, ProcessedUpdate, User
from storage.outbox import Delivered, OutboxStore, Queued
from storage.presence import Presence
from storage.records import Call, ConversationUpdate, Decision, StoredConversation, UserProfile
from tests.storage.conftest import Target, applied, conversation_store

SAM = UserProfile(id=1001, first_name="Sam", language="en")


async def _count(database: Database, model: type[Any]) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _answers(database: Database, user_id: int) -> dict[str, str]:
    async with database.read() as session:
        rows = await session.execute(
            select(Answer.step, Answer.option)
            .join(ConversationSession, ConversationSession.id == Answer.session_id)
            .where(ConversationSession.user_id == user_id, ConversationSession.is_current)
        )
        return dict(rows.all())


def _counter_update(value: int) -> ConversationUpdate:
    snapshot = {"state": "welcome", "content_version": "t", "counter": value}
    return ConversationUpdate(
        snapshot=snapshot, content_version="t", step="welcome", finished=False
    )


def _increment(stored: StoredConversation | None) -> Decision[int]:
    """A decide-function that reads a counter and writes it back plus one."""
    current = int(stored.snapshot["counter"]) if stored else 0
    return Decision(_counter_update(current + 1), current)


async def test_an_event_stores_user_session_answer_and_update_id(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    await service.apply(SAM, Begin(), update_id=1)
    turn = await service.apply(SAM, Choose("begin", 1), update_id=2)
    assert turn is not None
    turn = await service.apply(SAM, Say("more than 2 years"), update_id=3)
    assert turn is not None
    assert await _answers(database, SAM.id) == {"welcome": "begin", "stage": "established"}
    assert await _count(database, ProcessedUpdate) == 3
    stored = await service.current(SAM.id)
    assert stored == turn.snapshot
    async with database.read() as session:
        user = await session.get(User, SAM.id)
        assert user is not None
        assert (user.first_name, user.language, user.subscribed) == ("Sam", "en", True)


async def test_a_duplicate_update_is_applied_once(database: Database) -> None:
    store = conversation_store(database)
    calls = []

    def decide(stored: StoredConversation | None) -> Decision[int]:
        calls.append(stored)
        return _increment(stored)

    assert await applied(store, SAM, 77, decide) == 0
    assert await applied(store, SAM, 77, decide) is None
    assert len(calls) == 1
    stored = await store.load(SAM.id)
    assert stored is not None
    assert stored.snapshot["counter"] == 1


async def test_a_failed_decision_leaves_no_partial_rows(database: Database) -> None:
    store = conversation_store(database)

    def explode(_stored: StoredConversation | None) -> Decision[int]:
        raise RuntimeError("engine bug")

    with pytest.raises(RuntimeError, match="engine bug"):
        await applied(store, SAM, 5, explode)
    for model in (User, ConversationSession, Answer, ProcessedUpdate):
        assert await _count(database, model) == 0, model.__tablename__
    assert await applied(store, SAM, 5, _increment) == 0, "the update id was not burnt"


async def test_a_failed_write_rolls_back_the_update_id_and_the_snapshot(
    database: Database,
) -> None:
    store = conversation_store(database)
    await applied(store, SAM, 1, _increment)

    def bad_write(stored: StoredConversation | None) -> Decision[int]:
        broken = dataclasses.replace(_counter_update(99), step=None)  # type: ignore[arg-type]
        return Decision(broken, 0)

    with pytest.raises(Exception, match=r"(?i)null"):
        await applied(store, SAM, 2, bad_write)
    stored = await store.load(SAM.id)
    assert stored is not None
    assert stored.snapshot["counter"] == 1
    assert await _count(database, ProcessedUpdate) == 1


async def test_concurrent_events_of_one_user_never_interleave(database: Database) -> None:
    store = conversation_store(database)
    seen = await asyncio.gather(*(applied(store, SAM, n, _increment) for n in range(40)))
    assert seen == list(range(40)), "applied one at a time, in arrival order"
    stored = await store.load(SAM.id)
    assert stored is not None
    assert stored.snapshot["counter"] == 40


async def test_two_processes_writing_one_user_are_serialised_by_the_database(
    target: Target, database: Database
) -> None:
    """Two stores with separate engines share no in-process lock, as two processes would."""
    other = target.open()
    try:
        stores = [conversation_store(database), conversation_store(other)]
        await asyncio.gather(*(applied(stores[n % 2], SAM, n, _increment) for n in range(40)))
        stored = await stores[0].load(SAM.id)
        assert stored is not None
        assert stored.snapshot["counter"] == 40, "no lost update"
    finally:
        await other.dispose()


async def test_events_of_different_users_run_in_parallel(
    target: Target, database: Database
) -> None:
    if target.backend == "sqlite":
        pytest.skip("SQLite has a single writer: different users' events take turns to commit")
    store = conversation_store(database)
    await applied(store, SAM, None, _increment)
    holder = target.open()
    try:
        async with holder.write() as session:
            # Another process is in the middle of one of Sam's events: it holds his row.
            await session.execute(select(User).where(User.id == SAM.id).with_for_update())
            sam = asyncio.create_task(applied(store, SAM, None, _increment))
            await _until(lambda: SAM.id in store.users_in_flight)
            alex = UserProfile(id=2002, first_name="Alex")
            assert await asyncio.wait_for(applied(store, alex, None, _increment), 5) == 0
            assert not sam.done(), "Sam's event waits for the row"
        assert await asyncio.wait_for(sam, 5) == 1
    finally:
        await holder.dispose()


async def _until(condition: Callable[[], bool], deadline: float = 5.0) -> None:
    """Polls until the condition holds, failing after the deadline (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while not condition():
        assert loop.time() < give_up, "condition not reached before the deadline"
        await asyncio.sleep(0.01)


async def test_skip_removes_the_answer_row_and_a_new_answer_replaces_it(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    await service.apply(SAM, Begin())
    await service.apply(SAM, Say("yes"))
    await service.apply(SAM, Say("less than 6 months"))
    assert (await _answers(database, SAM.id))["stage"] == "early"
    await service.apply(SAM, Act(Action.BACK))
    await service.apply(SAM, Say("more than 2 years"))
    assert (await _answers(database, SAM.id))["stage"] == "established"
    await service.apply(SAM, Act(Action.BACK))
    await service.apply(SAM, Act(Action.SKIP))
    assert "stage" not in await _answers(database, SAM.id)


async def test_restart_keeps_the_old_session_and_starts_a_new_current_one(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    await service.apply(SAM, Begin())
    await service.apply(SAM, Say("yes"))
    await service.apply(SAM, Say("1"))
    await service.apply(SAM, Act(Action.RESTART))
    async with database.read() as session:
        rows = (
            await session.execute(
                select(ConversationSession.is_current, ConversationSession.step).order_by(
                    ConversationSession.id
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [(False, "pattern"), (True, "welcome")]
    assert await _answers(database, SAM.id) == {}


async def test_finishing_records_completion_track_and_top_factor(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    turn = await service.apply(SAM, Begin())
    for _ in range(40):
        assert turn is not None
        state = engine.step(turn.snapshot.state)
        if state.kind.value == "end":
            break
        option = state.options[0]
        turn = await service.apply(SAM, Choose(option.id, turn.snapshot.seq))
    async with database.read() as session:
        row = (await session.execute(select(ConversationSession))).scalar_one()
    assert row.completed_at is not None
    assert row.track == "steady"
    assert row.top_factor == "independence"
    assert row.step == "done"


async def test_a_stale_button_stores_nothing_but_the_update_id(
    database: Database, engine: DialogueEngine
) -> None:
    service = ConversationService(engine, conversation_store(database))
    first = await service.apply(SAM, Begin(), update_id=1)
    assert first is not None
    await service.apply(SAM, Choose("begin", first.snapshot.seq), update_id=2)
    before = await service.current(SAM.id)
    stale = await service.apply(SAM, Choose("begin", first.snapshot.seq), update_id=3)
    assert stale is not None
    assert stale.outcome.value == "stale"
    assert await service.current(SAM.id) == before
    assert await _count(database, ProcessedUpdate) == 3


async def test_a_stored_snapshot_at_a_retired_step_resumes_at_the_nearest_one(
    database: Database, engine: DialogueEngine, caplog: pytest.LogCaptureFixture
) -> None:
    store = conversation_store(database)
    old = Snapshot(
        state="a_question_we_removed",
        answers={"welcome": "begin", "stage": "early"},
        history=("welcome", "stage"),
        seq=4,
        content_version="2025-01-01.1",
    )
    update = ConversationUpdate(
        snapshot=old.to_dict(), content_version=old.content_version, step=old.state, finished=False
    )
    await applied(store, SAM, None, lambda _stored: Decision(update, None))
    service = ConversationService(engine, store)
    turn = await service.apply(SAM, Begin())
    assert turn is not None
    assert "You were on step 2 of 9" in turn.messages[0].text
    assert turn.snapshot.state == "stage"
    assert turn.snapshot.answers == old.answers
    assert "a_question_we_removed" in caplog.text


async def test_an_unreadable_stored_snapshot_starts_afresh_and_keeps_the_old_row(
    database: Database, engine: DialogueEngine
) -> None:
    store = conversation_store(database)
    junk = ConversationUpdate(
        snapshot={"nonsense": True}, content_version="x", step="x", finished=False
    )
    await applied(store, SAM, None, lambda _stored: Decision(junk, None))
    turn = await ConversationService(engine, store).apply(SAM, Begin())
    assert turn is not None
    assert turn.snapshot.state == "welcome"
    assert await _count(database, ConversationSession) == 2


def _saying(text: str) -> Callable[[StoredConversation | None], Decision[int]]:
    """A decide-function that moves the counter on and says ``text`` to the person."""

    def decide(stored: StoredConversation | None) -> Decision[int]:
        decision = _increment(stored)
        call = Call(SAM.id, "sendMessage", {"chat_id": SAM.id, "text": text})
        return Decision(decision.update, decision.result, (call,))

    return decide


async def _outbox(database: Database) -> list[tuple[int, str]]:
    async with database.read() as session:
        rows = await session.execute(
            select(OutboxCall.chat_id, OutboxCall.params).order_by(OutboxCall.id)
        )
        return [(chat, params["text"]) for chat, params in rows]


async def test_a_turns_calls_commit_with_it_and_are_handed_over_at_once(
    database: Database,
) -> None:
    store = conversation_store(database)
    handed: list[Queued] = []
    store.turns.outbox.listener = handed.extend
    result = await store.apply(SAM, 1, _saying("first"))
    assert result is not None
    assert [row.call.params["text"] for row in result.rows] == ["first"]
    assert handed == list(result.rows), "the sender has them as soon as they are committed"
    assert await _outbox(database) == [(SAM.id, "first")], "and they are the record"


async def test_a_failed_turn_leaves_no_calls_behind(database: Database) -> None:
    store = conversation_store(database)

    def fails(stored: StoredConversation | None) -> Decision[int]:
        decision = _saying("never")(stored)
        return Decision(dataclasses.replace(_counter_update(1), step=None), 0, decision.calls)  # type: ignore[arg-type]

    with pytest.raises(Exception, match=r"(?i)null"):
        await store.apply(SAM, 1, fails)
    assert await _outbox(database) == []


async def test_a_stale_event_changes_nothing_but_still_says_so(database: Database) -> None:
    store = conversation_store(database)
    await applied(store, SAM, 1, _increment)

    def stale(stored: StoredConversation | None) -> Decision[int]:
        note = Call(SAM.id, "answerCallbackQuery", {"callback_query_id": "q", "text": "old"})
        return Decision(None, 0, (note,))

    result = await store.apply(SAM, 2, stale)
    assert result is not None
    assert [row.call.method for row in result.rows] == ["answerCallbackQuery"]
    stored = await store.load(SAM.id)
    assert stored is not None
    assert stored.snapshot["counter"] == 1, "nothing about the conversation changed"


async def test_delivered_calls_leave_the_outbox_and_teach_the_live_keyboard(
    database: Database,
) -> None:
    store = conversation_store(database)
    outbox = store.turns.outbox
    first = await store.apply(SAM, 1, _saying("one"))
    second = await store.apply(SAM, 2, _saying("two"))
    assert first is not None
    assert second is not None
    await outbox.record(Delivered(ids=[first.rows[0].id], keyboards={SAM.id: 41}))
    assert await _outbox(database) == [(SAM.id, "two")], "only the undelivered call stays"
    stored = await store.load(SAM.id)
    assert stored is not None
    assert stored.keyboard_message_id == 41
    await outbox.record(Delivered(blocked={SAM.id}))
    assert await _outbox(database) == [], "nothing more can reach someone who blocked us"
    async with database.read() as session:
        user = await session.get(User, SAM.id)
        assert user is not None
        assert user.blocked


async def test_a_dead_processs_calls_are_taken_over_in_order(
    target: Target, database: Database
) -> None:
    store = conversation_store(database, owner="gone")  # never joined: as good as dead
    for update_id, text in enumerate(("a", "b", "c"), 1):
        await store.apply(SAM, update_id, _saying(text))
    other = target.open()
    heir = Presence(other, "heir")
    try:
        await heir.join()
        outbox = OutboxStore(other, BatchWriter(other), heir)
        taken = await outbox.claim_orphans()
        assert [row.call.params["text"] for row in taken] == ["a", "b", "c"]
        assert await outbox.claim_orphans() == [], "once"
    finally:
        await heir.leave()
        await other.dispose()


async def test_the_ids_given_to_a_turns_calls_are_theirs(database: Database) -> None:
    """Several calls written in one statement get their own rows' ids (on SQLite the ids
    are sorted rather than returned in order, which holds only if one INSERT numbers its
    rows in the order written)."""
    store = conversation_store(database)

    def many(stored: StoredConversation | None) -> Decision[int]:
        calls = tuple(
            Call(SAM.id, "sendMessage", {"chat_id": SAM.id, "text": f"bubble {n}"})
            for n in range(7)
        )
        return Decision(_increment(stored).update, 0, calls)

    result = await store.apply(SAM, 1, many)
    assert result is not None
    async with database.read() as session:
        rows = await session.execute(select(OutboxCall.id, OutboxCall.params))
        stored = {row.id: row.params for row in rows}
    assert [stored[row.id]["text"] for row in result.rows] == [f"bubble {n}" for n in range(7)]
    assert [row.id for row in result.rows] == sorted(row.id for row in result.rows)
