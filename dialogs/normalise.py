"""Folding typed text into a canonical form, so "Yes!", " YES " and "yés" compare equal."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    """Folds case and accents, drops apostrophes, turns other punctuation into spaces, trims."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", without_accents.replace("'", "").replace("\u2019", "")).strip()
