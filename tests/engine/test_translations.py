"""What a change to the English left untranslated: listed at the end of every run.

``dialogs/content/translations.lock`` records which English text each translated text was
made from. A changed English text does not fail the run (the translation still loads, and
parity has checked its keys and placeholders); it is listed in the terminal summary under
"translations to update" until someone retranslates it and refreshes the record.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

from dialogs import CONTENT_DIR
from dialogs.translations import (
    LOCK_FILE,
    outdated,
    read_lock,
    refresh,
    report,
    source_fingerprints,
    translated_languages,
)


@cache
def to_update() -> dict[str, list[str]]:
    """Per translated language, the key paths whose English changed since translation."""
    current = source_fingerprints()
    lock = read_lock()
    return {language: outdated(language, lock, current) for language in translated_languages()}


def test_every_translated_language_is_recorded_in_the_lock() -> None:
    lock = read_lock()
    for language in translated_languages():
        assert lock.get(language), f"{language}: run python -m dialogs.translations --refresh"
    stale = to_update()  # listed in the terminal summary; never a failure
    assert set(stale) == set(translated_languages())


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "content"
    folder.mkdir()
    for path in CONTENT_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    lock = tmp_path / "translations.lock"
    shutil.copy(LOCK_FILE, lock)
    return folder, lock


def test_a_changed_english_text_is_listed_until_refreshed(tmp_path: Path) -> None:
    folder, lock = _copy(tmp_path)
    english = folder / "en.yaml"
    text = english.read_text(encoding="utf-8")
    old = '  skipped: "Skipped. That\'s fine."'
    assert old in text
    english.write_text(text.replace(old, '  skipped: "Skipped, no problem."'), encoding="utf-8")
    current = source_fingerprints(folder)
    assert outdated("ru", read_lock(lock), current) == ["ui.skipped"]
    assert outdated("es", read_lock(lock), current) == ["ui.skipped"]
    assert "  ru.yaml: ui.skipped" in report(folder, lock)
    refresh("ru", ["ui.skipped"], folder, lock)
    assert outdated("ru", read_lock(lock), current) == []
    assert outdated("es", read_lock(lock), current) == ["ui.skipped"]


def test_a_new_english_text_is_listed_as_never_translated(tmp_path: Path) -> None:
    folder, lock = _copy(tmp_path)
    english = folder / "en.yaml"
    text = english.read_text(encoding="utf-8")
    old = '  anything_else: "Anything else?"\n'
    english.write_text(text.replace(old, old + '  goodbye: "Bye."\n'), encoding="utf-8")
    assert outdated("ru", read_lock(lock), source_fingerprints(folder)) == ["ui.goodbye"]
