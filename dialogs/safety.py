"""Spotting messages that suggest danger, so safety resources come before anything else.

Whole-sentence patterns cannot keep up with how people say they are in danger ("i dont
wanna be alive anymore", "he chocked me last nite", "kms"), so the detector reads meaning
instead. Each word is tagged with the classes of the language's lexicon (by stem, prefix,
phrase, or a misspelling one letter off); everyday phrases that share danger's words ("he
hit me up", "this waiting is killing me", "she pushed me away") are set aside; then a
kind of danger is found when one of its rules matches: classes in order, close together,
not across a full stop, and not undone by a negation just before ("he would never hit me").

It is a deliberately wide net: showing help to someone who did not need it costs a
moment; missing someone who did could cost far more. tests/safety/ measures both against
a labelled corpus, and ``make test`` fails when either slips. Every message is checked
against every language's lexicon, because people switch languages when upset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extractOne

from dialogs.danger_kinds import DangerKind
from dialogs.lexicon import (
    BARRIER,
    LONG_WORD,
    Element,
    Lexicon,
    Rule,
    WordTest,
    fold,
    load_lexicon,
    typed_words,
)

#: Distinct words remembered with their classes; a bot's vocabulary fits with room to spare.
WORD_CACHE = 65_536
#: Recent messages remembered with their verdict (the bot asks once to route, once to reply).
TEXT_CACHE = 1_024
#: A negation does not undo what follows when it is a question ("why not just end it").
NEGATION_UNDONE_BY = frozenset({"why"})
#: One lexicon per language, each ``<language>.yaml``.
LEXICON_DIR = Path(__file__).parent / "content" / "danger"

Spans = dict[int, list[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that matched, for explaining a verdict (tests, and authors of lexicons)."""

    language: str
    kind: DangerKind
    rule: str
    words: str


class DangerDetector:
    """Finds the kinds of danger a text suggests, in any of its lexicons' languages."""

    def __init__(self, lexicons: Iterable[Lexicon]) -> None:
        self._readers = tuple(_Reader(lexicon) for lexicon in lexicons)
        self.assess = lru_cache(maxsize=TEXT_CACHE)(self._assess)

    @classmethod
    def from_directory(cls, directory: Path) -> DangerDetector:
        """A detector for every lexicon file in a directory (one per language)."""
        return cls(load_lexicon(path) for path in sorted(directory.glob("*.yaml")))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages whose lexicons this detector reads."""
        return tuple(reader.lexicon.language for reader in self._readers)

    def _assess(self, text: str) -> frozenset[DangerKind]:
        """The kinds of danger the text suggests; empty when it suggests none."""
        return frozenset(finding.kind for finding in self._read(text, first_only=True))

    def explain(self, text: str) -> list[Finding]:
        """Every rule that matches the text, with the words it matched."""
        return self._read(text, first_only=False)

    def _read(self, text: str, first_only: bool) -> list[Finding]:
        """Every language reads the text; an everyday phrase any of them knows ("un
        intento de suicidio de un paciente") is set aside for all of them, so that a
        word two languages share is not read as danger by the one that lacks the phrase."""
        folded = fold(text)
        typed, letters = typed_words(folded), frozenset(folded)
        readings = [(reader, reader.prepare(folded, typed, letters)) for reader in self._readers]
        masked: set[int] = set()
        for reader, reading in readings:
            if reading is not None:
                masked |= reader.ordinary(reading)
        return [
            finding
            for reader, reading in readings
            if reading is not None
            for finding in reader.findings(reading, masked, first_only)
        ]


@lru_cache(maxsize=1)
def default_detector() -> DangerDetector:
    """The detector for every lexicon the bot ships, built once per process."""
    return DangerDetector.from_directory(LEXICON_DIR)


class _Reader:
    """Reads texts with one lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.classes_of = lru_cache(maxsize=WORD_CACHE)(self._classes_of)
        self._fuzzy_targets = tuple(lexicon.fuzzy)

    def read(self, folded: str, first_only: bool = False) -> list[Finding]:
        """The findings for a folded text: one per kind (``first_only``), or every rule."""
        reading = self.prepare(folded)
        if reading is None:
            return []
        return self.findings(reading, self.ordinary(reading), first_only)

    def prepare(
        self, folded: str, typed: list[str] | None = None, letters: frozenset[str] | None = None
    ) -> _Reading | None:
        """The text's words as this lexicon reads them, tagged; None when it has none (or
        none of the lexicon's ``letters``, and nothing to transliterate: Cyrillic for English)."""
        spelling = self.lexicon.spelling
        typed = typed_words(folded) if typed is None else typed
        if (
            letters is not None
            and self.lexicon.alphabet.isdisjoint(letters)
            and not spelling.transliterates(typed)
        ):
            return None
        tokens, origins = spelling.words_with_origins(folded, typed)
        if not tokens:
            return None
        spans = self._tag(tokens)
        return _Reading(tokens, origins, spans, _Matcher(tokens, spans, self.lexicon))

    def ordinary(self, reading: _Reading) -> set[int]:
        """The typed words (by position in the folded text) this lexicon's everyday
        phrases set aside."""
        present = reading.present()
        masked: set[int] = set()
        for rule in _candidates(self.lexicon.ordinary_by_key, present):
            if rule.required <= present:
                for start, end in reading.matcher.all_matches(rule):
                    masked.update(reading.origins[start : end + 1])
        return masked

    def findings(
        self, reading: _Reading, masked: set[int], first_only: bool = False
    ) -> list[Finding]:
        """The rules that match once the ``masked`` typed words are set aside."""
        tokens, origins, spans = reading.tokens, reading.origins, reading.spans
        hidden = {i for i, origin in enumerate(origins) if origin in masked} if masked else None
        if hidden:
            for found in spans.values():
                found[:] = [(s, e) for s, e in found if hidden.isdisjoint(range(s, e + 1))]
        present = reading.present()
        findings: list[Finding] = []
        for kind, by_key in self.lexicon.rules_by_key.items():
            if present.isdisjoint(by_key):
                continue
            for rule in _candidates(by_key, present):
                if not rule.required <= present:
                    continue
                match = reading.matcher.first_match(rule, veto_negated=True)
                if match is None:
                    continue
                start, end = match
                matched = " ".join(tokens[start : end + 1])
                findings.append(Finding(self.lexicon.language, kind, rule.text, matched))
                if first_only:
                    break
        return findings

    def _tag(self, tokens: Sequence[str]) -> Spans:
        """Where each class occurs: (first, last) word positions, in order."""
        spans: Spans = defaultdict(list)
        stems: list[str] = []
        for index, token in enumerate(tokens):
            if token == BARRIER:
                stems.append(BARRIER)
                continue
            classes, stem = self.classes_of(token)
            stems.append(stem)
            for klass in classes:
                spans[klass].append((index, index))
        phrases = self.lexicon.phrases
        for index, token in enumerate(tokens):
            if token == BARRIER:
                continue
            for key in (stems[index], f"*{token[:3]}"):
                for tests, klass in phrases.get(key, ()):
                    last = index + len(tests) - 1
                    if last < len(tokens) and all(
                        _passes(test, tokens[index + n], stems[index + n])
                        for n, test in enumerate(tests)
                    ):
                        spans[klass].append((index, last))
        for found in spans.values():
            found.sort()
        return spans

    def _classes_of(self, token: str) -> tuple[frozenset[int], str]:
        """The classes a single word belongs to, and its stem (cached: stemming is slow)."""
        lexicon = self.lexicon
        stem = lexicon.stem(token)
        classes = set(lexicon.by_word.get(token, ())) | lexicon.by_stem.get(stem, set())
        for prefix, klass in lexicon.prefixes.get(token[:3], ()):
            if token.startswith(prefix):
                classes.add(klass)
        if not classes and len(token) >= 6 and self._fuzzy_targets:
            allowed = 2 if len(token) >= LONG_WORD else 1
            best = extractOne(
                token, self._fuzzy_targets, scorer=Levenshtein.distance, score_cutoff=allowed
            )
            if best is not None:
                target = best[0]
                classes = set(lexicon.by_word.get(target, ())) | lexicon.by_stem.get(
                    lexicon.stem(target), set()
                )
        return frozenset(classes), stem


@dataclass(slots=True)
class _Reading:
    """One text as one lexicon reads it: its words, the typed word each came from (an
    index into the folded text's words, -1 for a full stop), and where each class is."""

    tokens: list[str]
    origins: list[int]
    spans: Spans
    matcher: _Matcher

    def present(self) -> set[int]:
        """The classes that occur at all."""
        return {klass for klass, found in self.spans.items() if found}


def _candidates(by_key: dict[int, tuple[Rule, ...]], present: set[int]) -> list[Rule]:
    """The rules whose key class the text has (a kind's verdict does not depend on which
    of its rules matches first, so their order here does not matter)."""
    return [rule for klass in present for rule in by_key.get(klass, ())]


def _passes(test: WordTest, token: str, stem: str) -> bool:
    if token == BARRIER:
        return False
    if test.prefix is not None:
        return token.startswith(test.prefix)
    if test.word is not None:
        return token == test.word
    return test.stem == stem


class _Matcher:
    """Matches rules against one tagged text."""

    def __init__(self, tokens: Sequence[str], spans: Spans, lexicon: Lexicon) -> None:
        self.tokens = tokens
        self.spans = spans
        self.gap = lexicon.gap
        self.negations = lexicon.negations
        self.negation_window = lexicon.negation_window
        barriers = [0]
        negated = [0]
        for token in tokens:
            barriers.append(barriers[-1] + (token == BARRIER))
            negated.append(negated[-1] + (token in lexicon.negations))
        self._barriers = barriers  # barriers[i]: barriers among tokens[:i]
        self._negated = negated

    def first_match(self, rule: Rule, veto_negated: bool = False) -> tuple[int, int] | None:
        """The first place the rule matches, as (first, last) word positions."""
        return next(iter(self._matches(rule, veto_negated)), None)

    def all_matches(self, rule: Rule) -> list[tuple[int, int]]:
        """Every place the rule matches (one per starting word)."""
        return list(self._matches(rule, veto_negated=False))

    def _matches(self, rule: Rule, veto_negated: bool) -> Iterator[tuple[int, int]]:
        """Matches by starting word; a rule may open with optional words, tried first."""
        elements = rule.elements
        for lead, element in enumerate(elements):
            if not element.end:
                for start, end in self.spans.get(element.klass, ()):
                    if veto_negated and self._negated_before(start):
                        continue
                    last = self._rest(elements, lead + 1, end)
                    if last is not None:
                        yield start, last
            if not element.optional and not element.end:
                return

    def _rest(self, elements: Sequence[Element], index: int, previous_end: int) -> int | None:
        """Where the rest of the rule ends, matched after ``previous_end``; None if it does not."""
        if index == len(elements):
            return previous_end
        element = elements[index]
        if element.end:
            following = previous_end + 1
            at_end = following >= len(self.tokens) or self.tokens[following] == BARRIER
            return self._rest(elements, index + 1, previous_end) if at_end else None
        for start, end in self.spans.get(element.klass, ()):
            if start <= previous_end:
                continue
            distance = start - previous_end - 1
            if not element.far and distance > (0 if element.adjacent else self.gap):
                break
            if not element.anywhere and self._barriers[start] != self._barriers[previous_end + 1]:
                break
            if distance and self._negated[start] != self._negated[previous_end + 1]:
                continue
            last = self._rest(elements, index + 1, end)
            if last is not None:
                return last
        if element.optional:
            return self._rest(elements, index + 1, previous_end)
        return None

    def _negated_before(self, start: int) -> bool:
        """A negation in the few words before ``start``, in the same sentence."""
        for position in range(start - 1, max(-1, start - 1 - self.negation_window), -1):
            token = self.tokens[position]
            if token == BARRIER:
                return False
            if token in self.negations:
                return not (position > 0 and self.tokens[position - 1] in NEGATION_UNDONE_BY)
        return False
