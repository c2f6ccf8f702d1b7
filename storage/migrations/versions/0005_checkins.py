"""The one check-in a week after the end: when it is due, and when it went out.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.columns import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as table:
        table.add_column(sa.Column("checkin_due_at", UtcDateTime(), nullable=True))
        table.add_column(sa.Column("checkin_sent_at", UtcDateTime(), nullable=True))
        table.create_index("ix_sessions_checkin_due_at", ["checkin_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("sessions") as table:
        table.drop_index("ix_sessions_checkin_due_at")
        table.drop_column("checkin_sent_at")
        table.drop_column("checkin_due_at")
