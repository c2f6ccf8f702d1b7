"""Spotting messages that suggest danger, so safety resources come before anything else.

This is a deliberately wide net: showing help to someone who did not need it costs a
moment; missing someone who did could cost far more. The patterns live in the content
file, next to the resources they lead to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dialogs.normalise import normalise


class DangerDetector:
    """Matches free text against the content's danger patterns."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._pattern = re.compile("|".join(f"(?:{p})" for p in patterns))

    def suggests_danger(self, text: str) -> bool:
        """True when the text, with case and accents folded, matches any danger pattern."""
        folded = " ".join(normalise(text).split())
        raw = " ".join(text.casefold().split())
        return bool(self._pattern.search(folded) or self._pattern.search(raw))
