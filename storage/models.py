"""The tables, as SQLAlchemy 2 declarative models. Alembic migrations create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import JsonDocument, UtcDateTime

#: Identifiers of steps, options, factors and tracks are short (the content checks it).
ID_LENGTH = 64


class Base(DeclarativeBase):
    """Declarative base for every table."""


class User(Base):
    """A person who has talked to the bot, keyed by their Telegram user id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The message in their chat whose buttons are live (the last keyboard delivered), so
    #: the next one can take them away: a phone never shows two sets of answers.
    keyboard_message_id: Mapped[int | None] = mapped_column(BigInteger)


class ConversationSession(Base):
    """One run through the dialogue. Restarting begins a new row; the old one is kept.

    ``snapshot`` is the engine's state and the only source of truth for it. ``step``,
    ``top_factor`` and ``track`` are projections of it, written in the same transaction,
    so statistics and broadcast audiences can filter in SQL instead of parsing JSON.
    """

    __tablename__ = "sessions"
    __table_args__ = (
        Index(
            "uq_sessions_current_per_user",
            "user_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_sessions_current_step", "is_current", "step"),
        Index("ix_sessions_idle", "is_current", "completed_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    content_version: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(ID_LENGTH))
    top_factor: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    track: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    checkin_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    checkin_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Answer(Base):
    """One answered question of a session; answering again replaces it, skipping removes it."""

    __tablename__ = "answers"

    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    step: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    option: Mapped[str] = mapped_column(String(ID_LENGTH))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Broadcast(Base):
    """New content an admin sends to an audience, and where its delivery stands.

    The content is the admin's own message, copied to each recipient (``copyMessage``), so
    formatting, photos, videos and documents arrive exactly as composed.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_by: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    source_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    content_kind: Mapped[str | None] = mapped_column(String(16))
    audience: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: The process sending it; a dead one's broadcast is taken over where it stopped.
    owner: Mapped[str | None] = mapped_column(String(64))
    panel_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BroadcastRecipient(Base):
    """One person's copy of a broadcast: pending, sending, sent, failed or blocked."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_status", "broadcast_id", "status", "user_id"),)

    broadcast_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(256))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InboxUpdate(Base):
    """An update taken from Telegram and not yet handled: kept so a crash cannot lose it.

    Polling writes each batch here before the next getUpdates confirms it to Telegram;
    rows go once their update has been handled, and a new start handles what is left.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_chat", "chat_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Whose updates these are: one person's are handled in order, by one process at a time.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The process handling it; a dead one's updates are taken over (``storage/presence.py``).
    owner: Mapped[str | None] = mapped_column(String(64))


class ProcessedUpdate(Base):
    """A Telegram update already applied, so a redelivered copy is recognised and skipped."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SafetyReply(Base):
    """One safety reply sent, for /stats: when, and the kinds of danger it answered.

    Deliberately not linked to anyone, and no words of the message are kept: a count is
    all the admins need, and all a person in danger should leave behind.
    """

    __tablename__ = "safety_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kinds: Mapped[str] = mapped_column(String(128))


class OutboxCall(Base):
    """A Bot API call the bot has committed to make, kept until Telegram confirms it.

    Written in the same transaction as what caused it, sent in ``id`` order within its
    chat, deleted once delivered (``storage/outbox.py``). ``owner`` is the process that
    sends it, for as long as it is alive (``storage/presence.py``).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_chat", "chat_id", "id"),
        Index("ix_outbox_owner", "owner"),
        {"sqlite_autoincrement": True},  # ids never reused: they are the order of sending
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    effects: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    owner: Mapped[str | None] = mapped_column(String(64))


class Process(Base):
    """A process that started on this database (``storage/presence.py``).

    On PostgreSQL it is alive exactly while it holds the session advisory lock on ``key``:
    a SIGKILL closes its connection and the lock goes with it, so the others know at once.
    """

    __tablename__ = "processes"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, unique=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
