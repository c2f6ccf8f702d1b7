"""What the handlers work with, assembled once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation import ConversationService
from bot.responder import Responder
from bot.sender import Sender
from dialogs.engine import DialogueEngine
from storage.database import Database
from storage.users import UserStore


@dataclass(frozen=True)
class Services:
    """The engine, the stores and the ways of talking back."""

    engine: DialogueEngine
    database: Database
    conversations: ConversationService
    users: UserStore
    sender: Sender
    responder: Responder
    admin_ids: frozenset[int]
