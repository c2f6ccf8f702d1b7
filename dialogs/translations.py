"""What a change to the English text left untranslated, from a record kept beside the content.

``dialogs/content/translations.lock`` records, for each language and each text's key
path, a short hash of the English text it was translated from. When an English text
changes afterwards, its hash no longer matches, and ``make test`` lists the key under
"translations to update" (the translated file still loads: parity checks only that the
same keys and placeholders are there, not that the words are fresh).

After translating, record it:

    python -m dialogs.translations --refresh ru        # every text of ru.yaml is current
    python -m dialogs.translations --refresh ru --key steps.pattern.prompt
    python -m dialogs.translations                     # what is left to update, per language
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from dialogs.content_model import read_words_yaml
from dialogs.parity import texts

CONTENT_DIR = Path(__file__).parent / "content"
LOCK_FILE = CONTENT_DIR / "translations.lock"
SOURCE_LANGUAGE = "en"
_HEADER = (
    "# Which English text each translated text was made from: language, key path, and a\n"
    "# hash of the English text. Written by `python -m dialogs.translations --refresh LANG`\n"
    "# after translating; `make test` lists the keys whose English changed since.\n"
)

Lock = dict[str, dict[str, str]]


def fingerprint(text: str) -> str:
    """A short hash of an English text; it changes whenever the text does."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def source_fingerprints(directory: Path = CONTENT_DIR) -> dict[str, str]:
    """The fingerprint of every English text, by key path."""
    raw = read_words_yaml(directory / f"{SOURCE_LANGUAGE}.yaml")
    return {path: fingerprint(text) for path, text in texts(raw).items()}


def translated_languages(directory: Path = CONTENT_DIR) -> list[str]:
    """Every language with a content file, English aside."""
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem != SOURCE_LANGUAGE)


def read_lock(path: Path = LOCK_FILE) -> Lock:
    """The record, by language and key path (empty when there is none yet)."""
    lock: Lock = {}
    if not path.exists():
        return lock
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, key, digest = line.split("\t")
        lock.setdefault(language, {})[key] = digest
    return lock


def write_lock(lock: Lock, path: Path = LOCK_FILE) -> None:
    """Writes the record sorted, one text a line, so a diff shows what was retranslated."""
    lines = [
        f"{language}\t{key}\t{digest}"
        for language in sorted(lock)
        for key, digest in sorted(lock[language].items())
    ]
    path.write_text(_HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def outdated(
    language: str, lock: Mapping[str, Mapping[str, str]], current: Mapping[str, str]
) -> list[str]:
    """Key paths of a language whose English changed since they were translated (or that
    were never recorded as translated), in file order."""
    recorded = lock.get(language, {})
    return [key for key, digest in current.items() if recorded.get(key) != digest]


def refresh(
    language: str,
    keys: Iterable[str] | None = None,
    directory: Path = CONTENT_DIR,
    path: Path = LOCK_FILE,
) -> list[str]:
    """Records the language's texts (all, or only ``keys``) as translated from today's
    English; returns the keys recorded. Keys English no longer has are dropped."""
    current = source_fingerprints(directory)
    lock = read_lock(path)
    chosen = list(current) if keys is None else list(keys)
    unknown = [key for key in chosen if key not in current]
    if unknown:
        raise SystemExit(f"not English text keys: {', '.join(unknown)}")
    entries = {k: v for k, v in lock.get(language, {}).items() if k in current}
    entries.update({key: current[key] for key in chosen})
    lock[language] = entries
    write_lock(lock, path)
    return chosen


def report(directory: Path = CONTENT_DIR, path: Path = LOCK_FILE) -> list[str]:
    """Lines saying, per language, which texts to update (for people, not machines)."""
    current = source_fingerprints(directory)
    lock = read_lock(path)
    lines = []
    for language in translated_languages(directory):
        stale = outdated(language, lock, current)
        if not stale:
            lines.append(f"{language}: every text is translated from the current English")
            continue
        lines.append(f"{language}: {len(stale)} text(s) to update since the English changed:")
        lines.extend(f"  {language}.yaml: {key}" for key in stale)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Prints what is left to translate, or records a language as translated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", metavar="LANGUAGE", help="record LANGUAGE as translated")
    parser.add_argument("--key", action="append", help="only this key path (repeatable)")
    args = parser.parse_args(argv)
    if args.refresh:
        if args.refresh not in translated_languages():
            raise SystemExit(f"no content file for {args.refresh!r}")
        recorded = refresh(args.refresh, args.key)
        print(f"{args.refresh}: {len(recorded)} text(s) recorded as translated")
        return 0
    print("\n".join(report()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
