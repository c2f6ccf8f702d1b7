"""What the handlers work with, assembled once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import ConversationService
from bot.sender import Sender
from dialogs.engine import DialogueEngine
from dialogs.library import Library
from storage.database import Database
from storage.outbox import OutboxStore
from storage.users import UserStore


@dataclass(frozen=True)
class Services:
    """The engine, the stores, and the way out to Telegram.

    Everything a handler says goes into ``outbox`` (committed, then delivered); ``sender``
    is for what cannot be committed: telling someone to try again while the database is
    out."""

    engine: DialogueEngine
    #: Every language's engine: each person is talked to in their own.
    library: Library
    database: Database
    conversations: ConversationService
    users: UserStore
    outbox: OutboxStore
    sender: Sender
    admin_ids: frozenset[int]
