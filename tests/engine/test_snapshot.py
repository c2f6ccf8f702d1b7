"""Snapshots are plain JSON that survive storage, and old ones fit new content."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import ValidationError

from dialogs.engine import DialogueEngine
from dialogs.events import Begin
from dialogs.snapshot import Snapshot
from tests.engine.driver import Conversation


def test_snapshot_round_trips_through_json(engine: DialogueEngine) -> None:
    chat = Conversation(engine)
    chat.start()
    chat.tap("Let's begin")
    chat.tap_option(2)
    assert chat.snapshot is not None
    text = chat.snapshot.to_json()
    assert json.loads(text) == chat.snapshot.to_dict()
    assert Snapshot.from_json(text) == chat.snapshot
    assert Snapshot.model_validate(json.loads(text)) == chat.snapshot


@pytest.mark.parametrize(
    "stored",
    [
        "{}",
        '{"state": "", "content_version": "1"}',
        '{"state": "welcome", "content_version": "1", "seq": -1}',
        '{"state": "welcome", "content_version": "1", "extra": 1}',
        "not json",
    ],
)
def test_malformed_stored_snapshots_are_refused(stored: str) -> None:
    with pytest.raises(ValidationError):
        Snapshot.from_json(stored)


def test_a_retired_step_resumes_at_the_nearest_defined_one(
    engine: DialogueEngine, caplog: pytest.LogCaptureFixture
) -> None:
    old = Snapshot(
        state="retired_question",
        answers={"stage": "early", "retired_question": "x"},
        history=("welcome", "stage", "gone_too", "pattern"),
        seq=9,
        content_version="2020-01-01.1",
    )
    with caplog.at_level(logging.WARNING):
        adapted = engine.adapt(old)
    assert adapted.state == "pattern"
    assert adapted.history == ("welcome", "stage")
    assert adapted.answers == old.answers, "nothing the user said is thrown away"
    assert adapted.content_version == engine.content.version
    assert "retired_question" in caplog.text
    assert "pattern" in caplog.text
    turn = engine.apply(old, Begin())
    assert "step 2 of 9" in turn.messages[0].text


def test_a_snapshot_with_no_known_step_at_all_starts_at_the_welcome(
    engine: DialogueEngine,
) -> None:
    old = Snapshot(state="gone", history=("also_gone",), content_version="0")
    assert engine.adapt(old).state == "welcome"
    assert engine.adapt(old).history == ()
