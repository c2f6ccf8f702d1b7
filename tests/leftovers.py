"""English left over in a Russian or Spanish message: what the language walks check."""

from __future__ import annotations

import re

#: Latin words allowed in any language: the bot's name, commands, web addresses, the
#: person's name, "SIM" (as Russian writes "SIM-карта"), and what is typed by people
#: rather than written by us.
_ALLOWED = re.compile(
    r"/[a-z]+|\b[\w.-]+\.(?:com|org|net)\b|\b(?:Closer|Telegram|Sam|SOS|SIM)\b", re.I
)
#: English words that are not also Spanish (or Russian transliteration) ones.
_ENGLISH_WORDS = frozenset([
    "the", "you", "your", "and", "with", "that", "this", "what", "when", "how", "have",
    "not", "don't", "can't", "it's", "i'm", "let's", "step", "of", "to", "is", "are", "they",
    "their", "them", "we", "our", "will", "would", "be", "been", "for", "about", "tell",
    "more", "back", "skip", "pause", "help", "privacy", "summary", "start", "over", "yes",
    "thanks", "thank", "still", "time", "partner", "feel", "feelings", "talk", "future",
    "friends", "family", "now", "ready",
])  # fmt: skip


def assert_no_english(language: str, read: list[str]) -> None:
    """Fails naming every message of ``language`` with English words left in it."""
    leftovers = []
    for text in read:
        stripped = _ALLOWED.sub(" ", text)
        latin = re.findall(r"[A-Za-z][A-Za-z']+", stripped)
        if language == "ru":
            found = latin  # any Latin word left in Russian is English left over
        else:
            found = [word for word in latin if word.lower() in _ENGLISH_WORDS]
        if found:
            leftovers.append((found, text))
    assert leftovers == [], leftovers
