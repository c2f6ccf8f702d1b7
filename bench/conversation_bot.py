"""The same conversation written the usual way: ConversationHandler and PicklePersistence.

A benchmark baseline, shaped like python-telegram-bot's own ``persistentconversationbot``
example: one ConversationHandler state per step, answers kept in ``user_data``,
PicklePersistence on disk, and updates handled one at a time (the library's default). It
sends the same messages and buttons as Closer, so the comparison is design against
design: the same content file, the guidance composed with the same functions, the same
chat bubbles, the same keyboard (the answers, then More / Back / Skip / Pause where
Closer shows them), the picture of the profile with the results, every tap answered and
the chosen answer (with the reply to it) shown on the question. It has no state machine
of its own, no database and no concurrency; PicklePersistence writes its file every 60 s
(the library's default), not after every event, so it does less durable work per event
than Closer. The people in the benchmark never tap the moves, so the baseline does not
implement them.

    python -m bench.conversation_bot --base-url http://127.0.0.1:8081/bot --token ...
    python -m bench.conversation_bot ... --transport aiohttp   # Closer's transport
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    PicklePersistence,
)

from bench.echo_bot import TRANSPORTS, request_for
from bot import profile_picture
from bot.markup import bubbles, keyboard, with_choice
from dialogs import default_engine
from dialogs.content_model import Action, Step, StepKind
from dialogs.guidance import compose_guidance
from dialogs.guidance import profile_picture as picture_of
from dialogs.render import TemplateRenderer
from dialogs.turn import Button, ButtonKind, Message

BASELINE_TOKEN = "100000004:" + "H" * 35
Context = ContextTypes.DEFAULT_TYPE
#: Connections to the Bot API; updates run one at a time, so few are ever in use.
POOL = 4


def build_conversation_application(
    token: str, base_url: str, pickle_file: Path, transport: str = "httpx"
) -> Application:  # type: ignore[type-arg]
    """The baseline bot; states are the content's step ids."""
    engine = default_engine()
    content = engine.content
    first = content.first_step
    number = {step.id: index for index, step in enumerate(content.steps, 1)}

    def render(template: str, user: Any, **values: str) -> str:
        name = user.first_name or content.ui.default_name
        return TemplateRenderer(name=name, step="", total="", title="", **values)(template)

    def moves(step: Step) -> list[Action]:
        """The moves Closer shows under this step's question (people here come forward only)."""
        shown = [Action.MORE] if step.more else []
        if step.id != first.id and step.kind is not StepKind.END:
            shown.append(Action.BACK)
        if step.kind is StepKind.QUESTION and step.skippable:
            shown.append(Action.SKIP)
        if step.kind is StepKind.QUESTION and step.id != first.id:
            shown.append(Action.PAUSE)
        return shown

    def buttons(step: Step) -> tuple[Button, ...]:
        seq = number[step.id]  # the callback data names the step, as Closer's names its turn
        answers = [Button(ButtonKind.OPTION, o.id, o.label, seq) for o in step.options]
        actions = [
            Button(ButtonKind.ACTION, a.value, content.actions[a].label, seq) for a in moves(step)
        ]
        return (*answers, *actions)

    async def show(update: Update, context: Context, step: Step) -> str:
        """Sends a step: its introduction, or the guidance and the picture, then its question."""
        chat = update.effective_chat
        user = update.effective_user
        assert chat is not None
        assert user is not None
        messages: list[Message] = []
        if step.kind is StepKind.GUIDANCE:
            answers = context.user_data.setdefault("answers", {})  # type: ignore[union-attr]
            profile = engine.profile(engine.new_snapshot().model_copy(update={"answers": answers}))
            renderer = TemplateRenderer(
                name=user.first_name or content.ui.default_name,
                step="",
                total="",
                title="",
                track=profile.track.title,
            )
            messages += [
                Message(text, title=title or None)
                for title, text in compose_guidance(content, profile, answers, renderer)
            ]
            picture = picture_of(content, profile, renderer)
            messages.append(Message(picture.text, picture=picture))
        else:
            messages += [Message(render(text, user)) for text in step.messages]
        messages.append(Message(render(step.prompt, user), buttons=buttons(step)))
        for bubble in bubbles(messages):  # the same bubbles Closer sends
            if bubble.picture is not None:
                jpeg = profile_picture.draw(bubble.picture)
                await context.bot.send_photo(
                    chat.id,
                    InputFile(jpeg, filename="profile.jpg"),
                    caption=bubble.html,
                    parse_mode=ParseMode.HTML,
                )
                continue
            markup = keyboard(bubble.buttons)
            await context.bot.send_message(
                chat.id,
                bubble.html,
                parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup.de_json(markup, None) if markup else None,
            )
        return step.id

    async def start(update: Update, context: Context) -> str:
        """/start: begins again from the welcome."""
        context.user_data["answers"] = {}  # type: ignore[index]
        return await show(update, context, first)

    async def answer(update: Update, context: Context) -> str | int:
        """A tapped answer: mark it, reply to it, move on."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        seq, _, option_id = query.data.split(":", 2)
        step = content.steps[int(seq) - 1]
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
        step.id: [CallbackQueryHandler(answer, pattern=f"^{number[step.id]}:o:")]
        for step in content.steps
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
        .request(request_for(transport, POOL))
        .get_updates_request(request_for(transport, 1))
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
    parser.add_argument("--transport", choices=TRANSPORTS, default="httpx")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.pickle.parent.mkdir(parents=True, exist_ok=True)
    application = build_conversation_application(
        args.token, args.base_url, args.pickle, args.transport
    )
    application.run_polling(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
