"""Safety on "Telegram": every way a person can write reaches the danger check first.

Each test is a person typing through the stand-in to the real bot over HTTP: before
/start, mid-question, while paused, after the end, in a caption, in an edit, after a
command, and asking for help with /sos or the button in /help. What they read next is
checked too (never a re-prompt), and what is kept afterwards (a count, never the words).
"""

from __future__ import annotations

from sqlalchemy import select, text

from bot.app import Running
from standin.client import Conversation, Person, StandInClient, button_labels, message_text
from standin.server import RunningStandIn
from storage.models import SafetyReply
from tests.e2e.conftest import StartBot, make_settings
from tests.e2e.helpers import newest_message_id, say_and_wait, tap_and_wait, walk_to_the_end

SAFE, NOT_NOW = "I'm safe, let's carry on", "Not now"
QUESTION = "Are you safe right now?"
REPROMPT = "didn't quite catch"


async def _safety_reply_to(chat: Conversation, words: str) -> dict[str, object]:
    """Types the words and returns the bot's answer, which must be the safety reply."""
    reply = await say_and_wait(chat, words)
    assert message_text(reply).endswith(QUESTION), message_text(reply)
    assert button_labels(reply) == [SAFE, NOT_NOW]
    return reply


async def _mid_question(chat: Conversation) -> None:
    await say_and_wait(chat, "/start")
    await tap_and_wait(chat, "Let's begin")


async def test_mid_question_the_reply_fits_and_the_question_comes_back(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(11001, "Mia"))
    await _mid_question(chat)
    reply = await _safety_reply_to(chat, "he pushed me down the stairs")
    assert "1-800-799-7233" in message_text(reply), "the abuse lines, for abuse"
    assert "988" not in message_text(reply)
    after = await say_and_wait(chat, "thank you")
    assert REPROMPT not in message_text(after)
    assert button_labels(after) == [SAFE, NOT_NOW], "still asking, kindly"
    question = await tap_and_wait(chat, SAFE)
    assert message_text(question).endswith("How long have you been together?")


async def test_before_start_the_first_message_can_be_a_cry_for_help(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(11002, "Noa"))
    reply = await _safety_reply_to(chat, "honestly i dont want to be alive anymore")
    assert "988" in message_text(reply)
    yes = await say_and_wait(chat, "yes")
    assert message_text(yes).endswith("Shall we begin?"), "then the welcome, as for anyone new"


async def test_while_paused_and_after_the_end(bot: Running, client: StandInClient) -> None:
    paused = client.conversation(Person(11003, "Pia"))
    await _mid_question(paused)
    await say_and_wait(paused, "/pause")
    await _safety_reply_to(paused, "im in danger")
    finished = client.conversation(Person(11004, "Rex"))
    await walk_to_the_end(finished)
    await _safety_reply_to(finished, "he forces me to have sex")
    later = await tap_and_wait(finished, NOT_NOW)
    assert "/sos" in message_text(later)
    assert button_labels(later) == ["Continue"]


async def test_a_caption_an_edit_and_words_after_a_command(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(11005, "Sol"))
    await _mid_question(chat)
    before = newest_message_id(chat)
    await chat.send_kind("photo", caption="look what he did to my arm, he grabbed me so hard")
    await chat.wait_until(
        lambda c: (
            QUESTION in message_text(c.bot_messages.get(newest_message_id(c), {}))
            and newest_message_id(c) > before
        ),
        10,
        "the safety reply to a caption",
    )
    sent = await chat.send("fine")
    await chat.wait_until(lambda c: newest_message_id(c) > sent["message_id"], 10, "a reply")
    before = newest_message_id(chat)
    await client.send(chat.person, "i wish i was dead", edit_of=sent["message_id"])
    await chat.wait_until(
        lambda c: (
            newest_message_id(c) > before
            and QUESTION in message_text(c.bot_messages[newest_message_id(c)])
        ),
        10,
        "the safety reply to an edit",
    )
    await _safety_reply_to(chat, "/start i want to kill myself")


async def test_sos_and_the_help_button_give_every_resource_at_once(
    bot: Running, client: StandInClient
) -> None:
    newcomer = client.conversation(Person(11006, "Tal"))
    reply = await say_and_wait(newcomer, "/sos")
    for number in ("988", "1-800-799-7233", "1-800-656-4673", "findahelpline.com"):
        assert number in message_text(reply)
    chat = client.conversation(Person(11007, "Uma"))
    await _mid_question(chat)
    helped = await say_and_wait(chat, "/help")
    assert "I need help now" in button_labels(helped)
    sos = await tap_and_wait(chat, "I need help now")
    assert message_text(sos).endswith(QUESTION)
    question = await tap_and_wait(chat, SAFE)
    assert message_text(question).endswith("How long have you been together?")
    menu = [command["command"] for command in await client.commands(11007)]
    assert menu[:2] == ["start", "sos"]


async def test_stats_count_safety_replies_and_no_words_are_kept(
    start_bot: StartBot, standin: RunningStandIn, database_url: str, client: StandInClient
) -> None:
    admin = Person(11100, "Admin")
    bot = await start_bot(make_settings(standin, database_url, admin_ids=str(admin.id)))
    words = "my husband strangled me with a phone cord"
    chat = client.conversation(Person(11008, "Vic"))
    await _safety_reply_to(chat, words)
    await say_and_wait(chat, "/sos")
    boss = client.conversation(admin)
    await boss.send("/stats")
    counted = "Safety replies: 2 in all"
    await boss.wait_until(
        lambda c: any(counted in message_text(m) for m in c.bot_messages.values()),
        10,
        "the count in /stats",
    )
    async with bot.services.database.read() as session:
        kinds = sorted((await session.scalars(select(SafetyReply.kinds))).all())
        assert kinds == ["asked", "partner_violence"]
        for table in ("sessions", "answers", "inbox", "users", "safety_replies"):
            dump = str((await session.execute(text(f"SELECT * FROM {table}"))).all())
            assert "strangled" not in dump, table
            assert "phone cord" not in dump, table
