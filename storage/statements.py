"""The conversation store's SQL, built once per dialect and reused for every batch.

Building an upsert with ``excluded`` columns and computing its cache key costs more than
running it; these constructs are made once, with every per-row value a bound parameter, so
each batch only binds values and hits SQLAlchemy's compiled-statement cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from storage.columns import UtcDateTime
from storage.models import (
    Answer,
    ConversationSession,
    InboxUpdate,
    ProcessedUpdate,
    SafetyReply,
    User,
)
from storage.upsert import insert_for

SESSION_COLUMNS = (
    ConversationSession.id,
    ConversationSession.user_id,
    ConversationSession.snapshot,
    ConversationSession.content_version,
    ConversationSession.started_at,
    ConversationSession.updated_at,
    ConversationSession.completed_at,
    ConversationSession.reminder_sent_at,
    ConversationSession.reply_owed_at,
)


@dataclass(frozen=True)
class ConversationStatements:
    """Every statement a batch of events needs."""

    claim_updates: Any
    touch_users: Any
    current_sessions: Any
    retire_sessions: Any
    insert_sessions: Any
    update_sessions: Any
    upsert_answers: Any
    delete_answers: Any
    set_subscribed: Any
    keep_inbox: Any
    forget_inbox: Any
    settle_owed: Any
    count_safety_reply: Any
    schedule_checkin: Any

    @classmethod
    def for_dialect(cls, dialect: str) -> ConversationStatements:
        """Builds the statements for ``sqlite`` or ``postgresql``."""
        users = insert_for(dialect, User)
        answers = insert_for(dialect, Answer)
        return cls(
            claim_updates=insert_for(dialect, ProcessedUpdate)
            .on_conflict_do_nothing(index_elements=[ProcessedUpdate.update_id])
            .returning(ProcessedUpdate.update_id),
            touch_users=users.on_conflict_do_update(
                index_elements=[User.id],
                set_={
                    "first_name": users.excluded.first_name,
                    "language": users.excluded.language,
                    "last_seen_at": users.excluded.last_seen_at,
                    "blocked": False,
                    "blocked_at": None,
                },
            ).returning(User.id, User.subscribed),
            current_sessions=select(*SESSION_COLUMNS).where(
                ConversationSession.user_id.in_(bindparam("user_ids", expanding=True)),
                ConversationSession.is_current,
            ),
            retire_sessions=update(ConversationSession)
            .where(ConversationSession.id.in_(bindparam("session_ids", expanding=True)))
            .values(is_current=False),
            insert_sessions=insert_for(dialect, ConversationSession).returning(
                ConversationSession.user_id, ConversationSession.id, sort_by_parameter_order=True
            ),
            update_sessions=update(ConversationSession)
            .where(ConversationSession.id == bindparam("b_id"))
            .values(
                snapshot=bindparam("b_snapshot", type_=ConversationSession.snapshot.type),
                content_version=bindparam("b_version"),
                step=bindparam("b_step"),
                top_factor=bindparam("b_top_factor"),
                track=bindparam("b_track"),
                updated_at=bindparam("b_now", type_=UtcDateTime()),
                # owed until the bot notes the reply as delivered (storage/owed.py)
                reply_owed_at=bindparam("b_now", type_=UtcDateTime()),
                completed_at=func.coalesce(
                    ConversationSession.completed_at,
                    bindparam("b_completed", type_=UtcDateTime()),
                ),
            ),
            upsert_answers=answers.on_conflict_do_update(
                index_elements=[Answer.session_id, Answer.step],
                set_={
                    "option": answers.excluded.option,
                    "answered_at": answers.excluded.answered_at,
                },
            ),
            delete_answers=delete(Answer).where(
                Answer.session_id == bindparam("b_session"), Answer.step == bindparam("b_step")
            ),
            set_subscribed=update(User)
            .where(User.id == bindparam("b_user"))
            .values(subscribed=bindparam("b_subscribed")),
            keep_inbox=insert_for(dialect, InboxUpdate).on_conflict_do_nothing(
                index_elements=[InboxUpdate.update_id]
            ),
            settle_owed=update(ConversationSession)
            .where(
                ConversationSession.user_id == bindparam("b_user"),
                ConversationSession.is_current,
                ConversationSession.reply_owed_at <= bindparam("b_at", type_=UtcDateTime()),
            )
            .values(reply_owed_at=None),
            forget_inbox=delete(InboxUpdate).where(
                InboxUpdate.update_id.in_(bindparam("update_ids", expanding=True))
            ),
            count_safety_reply=insert_for(dialect, SafetyReply),
            schedule_checkin=update(ConversationSession)
            .where(ConversationSession.id == bindparam("b_id"))
            .values(
                checkin_due_at=bindparam("b_due", type_=UtcDateTime()),
                checkin_sent_at=None,
            ),
        )
