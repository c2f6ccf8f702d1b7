"""Broadcasts and their recipients; indexes for statistics; replies owed after an outage.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.columns import JsonDocument, UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("source_message_id", sa.BigInteger(), nullable=True),
        sa.Column("content_kind", sa.String(16), nullable=True),
        sa.Column("audience", JsonDocument, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("panel_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_broadcasts_created_by", "broadcasts", ["created_by"])
    op.create_index("ix_broadcasts_status", "broadcasts", ["status"])
    op.create_table(
        "broadcast_recipients",
        sa.Column(
            "broadcast_id",
            sa.Integer(),
            sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(256), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
    )
    op.create_index(
        "ix_broadcast_recipients_status",
        "broadcast_recipients",
        ["broadcast_id", "status", "user_id"],
    )
    op.create_index("ix_users_created_at", "users", ["created_at"])
    op.create_index("ix_users_last_seen_at", "users", ["last_seen_at"])
    with op.batch_alter_table("sessions") as sessions:
        sessions.add_column(sa.Column("reply_owed_at", UtcDateTime(), nullable=True))
        sessions.create_index("ix_sessions_reply_owed_at", ["reply_owed_at"])


def downgrade() -> None:
    with op.batch_alter_table("sessions") as sessions:
        sessions.drop_index("ix_sessions_reply_owed_at")
        sessions.drop_column("reply_owed_at")
    op.drop_index("ix_users_last_seen_at", table_name="users")
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_broadcast_recipients_status", table_name="broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_index("ix_broadcasts_status", table_name="broadcasts")
    op.drop_index("ix_broadcasts_created_by", table_name="broadcasts")
    op.drop_table("broadcasts")
