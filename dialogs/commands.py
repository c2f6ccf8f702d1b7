"""Slash-command names for the moves that work at any step, defined once for every front end."""

from __future__ import annotations

from types import MappingProxyType

from dialogs.content_model import Action

#: ``/name`` -> the engine action it asks for. ``/start`` is separate: it opens or resumes.
COMMAND_ACTIONS = MappingProxyType(
    {
        "resume": Action.CONTINUE,
        "back": Action.BACK,
        "skip": Action.SKIP,
        "more": Action.MORE,
        "pause": Action.PAUSE,
        "progress": Action.PROGRESS,
        "restart": Action.RESTART,
        "summary": Action.REVIEW,
        "help": Action.HELP,
        "privacy": Action.PRIVACY,
        "sos": Action.SOS,
    }
)
START_COMMAND = "start"
