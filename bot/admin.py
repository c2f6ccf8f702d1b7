"""The admins' commands: compose and send broadcasts, follow them, see statistics.

Only the Telegram ids in ADMIN_IDS reach these handlers; for anyone else the commands
fall through to "I don't know that command", the admin buttons to "that button is from
an earlier question", and the admin commands are not in their menu.

Composing: /broadcast, then the admin's next message (text, photo, video or document, as
formatted as they like) becomes the draft. The bot copies it back as a preview, exactly as
recipients will get it, under a panel to pick the audience (with its size) and send or
cancel. Once sent, the panel shows progress every few seconds, with a button to stop.

Everything the admins are shown goes through the outbox like any reply (committed, then
delivered in order); the panel's message id is learnt when it is delivered.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import BotCommand, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import attachments, formats, replies
from bot.broadcasting import Broadcaster, Progress
from bot.markup import (
    AdminData,
    AdminVerb,
    Markup,
    audience_key,
    panel_keyboard,
    parse_admin,
    stop_keyboard,
)
from bot.sender import Sender
from bot.services import Services
from bot.statistics import funnel, report
from dialogs.engine import DialogueEngine
from storage.broadcasts import (
    Audience,
    AudienceKind,
    BroadcastInfo,
    BroadcastStatus,
    BroadcastStore,
    DeliveryStatus,
)
from storage.columns import utc_now
from storage.records import Call
from storage.stats import count_everything
from storage.updates import claim_update

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
ADMIN_COMMANDS = ("broadcast", "broadcasts", "stats", "cancel")
#: Runs before the safety check and the dialogue's handlers, so a draft never becomes an
#: answer, and a broadcast about abuse is sent rather than answered with helplines.
ADMIN_GROUP = -2


class AdminHandlers:
    """Handlers for admins, and the broadcaster they drive."""

    def __init__(
        self,
        services: Services,
        *,
        rate: float,
        concurrency: int,
        report_every: timedelta,
    ) -> None:
        self.services = services
        self.store = BroadcastStore(
            services.database, services.engine.content.first_step.id, services.outbox.presence
        )
        self.broadcaster = Broadcaster(
            services.sender,
            self.store,
            rate=rate,
            concurrency=concurrency,
            report=self.show_progress,
            report_every=report_every,
        )
        self.admins = filters.User(user_id=services.admin_ids)

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Adds the admin handlers ahead of the dialogue's."""
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & self.admins
        application.add_handlers(
            [
                CommandHandler("broadcast", self.on_broadcast, filters=private),
                CommandHandler("broadcasts", self.on_list, filters=private),
                CommandHandler("stats", self.on_stats, filters=private),
                CommandHandler("cancel", self.on_cancel, filters=private),
                MessageHandler(private & ~filters.COMMAND, self.on_draft),
                CallbackQueryHandler(self.on_panel, pattern=r"^b:"),
            ],
            group=ADMIN_GROUP,
        )

    async def publish_menu(self, sender: Sender, menus: dict[str, list[BotCommand]]) -> None:
        """Shows the admin commands in each admin's own chat (and nowhere else), in the
        admin's language: everyone's commands, then theirs."""
        for admin_id in self.services.admin_ids:
            engine = await self._speaking(admin_id)
            language = engine.content.language
            own = engine.content.admin.commands
            listed = [*menus[language], *(BotCommand(n, own[n]) for n in ADMIN_COMMANDS)]
            commands = [command.to_dict() for command in listed]
            scope = {"type": "chat", "chat_id": admin_id}
            try:
                await sender.call("setMyCommands", {"commands": commands, "scope": scope})
            except TelegramError as error:  # an admin who never opened the bot has no chat yet
                log.info("admin menu not set for %s: %s", admin_id, error)

    # ------------------------------------------------------------------ composing

    async def on_broadcast(self, update: Update, context: Context) -> None:
        """Starts a draft: the admin's next message becomes its content."""
        admin = _user_id(update)
        if not await claim_update(self.services.database, update.update_id):
            raise ApplicationHandlerStop
        await self.store.begin_draft(admin)
        await self._tell(admin, (await self._speaking(admin)).content.admin.compose)
        raise ApplicationHandlerStop

    async def on_draft(self, update: Update, context: Context) -> None:
        """Takes the admin's message as the draft, previews it, and shows the panel."""
        admin = _user_id(update)
        broadcast_id = await self.store.composing(admin)
        if broadcast_id is None:
            return  # not composing: the dialogue handles the message as usual
        message = update.effective_message
        assert message is not None
        if not await claim_update(self.services.database, update.update_id):
            raise ApplicationHandlerStop
        engine = await self._speaking(admin)
        kind = _kind(message)
        if kind is None:
            await self._tell(admin, engine.content.admin.not_broadcastable)
            raise ApplicationHandlerStop
        await self.store.attach(broadcast_id, message.chat_id, message.message_id, kind)
        copy = {
            "chat_id": admin,
            "from_chat_id": message.chat_id,
            "message_id": message.message_id,
        }
        text, markup = await self._panel(broadcast_id, Audience(), engine)
        panel = replies.text(admin, text, markup)
        await self._send(
            [
                replies.text(admin, engine.content.admin.preview),
                Call(admin, "copyMessage", copy),
                Call(panel.chat_id, panel.method, panel.params, {"panel": broadcast_id}),
            ]
        )
        raise ApplicationHandlerStop

    async def on_cancel(self, update: Update, context: Context) -> None:
        """Cancels the draft being composed."""
        admin = _user_id(update)
        texts = (await self._speaking(admin)).content.admin
        broadcast_id = await self.store.composing(admin) or await self.store.open_draft(admin)
        if broadcast_id is not None and await self.store.cancel(broadcast_id):
            await self._tell(admin, texts.cancelled.format(id=broadcast_id))
        else:
            await self._tell(admin, texts.nothing_to_cancel)
        raise ApplicationHandlerStop

    async def on_panel(self, update: Update, context: Context) -> None:
        """Audience, send, cancel and stop buttons; anyone else's tap changes nothing."""
        query = update.callback_query
        assert query is not None
        data = parse_admin(query.data)
        if data is None or query.from_user.id not in self.services.admin_ids:
            return  # falls through to the dialogue's handler, which calls it stale
        if not await claim_update(self.services.database, update.update_id):
            raise ApplicationHandlerStop
        info = await self.store.info(data.broadcast_id)
        if info is None:
            stale = (await self._speaking(query.from_user.id)).content.ui.stale
            await self._send([replies.answer(query.from_user.id, query.id, stale)])
            raise ApplicationHandlerStop
        await self._send(await self._act(query, data, info))
        raise ApplicationHandlerStop

    async def _act(self, query: Any, data: AdminData, info: BroadcastInfo) -> list[Call]:
        """Carries out a panel button; returns what to show for it."""
        admin = query.from_user.id
        engine = await self._speaking(admin)
        texts = engine.content.admin
        done = replies.answer(admin, query.id)
        if data.verb is AdminVerb.AUDIENCE and info.status is BroadcastStatus.DRAFT:
            audience = _audience_from_key(data.audience)
            await self.store.set_audience(info.id, audience)
            text, markup = await self._panel(info.id, audience, engine)
            return [done, *_edit(query, text, markup)]
        if data.verb is AdminVerb.SEND and info.status is BroadcastStatus.DRAFT:
            if await self.store.audience_size(info.audience) == 0:
                return [replies.answer(admin, query.id, texts.empty_audience, alert=True)]
            total = await self.store.start(info.id)
            self.broadcaster.launch(info.id)
            text = _progress_text(info.id, Progress(total=total), engine)
            return [done, *_edit(query, text, stop_keyboard(info.id, texts.stop))]
        if data.verb in (AdminVerb.CANCEL, AdminVerb.STOP) and await self.store.cancel(info.id):
            if data.verb is AdminVerb.CANCEL:
                return [done, *_edit(query, texts.cancelled.format(id=info.id), None)]
            return [done]  # a running broadcast stops at its next window and reports
        return [replies.answer(admin, query.id, engine.content.ui.stale)]

    async def _panel(
        self, broadcast_id: int, audience: Audience, engine: DialogueEngine
    ) -> tuple[str, Markup]:
        texts = engine.content.admin
        size = await self.store.audience_size(audience)
        text = texts.panel.format(
            id=broadcast_id,
            audience=self._audience_name(audience, engine),
            size=formats.number(size, engine.content.language),
        )
        markup = panel_keyboard(
            broadcast_id,
            self._audience_choices(engine),
            audience_key(audience.kind.value, audience.value),
            texts.send,
            texts.cancel,
        )
        return text, markup

    def _audience_choices(self, engine: DialogueEngine) -> list[tuple[str, str]]:
        content = engine.content
        texts = content.admin
        choices = [
            ("all", texts.audience_all),
            ("finished", texts.audience_finished),
            ("in_progress", texts.audience_in_progress),
        ]
        choices += [
            (f"f.{f.id}", texts.audience_factor.format(factor=f.title)) for f in content.factors
        ]
        choices += [
            (f"t.{t.id}", texts.audience_track.format(track=t.title)) for t in content.tracks
        ]
        choices += [
            (f"l.{code}", texts.audience_language.format(language=name))
            for code, name in self.services.library.names().items()
        ]
        return choices

    def _audience_name(self, audience: Audience, engine: DialogueEngine) -> str:
        key = audience_key(audience.kind.value, audience.value)
        return dict(self._audience_choices(engine)).get(key, key)

    async def _speaking(self, admin_id: int) -> DialogueEngine:
        """The admin's own language, as stored with them (English for one never seen)."""
        stored = await self.services.users.profile(admin_id)
        return self.services.conversations.speaking(stored.language if stored else None)

    # ------------------------------------------------------------------ following

    async def show_progress(self, info: BroadcastInfo, progress: Progress, final: bool) -> None:
        """Updates the panel; at the end, also sends the final report as a new message."""
        if info.panel_message_id is None:
            return
        engine = await self._speaking(info.created_by)
        texts, language = engine.content.admin, engine.content.language
        if not final:
            text, markup = (
                _progress_text(info.id, progress, engine),
                stop_keyboard(info.id, texts.stop),
            )
        else:
            template = texts.finished if info.status is BroadcastStatus.DONE else texts.stopped
            elapsed = (info.finished_at or utc_now()) - (info.started_at or utc_now())
            text = template.format(
                id=info.id,
                sent=formats.number(progress.sent, language),
                failed=formats.number(progress.failed, language),
                blocked=formats.number(progress.blocked, language),
                left=formats.number(progress.left, language),
                duration=formats.duration(elapsed.total_seconds(), language),
            )
            markup = None
        calls = [replies.edit(info.created_by, info.panel_message_id, text, markup)]
        if final:
            calls.append(replies.text(info.created_by, text))
        await self._send(calls)

    async def on_list(self, update: Update, context: Context) -> None:
        """Recent broadcasts and how they went."""
        engine = await self._speaking(_user_id(update))
        texts, language = engine.content.admin, engine.content.language
        recent = await self.store.recent()
        if not recent:
            await self._tell(_user_id(update), texts.list_empty)
            raise ApplicationHandlerStop
        lines = [texts.list_heading]
        for info in recent:
            counts = info.counts
            settled = sum(counts.get(s, 0) for s in ("sent", "failed", "blocked"))
            lines.append(
                texts.list_line.format(
                    id=info.id,
                    when=formats.moment(info.started_at or info.created_at, language),
                    status=info.status.value,
                    audience=self._audience_name(info.audience, engine),
                    sent=formats.number(counts.get(DeliveryStatus.SENT, 0), language),
                    failed=formats.number(counts.get(DeliveryStatus.FAILED, 0), language),
                    blocked=formats.number(counts.get(DeliveryStatus.BLOCKED, 0), language),
                    left=formats.number(max(0, info.total - settled), language),
                )
            )
        await self._tell(_user_id(update), "\n".join(lines))
        raise ApplicationHandlerStop

    async def on_stats(self, update: Update, context: Context) -> None:
        """Statistics as a funnel chart and as numbers."""
        admin = _user_id(update)
        engine = await self._speaking(admin)
        counts = await count_everything(self.services.database, utc_now())
        totals = await self.store.totals()
        chart = attachments.funnel([(step.title, step.reached) for step in funnel(engine, counts)])
        photo = {"chat_id": admin, "photo": chart, "caption": engine.content.admin.chart_caption}
        await self._send(
            [
                Call(admin, "sendPhoto", photo),
                replies.text(admin, report(engine, counts, totals, self.services.library.names())),
            ]
        )
        raise ApplicationHandlerStop

    async def _tell(self, chat_id: int, text: str) -> None:
        await self._send([replies.text(chat_id, text)])

    async def _send(self, calls: list[Call]) -> None:
        """Commits what the admin is shown; the outbox delivers it."""
        await self.services.outbox.enqueue(calls)


def _user_id(update: Update) -> int:
    user = update.effective_user
    assert user is not None
    return user.id


def _kind(message: Message) -> str | None:
    for kind in ("photo", "video", "document"):
        if getattr(message, kind):
            return kind
    return "text" if message.text else None


def _audience_from_key(key: str | None) -> Audience:
    if key and key.startswith("f."):
        return Audience(AudienceKind.TOP_FACTOR, key[2:])
    if key and key.startswith("t."):
        return Audience(AudienceKind.TRACK, key[2:])
    if key and key.startswith("l."):
        return Audience(AudienceKind.LANGUAGE, key[2:])
    return Audience(AudienceKind(key or "all"))


def _edit(query: Any, text: str, markup: Markup | None) -> list[Call]:
    """The tapped panel rewritten (nothing, if Telegram no longer shows it to the bot)."""
    message = query.message
    if not isinstance(message, Message):
        return []
    return [replies.edit(message.chat.id, message.message_id, text, markup)]


def _progress_text(broadcast_id: int, progress: Progress, engine: DialogueEngine) -> str:
    language = engine.content.language
    rate = progress.rate
    eta = progress.left / rate if rate > 0 else 0.0
    text: str = engine.content.admin.progress.format(
        id=broadcast_id,
        sent=formats.number(progress.sent, language),
        failed=formats.number(progress.failed, language),
        blocked=formats.number(progress.blocked, language),
        left=formats.number(progress.left, language),
        rate=formats.number(round(rate, 1), language),
        eta=formats.duration(eta, language),
    )
    return text
