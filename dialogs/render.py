"""Filling placeholders such as ``{name}`` into content texts.

Values are inserted as plain text and never re-read as templates, so a user whose name is
``{title}`` or ``<b>&`` gets exactly that back; escaping for Telegram's markup happens in
the bot, the one place that knows which markup it uses.
"""

from __future__ import annotations

from typing import Protocol


class Render(Protocol):
    """Anything that turns a content template into the text to send."""

    def __call__(self, template: str) -> str: ...


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""  # content validation forbids unknown placeholders; never crash a chat on one


class TemplateRenderer:
    """Renders templates with one user's values: name, progress, section title, track."""

    __slots__ = ("_values",)

    def __init__(self, **values: str) -> None:
        self._values = _Values(values)

    def __call__(self, template: str) -> str:
        """Fills the placeholders; a template without braces is returned as it is."""
        if "{" not in template:
            return template
        return template.format_map(self._values)

    def with_values(self, **values: str) -> TemplateRenderer:
        """A renderer that knows these values too (for example the track, once it is known)."""
        return TemplateRenderer(**{**self._values, **values})
