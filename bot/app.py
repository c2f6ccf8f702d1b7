"""Putting the bot together and running it until it is told to stop.

Start-up order: settings are already checked; migrations bring the database to head (if
it is not there already, under a lock that processes starting together take in turn); the
process joins the others on the database (``storage/presence.py``: on SQLite, it must be
the only one); the content is loaded and checked; the application is built with a request
pool sized for concurrent people; the command menu is published; then the intake (polling
while this process leads, or the webhook), the housekeeping, the leadership and the
takeover of what dead processes left run side by side until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import signal
import socket
from dataclasses import dataclass
from typing import Any

from telegram import Bot, BotCommand
from telegram.ext import Application

from bot.admin import AdminHandlers
from bot.commands import menu, publish_menu
from bot.config import BotMode, Settings
from bot.conversation import ConversationService
from bot.delivery import Delivery
from bot.handlers import HANDLED_COMMANDS, Handlers
from bot.health import Health
from bot.health import serve as serve_health
from bot.housekeeping import Housekeeping
from bot.http import AiohttpRequest
from bot.intake import Dispatcher, PollingIntake, WebhookIntake
from bot.limits import Limits, overall_share
from bot.sender import Sender
from bot.services import Services
from bot.takeover import Takeover
from dialogs import default_library
from dialogs.content_model import Action
from dialogs.events import Act
from storage.batches import BatchWriter
from storage.conversations import ConversationStore
from storage.database import Database
from storage.inbox import Inbox
from storage.outbox import OutboxStore
from storage.presence import Presence
from storage.schema import ensure_schema
from storage.users import UserStore

log = logging.getLogger(__name__)
#: Seconds to wait for Telegram's answer to a call (PTB's default): a hung call is retried
#: by the sender rather than holding its chat for long.
READ_TIMEOUT = 5.0


@dataclass
class Running:
    """A started bot: what tests and benchmarks may look at while it runs."""

    services: Services
    dispatcher: Dispatcher
    intake: PollingIntake | WebhookIntake
    housekeeping: Housekeeping
    presence: Presence
    takeover: Takeover
    admin: AdminHandlers
    delivery: Delivery
    writer: BatchWriter


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """A python-telegram-bot Application for the settings, without PTB's own Updater."""
    root = settings.telegram_api_base_url
    return (
        Application.builder()
        .token(settings.token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
        .request(
            AiohttpRequest(
                connection_pool_size=settings.telegram_pool_size,
                read_timeout=READ_TIMEOUT,
                write_timeout=10,
                connect_timeout=5,
                pool_timeout=10,
            )
        )
        .get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=10))
        .build()
    )


def process_token() -> str:
    """Who owns outbox rows: unique to this process, readable in the database."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


async def run_bot(
    settings: Settings,
    stop: asyncio.Event | None = None,
    started: asyncio.Future[Running] | None = None,
) -> None:
    """Runs the bot until ``stop`` is set (or a signal arrives, when ``stop`` is None)."""
    stop = stop or _stop_on_signals()
    database = Database(settings.database_url)
    presence = Presence(database, process_token())
    try:
        if database.is_sqlite:  # refused before touching the file if another process has it
            await presence.join()
        await ensure_schema(database)
        if not database.is_sqlite:  # joining writes to a table the migrations make
            await presence.join()
        library = default_library()
        engine = library.engine()
        menus = {
            language: menu(library.engine(language).content, HANDLED_COMMANDS)
            for language in library.languages
        }
        application = build_application(settings)
        writer = BatchWriter(database)
        outbox = OutboxStore(database, writer, presence)
        sender = Sender(
            application.bot,
            Limits(settings.rates),
            broadcast_bot=broadcast_bot(settings),
            in_flight=settings.telegram_pool_size,
            broadcast_in_flight=settings.broadcast_concurrency,
        )
        conversations = ConversationService(
            engine,
            ConversationStore(database, writer, outbox),
            settings.checkin_delay,
            library=library,
        )
        users = UserStore(database)
        services = Services(
            engine=engine,
            library=library,
            database=database,
            conversations=conversations,
            users=users,
            outbox=outbox,
            sender=sender,
            admin_ids=settings.admin_ids,
        )
        delivery = Delivery(outbox, sender, resume=lambda chat_id: _resume(services, chat_id))
        outbox.listener = delivery.take
        Handlers(services).register(application)
        admin = AdminHandlers(
            services,
            rate=settings.broadcast_rate,
            concurrency=settings.broadcast_concurrency,
            report_every=settings.broadcast_progress_interval,
        )
        admin.register(application)
        async with application, sender.broadcast_bot:
            await application.start()
            try:
                await _serve(
                    settings,
                    application,
                    services,
                    admin,
                    delivery,
                    writer,
                    menus,
                    stop,
                    started,
                )
            finally:
                await application.stop()
    finally:
        await presence.leave()
        await database.dispose()
        log.info("Closer has stopped")


async def _serve(
    settings: Settings,
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    admin: AdminHandlers,
    delivery: Delivery,
    writer: BatchWriter,
    menus: dict[str, list[BotCommand]],
    stop: asyncio.Event,
    started: asyncio.Future[Running] | None,
) -> None:
    """Publishes the menus (one per language), and runs the loops until stopped."""
    source = services.library.languages[0]
    for language, commands in menus.items():  # English for everyone, the others by name
        await publish_menu(services.sender, commands, None if language == source else language)
    await admin.publish_menu(services.sender, menus)
    presence = services.outbox.presence
    dispatcher = Dispatcher(application)
    inbox = Inbox(writer, presence)
    intake = _intake(settings, application, dispatcher, inbox, presence)
    takeover = Takeover(presence, services.outbox, delivery, inbox, admin.broadcaster)
    takeover.handle = intake.take
    health = Health(presence, services.outbox, services.sender, dispatcher, delivery, admin.store)

    def share_the_overall_limit() -> None:
        fraction = overall_share(
            live=presence.live,
            leading=presence.leading.is_set(),
            every_process_replies=not isinstance(intake, PollingIntake),
        )
        services.sender.limits.share(fraction)
        if presence.live > 1:
            log.info(
                "%d processes on the database: this one keeps %.0f%% of the overall limit",
                presence.live,
                fraction * 100,
            )

    presence.on_change = share_the_overall_limit
    share_the_overall_limit()
    loops = []
    if isinstance(intake, PollingIntake):
        intake.on_leading = takeover.sweep
        if settings.health_port:
            loops.append(serve_health(health, settings.health_listen, settings.health_port, stop))
    else:
        intake.more_routes = health.add_routes
    housekeeping = Housekeeping(
        services,
        reminder_delay=settings.reminder_delay,
        interval=settings.reminder_check_interval,
    )
    # Everything loaded so far (libraries, content, machine) lives as long as the process;
    # freezing it keeps the garbage collector from walking it again on every collection.
    gc.collect()
    gc.freeze()
    log.info("Closer is up (%s, %s)", settings.bot_mode.value, services.database.describe())
    if started is not None:
        started.set_result(
            Running(
                services,
                dispatcher,
                intake,
                housekeeping,
                presence,
                takeover,
                admin,
                delivery,
                writer,
            )
        )
    try:
        await _until_stopped(
            stop,
            intake.run(stop),
            housekeeping.run(stop, intake.caught_up),
            presence.run(stop),
            takeover.run(stop),
            *loops,
        )
    finally:
        await admin.broadcaster.close()
        await delivery.close()
        await writer.close()  # the last records of what was delivered
        log.info(
            "handled %d updates; stored %d events in %d transactions; delivered %d calls",
            dispatcher.processed,
            services.conversations.store.events_committed,
            writer.batches_committed,
            delivery.delivered,
        )


async def _resume(services: Services, chat_id: int) -> None:
    """Shows someone their current question (an owed reply from before the outbox)."""
    stored = await services.users.profile(chat_id)
    if stored is not None:
        await services.conversations.apply(stored, Act(Action.CONTINUE))


def broadcast_bot(settings: Settings) -> Bot:
    """A Bot of its own for broadcasts, so they never queue behind replies for connections."""
    root = settings.telegram_api_base_url
    request = AiohttpRequest(
        connection_pool_size=settings.broadcast_concurrency,
        read_timeout=READ_TIMEOUT,
        write_timeout=10,
        connect_timeout=5,
        pool_timeout=30,
    )
    return Bot(
        settings.token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot", request=request
    )


def _intake(
    settings: Settings,
    application: Application[Any, Any, Any, Any, Any, Any],
    dispatcher: Dispatcher,
    inbox: Inbox,
    presence: Presence,
) -> PollingIntake | WebhookIntake:
    if settings.bot_mode is BotMode.POLLING:
        return PollingIntake(application.bot, dispatcher, inbox, presence.leading)
    assert settings.webhook_url is not None
    assert settings.webhook_secret_token is not None
    return WebhookIntake(
        application.bot,
        dispatcher,
        inbox,
        presence,
        url=settings.webhook_url,
        path=settings.webhook_path,
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        secret=settings.webhook_secret_token.get_secret_value(),
    )


async def _until_stopped(stop: asyncio.Event, *work: Any) -> None:
    """Runs the loops; if one fails, the others are stopped and the error is raised."""
    tasks = [asyncio.ensure_future(job) for job in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # re-raises a loop's failure
    finally:
        stop.set()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop
