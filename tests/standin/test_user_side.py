"""Acting as people: commands, media, groups, buttons, blocking, and reading replies."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from standin.client import StandInClient, StandInError
from tests.standin.conftest import ANA, BEN


async def _updates(bot: Bot) -> list[Update]:
    updates = list(await bot.get_updates(timeout=0))
    if updates:
        await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return updates


async def test_commands_carry_the_bot_command_entity(client: StandInClient, bot: Bot) -> None:
    await client.send(ANA, "/start@closer_bot payload")
    (update,) = await _updates(bot)
    message = update.message
    assert message is not None
    (entity,) = message.entities
    assert (entity.type, entity.offset, entity.length) == (
        "bot_command",
        0,
        len("/start@closer_bot"),
    )
    assert message.from_user is not None
    assert message.from_user.language_code == "en"
    assert message.from_user.username == "ana"


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("sticker", "sticker"),
        ("photo", "photo"),
        ("voice", "voice"),
        ("document", "document"),
        ("video", "video"),
        ("location", "location"),
        ("contact", "contact"),
    ],
)
async def test_media_messages_parse_in_ptb(
    client: StandInClient, bot: Bot, kind: str, field: str
) -> None:
    await client.send(ANA, kind=kind, caption="a caption" if kind == "photo" else None)
    (update,) = await _updates(bot)
    assert update.message is not None
    assert getattr(update.message, field)
    assert update.message.text is None


async def test_group_channel_and_edited_messages(client: StandInClient, bot: Bot) -> None:
    await client.send(ANA, "hi all", chat={"id": -100200, "type": "supergroup", "title": "Friends"})
    await client.send(ANA, "news", chat={"id": -100300, "type": "channel", "title": "Channel"})
    sent = await client.send(BEN, "typo")
    await client.send(BEN, "typo fixed", edit_of=sent["message_id"])
    group, channel, _, edited = await _updates(bot)
    assert group.message is not None
    assert group.message.chat.type == "supergroup"
    assert group.message.chat.title == "Friends"
    assert channel.channel_post is not None
    assert channel.channel_post.chat.type == "channel"
    assert edited.edited_message is not None
    assert edited.edited_message.text == "typo fixed"
    assert edited.edited_message.edit_date is not None


async def test_pressing_a_button_that_is_gone_is_refused(client: StandInClient, bot: Bot) -> None:
    await client.send(ANA, "/start")
    await _updates(bot)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(ANA.id, "Sure?", reply_markup=keyboard)
    with pytest.raises(StandInError, match="no such button"):
        await client.press(ANA, sent.message_id, data="forged")
    pressed = await client.press(ANA, sent.message_id, text="Yes")
    (update,) = await _updates(bot)
    assert update.callback_query is not None
    assert update.callback_query.id == pressed["callback_query_id"]
    await bot.edit_message_reply_markup(ANA.id, sent.message_id)
    with pytest.raises(StandInError, match="no such button"):
        await client.press(ANA, sent.message_id, data="yes")


async def test_reading_waits_for_the_bots_reply(client: StandInClient, bot: Bot) -> None:
    await client.send(ANA, "/start")
    await _updates(bot)
    chat = client.conversation(ANA)
    await chat.sync()
    waiting = asyncio.create_task(chat.next_message(timeout=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await bot.send_message(ANA.id, "Welcome!")
    message = await waiting
    assert message["text"] == "Welcome!"
    with pytest.raises(TimeoutError):
        await chat.next_message(timeout=0.2)


async def test_blocking_sends_my_chat_member_and_writing_again_unblocks(
    client: StandInClient, bot: Bot
) -> None:
    await client.send(ANA, "/start")
    await client.block(ANA)
    _, blocked = await _updates(bot)
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    await client.send(ANA, "/start")
    unblocked, message = await _updates(bot)
    assert unblocked.my_chat_member is not None
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert message.message is not None
    assert (await bot.send_message(ANA.id, "welcome back")).text == "welcome back"


async def test_raw_updates_of_any_shape_can_be_injected(client: StandInClient, bot: Bot) -> None:
    odd = {"brand_new_update_kind": {"weird": True}}
    forged = {
        "callback_query": {
            "id": "999",
            "from": {"id": BEN.id, "is_bot": False, "first_name": "Ben"},
            "chat_instance": "1",
            "data": "x" * 64,
        }
    }
    first = await client.inject(odd)
    second = await client.inject(forged)
    updates = await _updates(bot)
    assert [u.update_id for u in updates] == [first, second]
    assert updates[1].callback_query is not None
    assert await bot.answer_callback_query("999") is True


async def test_people_in_bulk_can_be_written_to(client: StandInClient, bot: Bot) -> None:
    await client.bulk_people(50_000, 100)
    sent = await bot.send_message(50_099, "A new article for you")
    assert sent.chat.id == 50_099
