"""The fault drill's update generator: deterministic, complete, and true to Telegram's shapes."""

from __future__ import annotations

import json
import random

import pytest
from telegram import Update

from chaos.fuzz import CATEGORIES, TEXT_LIMIT, FuzzedUpdate, generate

PEOPLE = [1001, 1002, 1003]
WELL_FORMED = (
    "private_text",
    "private_command",
    "private_media",
    "edited_text",
    "group_chatter",
    "channel_post",
    "callback_forged",
    "callback_odd",
    "my_chat_member",
    "unknown_type",
)
ANSWERED = ("private_text", "private_media")


def _batch(seed: int = 1, rounds: int = 20) -> list[FuzzedUpdate]:
    return generate(random.Random(seed), rounds * len(CATEGORIES), PEOPLE)


def test_the_same_seed_gives_the_same_updates() -> None:
    first = generate(random.Random(7), 300, PEOPLE)
    second = generate(random.Random(7), 300, PEOPLE)
    assert first == second
    assert first != generate(random.Random(8), 300, PEOPLE)


def test_every_category_appears_and_nothing_else() -> None:
    batch = _batch()
    assert len(batch) == 20 * len(CATEGORIES)
    kinds = {item.kind for item in batch}
    assert kinds == set(CATEGORIES)
    assert set(WELL_FORMED) < set(CATEGORIES)
    assert {"malformed", "empty_update"} < set(CATEGORIES)


def test_updates_are_strict_json_without_an_update_id() -> None:
    for item in _batch(seed=2, rounds=50):
        assert isinstance(item.update, dict)
        assert "update_id" not in item.update
        json.dumps(item.update, allow_nan=False).encode("utf-8")
        json.dumps(item.update, allow_nan=False, ensure_ascii=False).encode("utf-8")


def test_answer_chats_are_people_and_set_where_an_answer_is_due() -> None:
    batch = _batch(seed=3, rounds=50)
    for item in batch:
        assert item.answer_chat is None or item.answer_chat in PEOPLE
        if item.kind in ANSWERED:
            assert item.answer_chat is not None, item
    commands = [item for item in batch if item.kind == "private_command"]
    assert any(item.answer_chat is not None for item in commands)


@pytest.mark.parametrize("seed", [1, 4, 5])
def test_well_formed_updates_parse_with_python_telegram_bot(seed: int) -> None:
    for item in _batch(seed=seed, rounds=30):
        if item.kind not in WELL_FORMED:
            continue
        update = Update.de_json({"update_id": 1, **item.update}, bot=None)
        assert update.update_id == 1
        if item.answer_chat is not None:
            assert update.effective_chat is not None
            assert update.effective_chat.id == item.answer_chat
            assert update.effective_chat.type == "private"


def test_private_texts_include_some_beyond_telegrams_limit() -> None:
    texts = [
        item.update["message"]["text"]
        for item in _batch(seed=6, rounds=200)
        if item.kind == "private_text"
    ][:200]
    assert len(texts) == 200
    assert all(isinstance(text, str) and text for text in texts)
    assert any(len(text) > TEXT_LIMIT for text in texts)
    assert max(len(text) for text in texts) <= 10_000


def test_commands_carry_a_bot_command_entity_of_the_right_length() -> None:
    for item in _batch(seed=9, rounds=30):
        if item.kind != "private_command":
            continue
        message = item.update["message"]
        (entity,) = message["entities"]
        assert entity["type"] == "bot_command"
        assert entity["offset"] == 0
        assert entity["length"] == len(message["text"].split(" ", 1)[0])
        addressed_elsewhere = "@SomeOtherBot" in message["text"]
        if addressed_elsewhere or message["text"] == "/stop":
            assert item.answer_chat is None


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="people"):
        generate(random.Random(1), 10, [])
    with pytest.raises(ValueError, match="people"):
        generate(random.Random(1), 10, [0])
    with pytest.raises(ValueError, match="count"):
        generate(random.Random(1), -1, PEOPLE)
    assert generate(random.Random(1), 0, PEOPLE) == []
