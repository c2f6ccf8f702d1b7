"""How a turn's messages become Telegram messages: joined up to a screenful, in order."""

from __future__ import annotations

from bot.markup import BUBBLE_LIMIT, bubbles
from dialogs.content_model import TELEGRAM_TEXT_LIMIT
from dialogs.turn import Button, ButtonKind, Message

CHOICE = (Button(ButtonKind.OPTION, "yes", "Yes", 1),)


def test_short_messages_share_one_bubble_with_the_keyboard_under_it() -> None:
    turn = [
        Message("One."),
        Message("Two & <three>.", title="Title"),
        Message("Ask?", buttons=CHOICE),
    ]
    [bubble] = bubbles(turn)
    assert bubble.html == "One.\n\n<b>Title</b>\nTwo &amp; &lt;three&gt;.\n\nAsk?"
    assert bubble.buttons == CHOICE


def test_a_message_with_buttons_closes_its_bubble() -> None:
    turn = [Message("Ask?", buttons=CHOICE), Message("A note after the keyboard.")]
    assert [b.html for b in bubbles(turn)] == ["Ask?", "A note after the keyboard."]
    assert [b.buttons for b in bubbles(turn)] == [CHOICE, ()]


def test_bubbles_stop_at_about_a_screenful_and_keep_the_order() -> None:
    paragraphs = [f"{i} " + "word " * 80 for i in range(10)]  # about 400 characters each
    result = bubbles([Message(p.strip()) for p in paragraphs])
    assert 1 < len(result) < len(paragraphs)
    assert all(len(b.html) <= BUBBLE_LIMIT for b in result)
    joined = "\n\n".join(b.html for b in result)
    assert joined == "\n\n".join(p.strip() for p in paragraphs)


def test_a_message_over_telegrams_limit_is_split_and_every_part_fits() -> None:
    long = Message(("a sentence of words. " * 400).strip(), buttons=CHOICE)
    result = bubbles([Message("Before."), long])
    assert len(result) >= 3
    assert all(len(b.html.encode("utf-16-le")) // 2 <= TELEGRAM_TEXT_LIMIT for b in result)
    assert [b.buttons for b in result][-1] == CHOICE
    assert all(not b.buttons for b in result[:-1])


def test_no_messages_no_bubbles() -> None:
    assert bubbles([]) == []
