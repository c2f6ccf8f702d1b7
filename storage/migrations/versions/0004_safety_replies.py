"""Safety replies, counted for /stats: when, and the kinds of danger, never any text.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.columns import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_replies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sent_at", UtcDateTime(), nullable=False, index=True),
        sa.Column("kinds", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("safety_replies")
