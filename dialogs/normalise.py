"""Folding typed text into a canonical form, so "Yes!", " YES " and "yés" compare equal."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+")
#: Letters whose mark is part of the letter, not an accent: "й" is not "и" with a breve
#: to a Russian reader ("мой" and "мои" are different words). NFKD splits them; this
#: puts them back. ("ё" is still folded to plain "e": Russians type it so all the time.)
_KEEP_MARKS = {"\u0438\u0306": "\u0439", "\u0418\u0306": "\u0419"}
_KEPT = re.compile("|".join(_KEEP_MARKS))


def strip_accents(text: str) -> str:
    """Drops accents ("é" to "e", "ñ" to "n", "ё" to Cyrillic "e") but keeps letters that are not
    accented forms of another ("й")."""
    if text.isascii():  # most messages are: they have no accents to strip
        return text
    decomposed = _KEPT.sub(lambda m: _KEEP_MARKS[m.group()], unicodedata.normalize("NFKD", text))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalise(text: str) -> str:
    """Folds case and accents, drops apostrophes, turns other punctuation into spaces, trims."""
    without_accents = strip_accents(text.casefold())
    return _NOT_WORD.sub(" ", without_accents.replace("'", "").replace("\u2019", "")).strip()
