"""Checking a translated content file against the English one: same dialogue, other words.

English (``en.yaml``) is the source. Every other language's file must have the same
steps, options, ids, weights, flow, tracks and factors, the same keys everywhere, the
same number of messages, and the same placeholders in each text; only the words differ.
A difference stops start-up with one line per problem, naming the file and the key path:

    dialogs/content/ru.yaml: steps.pattern.options.often.label: missing

Key paths name list items by their ``id`` where they have one (steps, options, sections,
factors, tracks) and by their 1-based position otherwise (messages, suggestions). Three
kinds of value are told apart by where they sit:

* **structure** (ids, weights, ``next``, ``months``, ``when``, the version, every number
  and true/false): the same value in every language, since the dialogue must behave the
  same;
* **texts** (everything else that is a string): present in both, with the same
  placeholders, and the words are the translator's;
* **words** (``aliases``, ``cues``, ``greetings``, the safety question's typed answers,
  the whole ``understanding`` block) and **local** blocks (the safety resources, which
  differ by country): each language's own, so not compared; the file's own validation
  still checks them.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dialogs.content_model import ContentError

#: Keys whose value is a language's own vocabulary, never compared across languages.
WORD_KEYS = frozenset(
    {"aliases", "cues", "greetings", "safe_words", "unsafe_words", "later_words", "understanding"}
)
#: Key paths of blocks that differ by country: which help lines there are, and for whom.
LOCAL_PATHS = frozenset({"safety.resources", "safety.needs"})
#: Fields of a list item (a step, an option, a suggestion) that are structure, the same in
#: every language, whatever their type.
STRUCTURE_FIELDS = frozenset(
    {"id", "section", "kind", "next", "action", "when", "unless", "tracks", "months"}
)
#: Key paths elsewhere that are structure.
STRUCTURE_PATHS = frozenset({"version", "checkin.section"})
#: Key paths that differ by design and are checked elsewhere (the file's name is its
#: language). By path, not by key: ``commands.language`` is a text like any other.
OWN_PATHS = frozenset({"language"})


class Leaf(Enum):
    """What a value in a content file is, for comparing languages."""

    STRUCTURE = "structure"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Value:
    """One compared value of a content file, at its key path."""

    path: str
    leaf: Leaf
    value: object


def values(raw: Mapping[str, Any]) -> dict[str, Value]:
    """Every compared value of a parsed content file, by key path, in file order."""
    return {value.path: value for value in _walk(raw, "", "")}


def texts(raw: Mapping[str, Any]) -> dict[str, str]:
    """Every text of a parsed content file (what a person reads), by key path."""
    return {
        path: value.value
        for path, value in values(raw).items()
        if value.leaf is Leaf.TEXT and isinstance(value.value, str)
    }


def _walk(node: object, path: str, key: str, in_item: bool = False) -> Iterator[Value]:
    if key in WORD_KEYS or path in OWN_PATHS or path in LOCAL_PATHS:
        return
    if (in_item and key in STRUCTURE_FIELDS) or path in STRUCTURE_PATHS:
        yield Value(path, Leaf.STRUCTURE, node)
        return
    if isinstance(node, Mapping):
        for child_key, child in node.items():
            yield from _walk(child, _join(path, str(child_key)), str(child_key))
        return
    if isinstance(node, list):
        if node and all(isinstance(item, Mapping) and "id" in item for item in node):
            yield Value(f"{path}.@order", Leaf.STRUCTURE, [str(item["id"]) for item in node])
            keys = [str(item["id"]) for item in node]
        else:
            yield Value(f"{path}.@count", Leaf.STRUCTURE, len(node))
            keys = [str(number) for number in range(1, len(node) + 1)]
        for item_key, item in zip(keys, node, strict=True):
            item_path = _join(path, item_key)
            if isinstance(item, Mapping):
                for child_key, child in item.items():
                    child_path = _join(item_path, str(child_key))
                    yield from _walk(child, child_path, str(child_key), in_item=True)
            else:
                yield from _walk(item, item_path, key)
        return
    yield Value(path, Leaf.TEXT if isinstance(node, str) else Leaf.STRUCTURE, node)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def placeholders(text: str) -> frozenset[str] | None:
    """The placeholders a text uses ({name}, {step}); None when its braces are broken."""
    try:
        return frozenset(
            field for _, field, _, _ in string.Formatter().parse(text) if field is not None
        )
    except ValueError:
        return None


def parity_problems(source: Mapping[str, Any], translated: Mapping[str, Any]) -> list[str]:
    """How a translated file differs from the source in anything but its words, as
    ``key.path: problem`` lines (an empty list when it matches). A whole step, option or
    block that is missing or extra is one line, not one per text inside it."""
    expected, found = values(source), values(translated)
    problems: list[str] = []
    for path in _topmost([p for p in expected if p not in found], found):
        problems.append(f"{path}: missing")
    for path, want in expected.items():
        have = found.get(path)
        if have is None:
            continue
        if want.leaf is Leaf.STRUCTURE:
            if have.value != want.value:
                problems.append(f"{_shown(path)}: {have.value!r} here, {want.value!r} in English")
        elif not isinstance(have.value, str):
            problems.append(f"{path}: should be a text, like the English one")
        else:
            problems.extend(_placeholder_problems(path, str(want.value), have.value))
    for path in _topmost([p for p in found if p not in expected], expected):
        problems.append(f"{path}: extra (not in English)")
    return problems


def _topmost(paths: list[str], other: Mapping[str, Value]) -> list[str]:
    """For paths absent from ``other``: the highest key above each that ``other`` lacks
    entirely, once each, in order."""
    present = {prefix for path in other for prefix in _prefixes(path)}
    shown: list[str] = []
    for path in paths:
        top = next(prefix for prefix in _prefixes(path) if prefix not in present)
        if top not in shown:
            shown.append(top)
    return shown


def _prefixes(path: str) -> Iterator[str]:
    """``a``, ``a.b``, ``a.b.c`` for ``a.b.c``."""
    parts = path.split(".")
    for size in range(1, len(parts) + 1):
        yield ".".join(parts[:size])


def _shown(path: str) -> str:
    """A path as an author reads it: ``steps.@order`` is "the order of steps"."""
    for marker, meaning in ((".@order", "order of ids"), (".@count", "number of items")):
        if path.endswith(marker):
            return f"{path[: -len(marker)]}: {meaning}"
    return path


def _placeholder_problems(path: str, english: str, text: str) -> list[str]:
    want, have = placeholders(english), placeholders(text)
    if have is None:
        return [f"{path}: broken placeholder (write '{{{{' for a literal brace)"]
    if want is None or want == have:
        return []
    problems = []
    if want - have:
        problems.append(
            f"{path}: placeholder missing: " + ", ".join(f"{{{p}}}" for p in sorted(want - have))
        )
    if have - want:
        problems.append(
            f"{path}: placeholder extra: " + ", ".join(f"{{{p}}}" for p in sorted(have - want))
        )
    return problems


def check_parity(source: Mapping[str, Any], translated: Mapping[str, Any], *, name: str) -> None:
    """Raises ContentError, one line per problem naming ``name`` (the file) and the key,
    when a translated file differs from the source in anything but its words."""
    problems = parity_problems(source, translated)
    if problems:
        raise ContentError("\n".join(f"{name}: {problem}" for problem in problems))
