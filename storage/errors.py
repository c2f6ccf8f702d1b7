"""The one error storage raises when the database cannot serve a request right now."""

from __future__ import annotations

from enum import StrEnum


class Unavailability(StrEnum):
    """Why the database could not serve a request."""

    LOCKED = "locked"  # another process holds a lock past the timeout
    READ_ONLY = "read_only"
    UNREACHABLE = "unreachable"  # server down, file missing, connection lost
    FAILED = "failed"  # disk error, disk full, anything else the driver reports


class StorageUnavailableError(RuntimeError):
    """The database is locked, read-only, missing or unreachable; nothing was changed.

    The message says which, in words an operator can act on; callers tell the user to try
    again in a moment, and nothing half-done is left behind because the transaction rolled
    back.
    """

    def __init__(self, message: str, kind: Unavailability = Unavailability.FAILED) -> None:
        super().__init__(message)
        self.kind = kind
