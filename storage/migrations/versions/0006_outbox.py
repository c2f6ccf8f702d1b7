"""The outbox: committed Bot API calls, kept until Telegram confirms them.

Replaces the owed-reply marks on sessions. A database upgraded with conversations in
flight keeps its promise: every session still owed its reply becomes one outbox row,
``closer:resume``, which the bot turns into that person's current question (re-sent once,
as the marks would have had it). Users gain the message whose buttons are live in their
chat, which was only ever kept in a process's memory.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.columns import JsonDocument, UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The outbox row of an upgraded owed mark: "show this person their current question".
RESUME = "closer:resume"

_outbox = sa.table(
    "outbox",
    sa.column("chat_id", sa.BigInteger()),
    sa.column("method", sa.String()),
    sa.column("params", JsonDocument()),
    sa.column("created_at", UtcDateTime()),
)
_sessions = sa.table(
    "sessions",
    sa.column("user_id", sa.BigInteger()),
    sa.column("is_current", sa.Boolean()),
    sa.column("reply_owed_at", UtcDateTime()),
)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("params", JsonDocument(), nullable=False),
        sa.Column("effects", JsonDocument(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_chat", "outbox", ["chat_id", "id"])
    op.create_index("ix_outbox_lease", "outbox", ["lease_until"])
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("keyboard_message_id", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    owed = bind.execute(
        sa.select(_sessions.c.user_id, _sessions.c.reply_owed_at)
        .where(_sessions.c.is_current, _sessions.c.reply_owed_at.is_not(None))
        .order_by(_sessions.c.reply_owed_at)
    ).all()
    if owed:
        bind.execute(
            sa.insert(_outbox),
            [
                {"chat_id": user_id, "method": RESUME, "params": {}, "created_at": owed_at}
                for user_id, owed_at in owed
            ],
        )
    with op.batch_alter_table("sessions") as sessions:
        sessions.drop_index("ix_sessions_reply_owed_at")
        sessions.drop_column("reply_owed_at")


def downgrade() -> None:
    with op.batch_alter_table("sessions") as sessions:
        sessions.add_column(sa.Column("reply_owed_at", UtcDateTime(), nullable=True))
        sessions.create_index("ix_sessions_reply_owed_at", ["reply_owed_at"])
    # Whoever still has calls waiting is owed their reply again, the old way.
    waiting = sa.select(_outbox.c.chat_id).distinct().scalar_subquery()
    op.get_bind().execute(
        sa.update(_sessions)
        .where(_sessions.c.is_current, _sessions.c.user_id.in_(waiting))
        .values(reply_owed_at=datetime.now(UTC))
    )
    with op.batch_alter_table("users") as users:
        users.drop_column("keyboard_message_id")
    op.drop_index("ix_outbox_lease", table_name="outbox")
    op.drop_index("ix_outbox_chat", table_name="outbox")
    op.drop_table("outbox")
