"""A user's data rights (export everything, delete everything) and their delivery flags."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import delete, select, update

from storage.columns import utc_now
from storage.database import Database
from storage.models import Answer, ConversationSession, User
from storage.outbox import forget_chat
from storage.records import UserProfile
from storage.upsert import insert_for

EXPORT_FORMAT = "closer-user-export/1"


class UserStore:
    """Operations on one user as a whole."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def export(self, user_id: int) -> dict[str, Any] | None:
        """Everything stored about the user, as JSON-shaped data; None if nothing is stored."""
        async with self.database.read() as session:
            user = await session.get(User, user_id)
            if user is None:
                return None
            sessions = (
                await session.scalars(
                    select(ConversationSession)
                    .where(ConversationSession.user_id == user_id)
                    .order_by(ConversationSession.id)
                )
            ).all()
            answers = (
                await session.scalars(
                    select(Answer)
                    .where(Answer.session_id.in_([s.id for s in sessions]))
                    .order_by(Answer.session_id, Answer.answered_at, Answer.step)
                )
            ).all()
        by_session: dict[int, list[dict[str, Any]]] = {}
        for answer in answers:
            by_session.setdefault(answer.session_id, []).append(
                {
                    "step": answer.step,
                    "option": answer.option,
                    "answered_at": answer.answered_at.isoformat(),
                }
            )
        return {
            "format": EXPORT_FORMAT,
            "exported_at": utc_now().isoformat(),
            "user": {
                "telegram_id": user.id,
                "first_name": user.first_name,
                "language": user.language,
                "created_at": user.created_at.isoformat(),
                "last_seen_at": user.last_seen_at.isoformat(),
                "subscribed_to_new_content": user.subscribed,
            },
            "conversations": [
                {
                    "current": row.is_current,
                    "started_at": row.started_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                    "completed_at": row.completed_at.isoformat() if row.completed_at else None,
                    "step": row.step,
                    "top_factor": row.top_factor,
                    "track": row.track,
                    "content_version": row.content_version,
                    "snapshot": row.snapshot,
                    "answers": by_session.get(row.id, []),
                }
                for row in sessions
            ],
        }

    async def profile(self, user_id: int) -> UserProfile | None:
        """Who the person is, as far as storage knows (None for nobody)."""
        async with self.database.read() as session:
            row = (
                await session.execute(
                    select(User.id, User.first_name, User.language).where(User.id == user_id)
                )
            ).one_or_none()
        return UserProfile(row.id, row.first_name, row.language) if row is not None else None

    async def delete(self, user_id: int) -> bool:
        """Erases the user and everything that hangs off them; False if nothing was stored."""
        async with self.database.write() as session:
            session_ids = select(ConversationSession.id).where(
                ConversationSession.user_id == user_id
            )
            # Explicit deletes, not only ON DELETE CASCADE, so erasure never depends on a
            # connection having foreign keys switched on.
            await session.execute(delete(Answer).where(Answer.session_id.in_(session_ids)))
            await session.execute(
                delete(ConversationSession).where(ConversationSession.user_id == user_id)
            )
            await forget_chat(await session.connection(), user_id)  # nothing more is owed
            result = await session.execute(delete(User).where(User.id == user_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_subscribed(self, user: UserProfile, subscribed: bool) -> None:
        """Starts or stops new content for a person, remembering them if they are new.

        Someone who sends /stop before /start must still be opted out when they begin.
        """
        await self._remember(user, subscribed=subscribed)

    async def set_language(self, user: UserProfile, language: str) -> None:
        """Stores the language a person chose to talk in, remembering them if they are new."""
        await self._remember(replace(user, language=language), language=language)

    async def _remember(self, user: UserProfile, **changes: Any) -> None:
        """Creates the person (subscribed unless ``changes`` says otherwise) or, if they
        are known, sets only ``changes``; either way they were seen now."""
        now = utc_now()
        insert = insert_for(self.database.url.get_backend_name(), User).values(
            id=user.id,
            first_name=user.first_name,
            language=user.language,
            created_at=now,
            last_seen_at=now,
            subscribed=changes.get("subscribed", True),
            blocked=False,
        )
        async with self.database.write() as session:
            await session.execute(
                insert.on_conflict_do_update(
                    index_elements=[User.id], set_={**changes, "last_seen_at": now}
                )
            )

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Records that the user blocked (Telegram answered 403) or unblocked the bot."""
        async with self.database.write() as session:
            await session.execute(
                update(User)
                .where(User.id == user_id, User.blocked.is_not(blocked))
                .values(blocked=blocked, blocked_at=utc_now() if blocked else None)
            )
