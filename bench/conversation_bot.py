"""The same conversation written the usual way: ConversationHandler and PicklePersistence.

A benchmark baseline, shaped like python-telegram-bot's own ``persistentconversationbot``
example: one ConversationHandler state per step, answers kept in ``user_data``,
PicklePersistence on disk, and updates handled one at a time (the library's default). It
sends the same messages and buttons as Closer (same content file, the guidance composed
with the same functions, consecutive texts joined into the same chat bubbles, the reply to
an answer shown under it), answers every tap and marks the chosen answer on the question,
but has no state machine of its own, no database and no concurrency. PicklePersistence
writes its file every 60 s (the library's default), not after every event.

    python -m bench.conversation_bot --base-url http://127.0.0.1:8081/bot --token ...
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)

from bot.markup import bubbles, with_choice
from dialogs import default_engine
from dialogs.content_model import Step, StepKind
from dialogs.guidance import compose_guidance
from dialogs.render import TemplateRenderer
from dialogs.turn import Message

BASELINE_TOKEN = "100000004:" + "H" * 35
Context = ContextTypes.DEFAULT_TYPE


def build_conversation_application(token: str, base_url: str, pickle_file: Path) -> Application:  # type: ignore[type-arg]
    """The baseline bot; states are the content's step ids."""
    engine = default_engine()
    content = engine.content

    def render(template: str, user: Any) -> str:
        return TemplateRenderer(name=user.first_name or "friend", step="", total="", title="")(
            template
        )

    def keyboard(step: Step) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(o.label, callback_data=f"{step.id}:{o.id}")]
                for o in step.options
            ]
        )

    async def show(update: Update, context: Context, step: Step) -> str:
        """Sends a step: its introduction, or the guidance, then its question."""
        chat = update.effective_chat
        user = update.effective_user
        assert chat is not None
        assert user is not None
        messages: list[Message] = []
        if step.kind is StepKind.GUIDANCE:
            answers = context.user_data.setdefault("answers", {})  # type: ignore[union-attr]
            profile = engine.profile(engine.new_snapshot().model_copy(update={"answers": answers}))
            renderer = TemplateRenderer(
                name=user.first_name or "friend",
                step="",
                total="",
                title="",
                track=profile.track.title,
            )
            messages += [
                Message(text, title=title or None)
                for title, text in compose_guidance(content, profile, answers, renderer)
            ]
        else:
            messages += [Message(render(text, user)) for text in step.messages]
        messages.append(Message(render(step.prompt, user)))
        parts = bubbles(messages)  # the same bubbles Closer sends, the keyboard on the last
        for index, bubble in enumerate(parts):
            await context.bot.send_message(
                chat.id,
                bubble.html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(step) if index == len(parts) - 1 else None,
            )
        return step.id

    async def start(update: Update, context: Context) -> str:
        """/start: begins again from the welcome."""
        context.user_data["answers"] = {}  # type: ignore[index]
        return await show(update, context, content.first_step)

    async def answer(update: Update, context: Context) -> str | int:
        """A tapped answer: mark it, reply to it, move on."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        step_id, option_id = query.data.split(":", 1)
        step = content.step(step_id)
        option = step.option(option_id)
        await query.answer()
        if option is None:
            return step.id
        if step.kind is StepKind.QUESTION:
            context.user_data.setdefault("answers", {})[step.id] = option.id  # type: ignore[union-attr]
        if query.message is not None and hasattr(query.message, "text_html"):
            # Like Closer: the choice, and the reply to it, shown under the question.
            await query.edit_message_text(
                with_choice(query.message.text_html, option.label, option.reply or None),
                parse_mode=ParseMode.HTML,
            )
        target = content.next_step_id(step, option)
        if target is None:
            return ConversationHandler.END if step.kind is StepKind.END else step.id
        return await show(update, context, content.step(target))

    states: dict[object, list[Any]] = {
        step.id: [CallbackQueryHandler(answer, pattern=f"^{step.id}:")] for step in content.steps
    }
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states=states,
        fallbacks=[CommandHandler("start", start)],
        name="closer",
        persistent=True,
        allow_reentry=True,
    )
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .persistence(PicklePersistence(filepath=pickle_file))
        .build()
    )
    application.add_handler(conversation)
    return application


def main(argv: list[str] | None = None) -> int:
    """Runs the baseline with long polling until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8081/bot")
    parser.add_argument("--token", default=BASELINE_TOKEN)
    parser.add_argument("--pickle", type=Path, default=Path("data/conversationbot.pickle"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.pickle.parent.mkdir(parents=True, exist_ok=True)
    build_conversation_application(args.token, args.base_url, args.pickle).run_polling(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
