"""Every supported method, called by python-telegram-bot, parses into PTB's own types."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    WebhookInfo,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from standin.client import StandInClient
from standin.server import RunningStandIn
from tests.standin.conftest import ANA, BEN, TOKEN

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="a|1|yes")]])


async def _started(client: StandInClient, bot: Bot) -> None:
    """Ana writes first, as a person must before a bot may write to them."""
    await client.send(ANA, "/start")
    await bot.get_updates(timeout=0)


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == int(TOKEN.split(":")[0])
    assert me.username == "closer_bot"


async def test_send_message_with_html_and_a_keyboard(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(
        ANA.id,
        "<b>Hi</b> &lt;you&gt; 😊 <i>there</i>",
        parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD,
    )
    assert isinstance(sent, Message)
    assert sent.text == "Hi <you> 😊 there"
    assert sent.from_user is not None
    assert sent.from_user.is_bot
    assert sent.chat.id == ANA.id
    assert sent.chat.type == "private"
    assert sent.date.year >= 2024
    bold, italic = sent.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, 2)
    assert (italic.type, italic.offset, italic.length) == ("italic", 12, 5), "UTF-16 offsets"
    assert sent.reply_markup == KEYBOARD


async def test_edits_return_the_edited_message(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(ANA.id, "Question?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "Question?\n✓ Yes", chat_id=ANA.id, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert edited.text == "Question?\n✓ Yes"
    assert edited.edit_date is not None
    assert edited.reply_markup is None, "editMessageText without a keyboard removes it"
    again = await bot.edit_message_reply_markup(ANA.id, sent.message_id, reply_markup=KEYBOARD)
    assert isinstance(again, Message)
    assert again.reply_markup == KEYBOARD
    cleared = await bot.edit_message_reply_markup(ANA.id, sent.message_id)
    assert isinstance(cleared, Message)
    assert cleared.reply_markup is None


async def test_message_is_not_modified_is_a_bad_request(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(ANA.id, "Same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Same", chat_id=ANA.id, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ANA.id, sent.message_id, reply_markup=KEYBOARD)


async def test_delete_message_and_deleting_twice(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(ANA.id, "Gone soon")
    assert await bot.delete_message(ANA.id, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ANA.id, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ANA.id, message_id=sent.message_id)


async def test_answer_callback_query_once(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(ANA.id, "Tap", reply_markup=KEYBOARD)
    await client.press(ANA, sent.message_id, data="a|1|yes")
    (update,) = await bot.get_updates(offset=2, timeout=1)
    query = update.callback_query
    assert query is not None
    assert query.data == "a|1|yes"
    assert query.chat_instance
    assert query.from_user.id == ANA.id
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Noted") is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    (event,) = (await client.events(ANA.id, kinds=("callback_answer",)))[0]
    assert event["text"] == "Noted"


async def test_commands_per_scope(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    everyone = [BotCommand("start", "Begin"), BotCommand("help", "How it works")]
    admin = [*everyone, BotCommand("stats", "Statistics")]
    assert await bot.set_my_commands(everyone) is True
    assert await bot.set_my_commands(admin, scope=BotCommandScopeChat(ANA.id)) is True
    assert list(await bot.get_my_commands()) == everyone
    assert list(await bot.get_my_commands(scope=BotCommandScopeChat(ANA.id))) == admin
    assert [c["command"] for c in await client.commands(ANA.id)] == ["start", "help", "stats"]
    assert [c["command"] for c in await client.commands(BEN.id)] == ["start", "help"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Name", "x")])
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(ANA.id)) is True
    assert [c["command"] for c in await client.commands(ANA.id)] == ["start", "help"]


async def test_chat_action_and_copy_message(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    await client.send(BEN, "hello")
    assert await bot.send_chat_action(ANA.id, ChatAction.TYPING) is True
    original = await bot.send_message(ANA.id, "<b>News</b>", parse_mode=ParseMode.HTML)
    copied = await bot.copy_message(BEN.id, ANA.id, original.message_id)
    assert isinstance(copied, MessageId)
    (message,) = [m for m in await client.messages(BEN.id) if m["from_bot"]]
    assert message["message_id"] == copied.message_id
    assert message["text"] == "News"
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(BEN.id, ANA.id, 999)


async def test_photos_documents_and_videos(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    photo = await bot.send_photo(
        ANA.id, b"\x89PNG fake bytes", caption="<i>Look</i>", parse_mode="HTML"
    )
    assert photo.photo
    assert photo.caption == "Look"
    assert photo.caption_entities[0].type == "italic"
    again = await bot.send_photo(ANA.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    document = await bot.send_document(ANA.id, b"%PDF-1.4", filename="guide.pdf", caption="Guide")
    assert document.document is not None
    assert document.document.file_name == "guide.pdf"
    video = await bot.send_video(ANA.id, b"\x00\x00 fake mp4", caption="Watch")
    assert video.video is not None
    assert video.caption == "Watch"
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(ANA.id, "no-such-file-id")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(ANA.id, b"x", caption="c" * 1025)


async def test_webhook_registration_round_trip(bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret_-OK") is True
    info = await bot.get_webhook_info()
    assert isinstance(info, WebhookInfo)
    assert info.url == "http://127.0.0.1:9/hook"
    assert info.pending_update_count == 0
    with pytest.raises(BadRequest, match="unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="no spaces!")
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 4097, "Message is too long"),
        ("   ", "Message text is empty"),
        ("<b>unclosed", "Can't parse entities: can't find end tag"),
        ("<blink>x</blink>", 'Unsupported start tag "blink"'),
        ("<b>a</i>", "Unmatched end tag"),
    ],
)
async def test_bad_texts_are_refused_like_telegram(
    client: StandInClient, bot: Bot, text: str, problem: str
) -> None:
    await _started(client, bot)
    with pytest.raises(BadRequest, match=f"(?i){problem}"):
        await bot.send_message(ANA.id, text, parse_mode=ParseMode.HTML)


async def test_text_of_exactly_4096_characters_is_accepted(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    sent = await bot.send_message(ANA.id, "y" * 4096)
    assert len(sent.text or "") == 4096


async def test_callback_data_over_64_bytes_is_refused(client: StandInClient, bot: Bot) -> None:
    await _started(client, bot)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ANA.id, "x", reply_markup=too_long)


async def test_unknown_chats_users_who_never_wrote_and_blocked_users(
    client: StandInClient, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello")
    await client.send(ANA, "hi")
    await client.block(ANA)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANA.id, "hello")


async def test_unknown_methods_answer_404_and_are_logged(
    client: StandInClient, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    assert "sendTelepathy" in caplog.text
    (call,) = [c for c in await client.log() if c["method"] == "sendTelepathy"]
    assert call["status"] == 404


@pytest.mark.parametrize("token", ["not-a-token", "12:short", TOKEN.replace("T", "U")])
async def test_malformed_or_wrong_tokens_are_unauthorized(
    client: StandInClient, standin: RunningStandIn, token: str
) -> None:
    with pytest.raises(InvalidToken):
        await Bot(token, base_url=standin.bot_api_base).get_me()


async def test_method_names_ignore_case_and_json_bodies_work(standin: RunningStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{standin.bot_api_base}{TOKEN}/GETME"
        async with session.post(url, json={}) as response:
            body = await response.json()
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True


async def test_a_callback_query_answered_too_late_is_refused(
    client: StandInClient, bot: Bot
) -> None:
    await _started(client, bot)
    await client.control(callback_answer_deadline=0.01)
    sent = await bot.send_message(ANA.id, "Tap", reply_markup=KEYBOARD)
    await client.press(ANA, sent.message_id, data="a|1|yes")
    updates = await bot.get_updates(offset=2, timeout=1)
    query = updates[-1].callback_query
    assert query is not None
    await asyncio.sleep(0.05)  # the deadline itself is what is tested: let it pass
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
