"""The dialogue: content, the state machine built from it, and the engine that runs it.

Nothing in this package knows about Telegram or databases; see ``bot/`` and ``storage/``.
Every language's content is loaded and checked together (``dialogs.library``); the bot
picks a person's engine with ``default_library().engine_for(language_code)``.
"""

from __future__ import annotations

from dialogs.content_model import Content, ContentError, load_content
from dialogs.engine import DialogueEngine
from dialogs.library import CONTENT_DIR, SOURCE_LANGUAGE, Library, default_library

DEFAULT_LANGUAGE = SOURCE_LANGUAGE

__all__ = [
    "CONTENT_DIR",
    "Content",
    "ContentError",
    "DialogueEngine",
    "Library",
    "default_engine",
    "default_library",
    "load_content",
]


def default_engine(language: str = DEFAULT_LANGUAGE) -> DialogueEngine:
    """The engine for a language's content (English when there is none for it).

    Loading it loads and cross-checks every language, so a broken translation stops
    start-up even where only English is used yet."""
    return default_library().engine(language)
