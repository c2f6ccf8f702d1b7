"""The serialisable state of one conversation, as stored between events.

A snapshot is plain, JSON-shaped data: the machine state (a step id), the answers given,
the path taken (so "back" retraces it), a counter that tells current buttons from old
ones, and the content version it was written with. The engine never keeps anything about
a user in memory between events; everything it needs comes back in through a snapshot.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: "Back" can retrace at most this many steps; older path entries are dropped.
HISTORY_LIMIT = 64


class Snapshot(BaseModel):
    """Everything the engine knows about one conversation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: str = Field(min_length=1, max_length=64)
    answers: dict[str, str] = Field(default_factory=dict)
    history: tuple[str, ...] = Field(default=(), max_length=HISTORY_LIMIT)
    seq: int = Field(default=0, ge=0)
    paused: bool = False
    #: A safety reply asked "Are you safe right now?" and the answer has not come yet.
    safety_open: bool = False
    #: A safety reply came since the last answer: no nudge about the dialogue, then.
    safety_since_answer: bool = False
    #: During a check-in: the answers the revisited questions had before it ("then").
    checkin_then: dict[str, str] = Field(default_factory=dict)
    content_version: str = Field(min_length=1, max_length=32)

    def to_json(self) -> str:
        """Serialises to the JSON text that storage keeps."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Snapshot:
        """Parses stored JSON; raises pydantic.ValidationError on anything malformed."""
        return cls.model_validate_json(text)

    def to_dict(self) -> dict[str, object]:
        """The JSON-shaped dict form, for databases with a native JSON column."""
        return self.model_dump(mode="json")
