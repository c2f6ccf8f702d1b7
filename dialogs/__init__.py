"""The dialogue: content, the state machine built from it, and the engine that runs it.

Nothing in this package knows about Telegram or databases; see ``bot/`` and ``storage/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dialogs.content_model import Content, ContentError, load_content
from dialogs.engine import DialogueEngine

CONTENT_DIR = Path(__file__).parent / "content"
DEFAULT_LANGUAGE = "en"

__all__ = ["CONTENT_DIR", "Content", "ContentError", "DialogueEngine", "default_engine"]


@cache
def default_engine(language: str = DEFAULT_LANGUAGE) -> DialogueEngine:
    """The engine for a language's content file (English when there is none for it)."""
    path = CONTENT_DIR / f"{language}.yaml"
    if not path.exists():
        path = CONTENT_DIR / f"{DEFAULT_LANGUAGE}.yaml"
    return DialogueEngine(load_content(path))
