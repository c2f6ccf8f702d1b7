"""What people read, on "Telegram": five different stories, and answers typed in own words.

The engine tests check the same things without a bot; these play them through the real
bot over HTTP, so what is checked is what a phone would show.
"""

from __future__ import annotations

from itertools import combinations

from bot.app import Running
from dialogs.guidance import plan
from dialogs.snapshot import Snapshot
from standin.client import Conversation, Person, StandInClient, message_text
from tests.e2e.helpers import say_and_wait, tap_and_wait
from tests.stories import PEOPLE

#: What one person types, question by question, instead of tapping (from the corpus).
TYPED = [
    "yes", "like 8 months", "he barely texts anymore", "a few months",
    "hes way more chill after", "yeah he says it all the time", "he jokes it off",
    "not that i know", "gets all tense and weird", "a bit", "just normal work stress",
    "nope", "a mix", "no idea", "sometimes", "mostly me", "its hard but we get there",
    "now and then",
]  # fmt: skip


async def _tap_through(bot: Running, chat: Conversation, answers: dict[str, str]) -> str:
    """Taps each answer's button, step by step; returns everything the bot wrote."""
    engine = bot.services.engine
    await say_and_wait(chat, "/start")
    message = await tap_and_wait(chat, "Let's begin")
    while not message_text(message).endswith("When you're ready:"):
        snapshot = await bot.services.conversations.current(chat.person.id)
        assert snapshot is not None
        option = engine.step(snapshot.state).option(answers[snapshot.state])
        assert option is not None
        message = await tap_and_wait(chat, option.label)
    return "\n".join(message_text(m) for m in chat.bot_messages.values())


async def test_five_stories_read_five_different_pages(bot: Running, client: StandInClient) -> None:
    engine = bot.services.engine
    shown: dict[str, frozenset[str]] = {}
    for number, (who, answers) in enumerate(PEOPLE.items()):
        chat = client.conversation(Person(13000 + number, "Sam"))
        text = await _tap_through(bot, chat, answers)
        snapshot = Snapshot(state="forward", answers=answers, content_version="x")
        chosen = plan(engine.content, engine.profile(snapshot), answers)
        lines = {s.text for found in chosen.suggestions.values() for s in found}
        lines |= set(chosen.own_needs)
        assert all(line in text for line in lines), who
        assert sum(line in text for line in chosen.answer_specific) >= 2, who
        shown[who] = frozenset(lines)
    for (a, first), (b, second) in combinations(shown.items(), 2):
        assert first != second, (a, b)


async def test_answers_typed_in_own_words_reach_the_results(
    bot: Running, client: StandInClient
) -> None:
    chat = client.conversation(Person(13100, "Ria"))
    await say_and_wait(chat, "hi")
    for words in TYPED:
        reply = await say_and_wait(chat, words)
        assert "didn't quite catch" not in message_text(reply), words
    texts = "\n".join(message_text(m) for m in chat.bot_messages.values())
    assert "From what you've told me:" in texts
    assert "Your summary" in texts
