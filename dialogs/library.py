"""Every language's dialogue, loaded and checked together, and the one for a person.

Each ``dialogs/content/<language>.yaml`` is one language; a new language is one more
file. Loading reads them all, validates each on its own (``content_model``), checks each
against English (``parity``: same steps, options, weights, flow and placeholders, only
the words differ), and builds one engine per language, all sharing one danger detector.
Any problem stops start-up with lines naming the file and the key.

The bot asks for a person's engine by Telegram's ``language_code``::

    library = default_library()
    engine = library.engine_for(user.language_code)   # "ru-RU" -> ru, "pt" -> en

Snapshots are the same in every language (same steps, options and content version), so
a person can switch language mid-conversation and carry on where they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialogs.content_model import ContentError, parse_content, read_words_yaml
from dialogs.engine import DialogueEngine
from dialogs.parity import check_parity
from dialogs.safety import DangerDetector, default_detector

CONTENT_DIR = Path(__file__).parent / "content"
#: The language every other is translated from, and the one for anyone else.
SOURCE_LANGUAGE = "en"


def language_for(language_code: str | None, available: Mapping[str, object]) -> str:
    """The available language for a Telegram ``language_code`` ("es-419" -> "es"),
    English when there is none for it (or no code at all)."""
    if language_code:
        base = language_code.strip().lower().replace("_", "-").split("-")[0]
        if base in available:
            return base
    return SOURCE_LANGUAGE


@dataclass(frozen=True, slots=True)
class Library:
    """One engine per language; English first, then the others by code."""

    engines: Mapping[str, DialogueEngine]

    @property
    def languages(self) -> tuple[str, ...]:
        """The language codes, English first."""
        return tuple(self.engines)

    def language_for(self, language_code: str | None) -> str:
        """The language to talk in for a Telegram ``language_code`` (see ``language_for``)."""
        return language_for(language_code, self.engines)

    def engine(self, language: str = SOURCE_LANGUAGE) -> DialogueEngine:
        """The engine of a language code as stored ("ru"); English for any other."""
        return self.engines.get(language) or self.engines[SOURCE_LANGUAGE]

    def engine_for(self, language_code: str | None) -> DialogueEngine:
        """The engine for a Telegram ``language_code`` ("ru-RU", "es-419", None)."""
        return self.engines[self.language_for(language_code)]

    def names(self) -> dict[str, str]:
        """Each language's own name ("Русский"), for the buttons that switch to it."""
        return {code: engine.content.ui.language_name for code, engine in self.engines.items()}

    def choose_prompt(self, language: str) -> str:
        """ "Which language would you like to talk in?", in the person's current language."""
        return self.engine(language).content.ui.language_prompt

    def changed(self, language: str) -> str:
        """What is said, in the new language, once someone switches to it."""
        return self.engine(language).content.ui.language_changed


def load_library(directory: Path = CONTENT_DIR, detector: DangerDetector | None = None) -> Library:
    """Reads, validates and cross-checks every content file in ``directory``."""
    paths = {path.stem: path for path in sorted(directory.glob("*.yaml"))}
    if SOURCE_LANGUAGE not in paths:
        raise ContentError(f"{directory}: no {SOURCE_LANGUAGE}.yaml, the source of every language")
    raws = {language: read_words_yaml(path) for language, path in paths.items()}
    # English first, on its own; then each translation against it, before its own checks,
    # so a difference is told as the key that differs ("steps.pattern.options.often")
    # rather than as whatever it breaks further on.
    contents = {SOURCE_LANGUAGE: parse_content(raws[SOURCE_LANGUAGE], str(paths[SOURCE_LANGUAGE]))}
    for language, path in paths.items():
        if language == SOURCE_LANGUAGE:
            continue
        check_parity(raws[SOURCE_LANGUAGE], raws[language], name=str(path))
        contents[language] = parse_content(raws[language], source=str(path))
    for language, content in contents.items():
        if content.language != language:
            raise ContentError(
                f"{paths[language]}: language: {content.language!r}, but the file is "
                f"{language}.yaml (the file's name is its language)"
            )
    shared = detector or default_detector()
    order = [SOURCE_LANGUAGE, *sorted(set(contents) - {SOURCE_LANGUAGE})]
    return Library({language: DialogueEngine(contents[language], shared) for language in order})


@cache
def default_library() -> Library:
    """The library of the content the bot ships, loaded once per process."""
    return load_library()
