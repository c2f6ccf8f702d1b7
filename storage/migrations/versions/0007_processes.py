"""Several processes on one database: who is alive, and who owns what.

``processes`` lists every process that has started on this database; on PostgreSQL a
process is alive exactly while it holds the session advisory lock on its ``key``
(``storage/presence.py``), so the others see a SIGKILL at once, without timeouts. Outbox
rows, inbox updates and broadcasts name the process that owns them; what a dead process
owned is taken over. Ownership by liveness replaces the outbox's leases, so their column
goes. The inbox learns each update's chat, so that one person's updates are handled by
one process at a time, in order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.columns import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("key", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
    )
    with op.batch_alter_table("inbox") as inbox:
        inbox.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        inbox.add_column(sa.Column("owner", sa.String(64), nullable=True))
        inbox.create_index("ix_inbox_chat", ["chat_id", "update_id"])
    with op.batch_alter_table("broadcasts") as broadcasts:
        broadcasts.add_column(sa.Column("owner", sa.String(64), nullable=True))
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_index("ix_outbox_lease")
        outbox.drop_column("lease_until")
        outbox.create_index("ix_outbox_owner", ["owner"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_index("ix_outbox_owner")
        outbox.add_column(sa.Column("lease_until", UtcDateTime(), nullable=True))
        outbox.create_index("ix_outbox_lease", ["lease_until"])
    with op.batch_alter_table("broadcasts") as broadcasts:
        broadcasts.drop_column("owner")
    with op.batch_alter_table("inbox") as inbox:
        inbox.drop_index("ix_inbox_chat")
        inbox.drop_column("owner")
        inbox.drop_column("chat_id")
    op.drop_table("processes")
