"""A danger lexicon: the data file of one language, read, checked and compiled for matching.

The file (``dialogs/content/danger/<language>.yaml``) says what danger sounds like in that
language as word classes and rules over them; see the file's own header for the syntax.
This module turns it into plain, precomputed structures (stems, prefixes, phrases, rules
as tuples of class numbers) so that matching a message is set lookups, not parsing. A
broken file stops start-up with a line naming the file and the key, like the content does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dialogs.content_model import ContentError, read_words_yaml
from dialogs.danger_kinds import DangerKind
from dialogs.normalise import strip_accents

#: Words this far apart or closer still count as one thought ("want to really just die").
DEFAULT_GAP = 3
#: A misspelling may be this many letters off a "~" entry: one for most words, two for long.
LONG_WORD = 9
#: Words that undo what follows ("he would never hit me") within this many words before it.
NEGATION_WINDOW = 2
_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4\u02bc")
_TOKEN = re.compile(r"[^\W_]+|[.!?;\n]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_CLASS_NAME = re.compile(r"^[A-Z][A-Z_]*$")
#: A word typed in Latin letters (digits allowed inside: "ho4u"), for transliteration.
_LATIN_WORD = re.compile(r"^[a-z0-9]*[a-z][a-z0-9]*$")
BARRIER = "|"
#: Distinct typed words remembered with what they expand to.
EXPAND_CACHE = 65_536


class Clitics(BaseModel):
    """Pronouns written onto the end of a verb ("matarme" = "matar me", "pegandome" =
    "pegando me"), split off so that rules see the verb and the pronoun as two words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The endings a verb must have before the pronoun (infinitive, gerund).
    hosts: tuple[str, ...]
    #: The pronouns; at most two are split off ("darselo" = "dar se lo").
    pronouns: tuple[str, ...]
    #: Letters the verb needs before its ending, so that "muerte" stays one word.
    min_stem: int = Field(default=3, ge=1)


class LexiconFile(BaseModel):
    """The file as written; :func:`compile_lexicon` checks what types cannot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str = Field(pattern=r"^[a-z]{2}$")
    stemmer: str
    gap: int = Field(default=DEFAULT_GAP, ge=0, le=8)
    negations: tuple[str, ...] = ("not", "never")
    #: How many words before a rule's first word a negation undoes it; Russian "не"
    #: binds to the very next word ("больше не могу хочу умереть" is not negated).
    negation_window: int = Field(default=NEGATION_WINDOW, ge=1, le=4)
    #: Words in nearly every message; rules are looked up by a rarer word (only for speed).
    frequent: tuple[str, ...] = ()
    #: Letters folded in this language only (Russian: "ь" dropped, "э" read as "e").
    letters: dict[str, str] = Field(default_factory=dict)
    #: Words typed in Latin letters are rewritten in this language's alphabet with these
    #: letter groups, longest first ("hochu umeret" is read as "хочу умерет").
    transliteration: dict[str, str] = Field(default_factory=dict)
    #: Transliterate only a message with one of these words in it: "suicide" in an English
    #: message is English, not "суициде" (the English lexicon knows its look-alikes).
    transliteration_markers: tuple[str, ...] = ()
    clitics: Clitics | None = None
    spellings: dict[str, str] = Field(default_factory=dict)
    classes: dict[str, tuple[str, ...]]
    ordinary: tuple[str, ...] = ()
    kinds: dict[DangerKind, tuple[str, ...]]


def fold(text: str) -> str:
    """Lower case, no accents ("й" kept), no apostrophes, no letter typed three times in a row."""
    return _REPEATS.sub(r"\1", strip_accents(text.casefold().translate(_APOSTROPHES)))


def typed_words(folded: str) -> list[str]:
    """A folded text's words and runs of full stops, as typed (nothing expanded)."""
    return _TOKEN.findall(folded)


def words(text: str, spellings: dict[str, str]) -> list[str]:
    """The folded words of a text, phone spellings expanded; full stops become barriers."""
    out: list[str] = []
    for token in _TOKEN.findall(fold(text)):
        if not token[0].isalnum():
            if out and out[-1] != BARRIER:
                out.append(BARRIER)
            continue
        out.extend(spellings.get(token, token).split())
    return out


class Spelling:
    """How one language turns a folded typed word into the words its rules read: letters
    folded, Latin transliterated, phone spellings expanded, clitics split off."""

    def __init__(
        self,
        letters: dict[str, str] | None = None,
        transliteration: dict[str, str] | None = None,
        clitics: Clitics | None = None,
        spellings: dict[str, str] | None = None,
        markers: Iterable[str] = (),
    ) -> None:
        self._letters = str.maketrans(dict(letters or {}))
        table = {fold(k): fold(v) for k, v in (transliteration or {}).items()}
        self._latin = (
            re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
            if table
            else None
        )
        self._latin_table = table
        self._markers = frozenset(fold(marker) for marker in markers)
        self._clitics = clitics
        self._hosts = tuple(clitics.hosts) if clitics else ()
        self._pronouns = tuple(sorted(clitics.pronouns, key=len, reverse=True)) if clitics else ()
        self.spellings = {self.letters(k): self.letters(v) for k, v in (spellings or {}).items()}
        self.expand = lru_cache(maxsize=EXPAND_CACHE)(self._expand)

    def letters(self, word: str, latin: bool = True) -> str:
        """A folded word in this language's letters (transliterated if typed in Latin)."""
        if latin and self._latin is not None and _LATIN_WORD.match(word):
            word = self._latin.sub(lambda m: self._latin_table[m.group()], word)
        return word.translate(self._letters)

    def _expand(self, token: str, latin: bool) -> tuple[str, ...]:
        word = self.letters(token, latin)
        spelled = self.spellings.get(word)
        if spelled is not None:
            return tuple(spelled.split())
        if self._clitics is not None:
            return self._split_clitics(word)
        return (word,)

    def _split_clitics(self, word: str) -> tuple[str, ...]:
        assert self._clitics is not None
        for first in self._pronouns:
            if not word.endswith(first):
                continue
            verb, pronouns = word[: -len(first)], [first]
            for second in self._pronouns:  # "dar-se-lo": the second pronoun is nearer the verb
                if verb.endswith(second) and self._is_host(verb[: -len(second)]):
                    verb, pronouns = verb[: -len(second)], [second, first]
                    break
            if self._is_host(verb):
                return (verb, *pronouns)
        return (word,)

    def _is_host(self, verb: str) -> bool:
        assert self._clitics is not None
        return any(
            verb.endswith(host) and len(verb) - len(host) >= self._clitics.min_stem
            for host in self._hosts
        )

    def words(self, text: str) -> list[str]:
        """The words of a text as this language reads them; full stops become barriers."""
        return self.words_of_folded(fold(text))

    def words_of_folded(self, folded: str) -> list[str]:
        """:meth:`words` for a text already passed through :func:`fold`."""
        return self.words_with_origins(folded)[0]

    def transliterates(self, typed: list[str]) -> bool:
        """Whether words typed in Latin letters are read in this language's alphabet."""
        return self._latin is not None and (
            not self._markers or not self._markers.isdisjoint(typed)
        )

    def words_with_origins(
        self, folded: str, typed: list[str] | None = None
    ) -> tuple[list[str], list[int]]:
        """The words of a folded text, and for each the position of the typed word it
        comes from (several words can come from one: "matarme"; -1 for a barrier).
        ``typed`` is :func:`typed_words` of the text, when the caller has it already."""
        out: list[str] = []
        origins: list[int] = []
        expand = self.expand
        tokens = typed_words(folded) if typed is None else typed
        latin = self.transliterates(tokens)
        for position, token in enumerate(tokens):
            if not token[0].isalnum():
                if out and out[-1] != BARRIER:
                    out.append(BARRIER)
                    origins.append(-1)
                continue
            words = expand(token, latin)
            out.extend(words)
            origins.extend([position] * len(words))
        return out, origins


@dataclass(frozen=True, slots=True)
class WordTest:
    """One word of an entry: a stem to compare, or a prefix the word must start with; with
    ``word``, that very word (the stem is kept only to look the entry up)."""

    stem: str | None = None
    prefix: str | None = None
    word: str | None = None


@dataclass(frozen=True, slots=True)
class Element:
    """One step of a rule: a class that must match, how close to the step before, and
    whether it may be left out (``far``: anywhere later in the sentence; ``anywhere``: later
    in the message, past full stops). ``end`` asks for the end of the sentence instead."""

    klass: int
    adjacent: bool
    optional: bool = False
    end: bool = False
    far: bool = False
    anywhere: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """A sequence of elements; ``required`` are the classes a message must have at all,
    ``key`` the rarest of them, by which the rule is looked up."""

    text: str
    elements: tuple[Element, ...]
    required: frozenset[int]
    key: int = -1


@dataclass
class Lexicon:
    """A compiled lexicon: word and stem indexes to class numbers, phrases, rules."""

    language: str
    gap: int
    spelling: Spelling
    stem: Callable[[str], str]
    negations: frozenset[str]
    negation_window: int = NEGATION_WINDOW
    class_names: list[str] = field(default_factory=list)
    by_word: dict[str, set[int]] = field(default_factory=dict)
    by_stem: dict[str, set[int]] = field(default_factory=dict)
    prefixes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    phrases: dict[str, list[tuple[tuple[WordTest, ...], int]]] = field(default_factory=dict)
    fuzzy: dict[str, str] = field(default_factory=dict)  # misspelling target -> itself
    ordinary: tuple[Rule, ...] = ()
    ordinary_by_key: dict[int, tuple[Rule, ...]] = field(default_factory=dict)
    kinds: dict[DangerKind, tuple[Rule, ...]] = field(default_factory=dict)
    #: Each kind's rules by their key class, in file order within each class.
    rules_by_key: dict[DangerKind, dict[int, tuple[Rule, ...]]] = field(default_factory=dict)
    frequent_classes: set[int] = field(default_factory=set)
    #: Every letter the lexicon's words use: a text with none of them (Cyrillic for an
    #: English lexicon) cannot match, and is not read at all.
    alphabet: frozenset[str] = frozenset()


def load_lexicon(path: Path) -> Lexicon:
    """Reads, checks and compiles one lexicon file; ContentError names what is wrong."""
    raw = read_words_yaml(path)
    try:
        data = LexiconFile.model_validate(raw)
    except ValidationError as error:
        details = "; ".join(
            f"{' > '.join(str(part) for part in detail['loc']) or 'top level'}: {detail['msg']}"
            for detail in error.errors()
        )
        raise ContentError(f"{path}: {details}") from None
    return compile_lexicon(data, str(path))


def compile_lexicon(data: LexiconFile, source: str) -> Lexicon:
    """Builds the indexes; every class a rule names must exist, every kind must have rules."""
    if data.stemmer not in snowballstemmer.algorithms():
        raise ContentError(f"{source}: stemmer: unknown stemmer {data.stemmer!r}")
    stemmer = snowballstemmer.stemmer(data.stemmer)
    spelling = Spelling(
        letters=data.letters,
        transliteration=data.transliteration,
        clitics=data.clitics,
        spellings={fold(key): fold(value) for key, value in data.spellings.items()},
        markers=data.transliteration_markers,
    )
    lexicon = Lexicon(
        language=data.language,
        gap=data.gap,
        spelling=spelling,
        stem=stemmer.stemWord,
        negations=frozenset(w for word in data.negations for w in spelling.words(word)),
        negation_window=data.negation_window,
    )
    frequent = {lexicon.stem(word) for word in spelling.words(" ".join(data.frequent))}
    problems: list[str] = []
    named: dict[str, int] = {}
    for name, entries in data.classes.items():
        if not _CLASS_NAME.match(name):
            problems.append(f"classes > {name}: class names are upper case")
            continue
        named[name] = _new_class(lexicon, name)
        for entry in entries:
            problems.extend(
                f"classes > {name}: {p}" for p in _add_entry(lexicon, named[name], entry, frequent)
            )
    literals: dict[str, int] = {}

    def compile_rule(where: str, text: str) -> Rule | None:
        elements: list[Element] = []
        far_next = anywhere_next = False
        for part in text.split():
            if part in ("..", "..."):
                far_next, anywhere_next = True, part == "..."
                continue
            adjacent, far = part.startswith("+"), far_next
            anywhere = anywhere_next
            far_next = anywhere_next = False
            optional = part.endswith("?") and len(part) > 1
            name = part.lstrip("+")
            name = name.removesuffix("?") if optional else name
            if name == "$":
                elements.append(Element(-1, adjacent=True, end=True))
                continue
            if _CLASS_NAME.match(name):
                if name not in named:
                    problems.append(f"{where} ({text!r}): unknown class {name}")
                    return None
                klass = named[name]
            else:
                if name not in literals:
                    literals[name] = _new_class(lexicon, name)
                    problems.extend(
                        f"{where} ({text!r}): {p}"
                        for p in _add_entry(lexicon, literals[name], name, frequent)
                    )
                klass = literals[name]
            elements.append(
                Element(
                    klass,
                    adjacent=adjacent and bool(elements),
                    optional=optional,
                    far=far,
                    anywhere=anywhere,
                )
            )
        if not elements or all(e.optional or e.end for e in elements):
            problems.append(f"{where} ({text!r}): a rule needs a word or class that must match")
            return None
        required = [e.klass for e in elements if not e.optional and not e.end]
        rare = [klass for klass in required if klass not in lexicon.frequent_classes]
        return Rule(text, tuple(elements), frozenset(required), (rare or required)[0])

    lexicon.ordinary = tuple(
        rule for text in data.ordinary if (rule := compile_rule("ordinary", text)) is not None
    )
    ordinary_by_key: dict[int, list[Rule]] = {}
    for rule in lexicon.ordinary:
        ordinary_by_key.setdefault(rule.key, []).append(rule)
    lexicon.ordinary_by_key = {key: tuple(found) for key, found in ordinary_by_key.items()}
    for kind in DangerKind:
        if not data.kinds.get(kind):
            problems.append(f"kinds > {kind.value}: no rules (every kind needs some)")
    lexicon.kinds = {
        kind: tuple(
            rule
            for text in texts
            if (rule := compile_rule(f"kinds > {kind.value}", text)) is not None
        )
        for kind, texts in data.kinds.items()
    }
    for kind, rules in lexicon.kinds.items():
        by_key: dict[int, list[Rule]] = {}
        for rule in rules:
            by_key.setdefault(rule.key, []).append(rule)
        lexicon.rules_by_key[kind] = {key: tuple(found) for key, found in by_key.items()}
    if problems:
        raise ContentError(f"{source}: " + "; ".join(problems))
    spelled = [*lexicon.by_word, *(p for found in lexicon.prefixes.values() for p, _ in found)]
    for found_phrases in lexicon.phrases.values():
        for tests, _ in found_phrases:
            spelled.extend(t.word or t.prefix or t.stem or "" for t in tests)
    lexicon.alphabet = frozenset(char for word in spelled for char in word if char.isalpha())
    return lexicon


def _new_class(lexicon: Lexicon, name: str) -> int:
    lexicon.class_names.append(name)
    return len(lexicon.class_names) - 1


def _add_entry(
    lexicon: Lexicon, klass: int, entry: str, frequent: set[str] | None = None
) -> Iterator[str]:
    """Indexes one class entry: a word, a prefix, a phrase, or a misspellable word; a
    class with a ``frequent`` word in it is marked as such."""
    fuzzy = entry.startswith("~")
    body = entry.removeprefix("~")
    tests = _word_tests(lexicon, body)
    if fuzzy and body.startswith("="):
        yield f"{entry!r}: a word matched exactly cannot also be matched with misspellings"
        return
    if not tests:
        yield f"{entry!r} has no letters"
        return
    if len(tests) == 1:
        test = tests[0]
        if test.prefix is not None:
            if len(test.prefix) < 3:
                yield f"{entry!r}: a prefix needs at least three letters"
                return
            lexicon.prefixes.setdefault(test.prefix[:3], []).append((test.prefix, klass))
        else:
            assert test.stem is not None
            if frequent and test.stem in frequent:
                lexicon.frequent_classes.add(klass)
            if test.word is None:
                lexicon.by_stem.setdefault(test.stem, set()).add(klass)
            word = test.word or " ".join(lexicon.spelling.words(body))
            lexicon.by_word.setdefault(word, set()).add(klass)
            if fuzzy:
                if len(word) < 6:
                    yield f"{entry!r}: misspellings are matched for words of six letters or more"
                lexicon.fuzzy[word] = word
        return
    if fuzzy:
        yield f"{entry!r}: only single words can be matched with misspellings"
    first = tests[0]
    key = first.stem if first.stem is not None else f"*{(first.prefix or '')[:3]}"
    lexicon.phrases.setdefault(key, []).append((tuple(tests), klass))


def _word_tests(lexicon: Lexicon, body: str) -> list[WordTest]:
    tests: list[WordTest] = []
    for raw in body.split():
        prefix, exact = raw.endswith("*"), raw.startswith("=")
        for word in lexicon.spelling.words(raw.rstrip("*").lstrip("=")):
            if word == BARRIER:
                continue
            if prefix:
                tests.append(WordTest(prefix=word))
            else:
                tests.append(WordTest(stem=lexicon.stem(word), word=word if exact else None))
    return tests
