"""The kinds of danger the bot answers with safety resources, defined once.

The lexicons find them, the content says what each one is answered with, and storage
counts them; none of those should depend on another just to name a kind.
"""

from __future__ import annotations

from enum import StrEnum


class DangerKind(StrEnum):
    """The kinds of danger the bot answers with resources, each with its own reply."""

    SELF_HARM = "self_harm"
    PARTNER_VIOLENCE = "partner_violence"
    SEXUAL_VIOLENCE = "sexual_violence"
    PARTNER_THREATENS_SELF_HARM = "partner_threatens_self_harm"
    PARTNER_URGES_SELF_HARM = "partner_urges_self_harm"
