"""People's language as one the bot speaks: ``en``, ``ru`` or ``es``.

Until now ``users.language`` held whatever Telegram sent last (``ru-RU``, ``pt-br``,
nothing). From now on it is the language the person is talked to in: picked once from
Telegram's at first contact, then changed only by the person (/language). Existing rows
get the language they were in fact talked to in, so statistics and audiences by language
count them where they belong.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("language", sa.String()))
#: The languages the bot spoke when this migration was written (English for the rest).
SPOKEN = ("ru", "es")


def upgrade() -> None:
    code = sa.func.lower(sa.func.coalesce(_users.c.language, ""))
    spoken = sa.case(
        *[
            (
                sa.or_(
                    code == language,
                    code.like(f"{language}-%"),
                    code.like(f"{language}!_%", escape="!"),
                ),
                language,
            )
            for language in SPOKEN
        ],
        else_="en",
    )
    op.get_bind().execute(sa.update(_users).values(language=spoken))


def downgrade() -> None:
    """Nothing to undo: a language code is still a language code."""
