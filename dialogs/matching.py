"""Understanding typed replies: which option or move, if any, a piece of free text means.

People type on phones: "Yes!", "2", "option 3", "like 8 months", "yeah he says it all the
time", "he jokes it off", "sí". In this order, a reply is taken as:

1. an option's label or alias (case, accents, punctuation and spacing ignored);
2. an option's number ("2", "#2", "option 2");
3. the only option whose label appears in a longer sentence ("less than 6 months, I'd say");
4. a length of time ("a year and a half", "3 wks"), on a question whose options are
   ranges of months;
5. the option whose cues it matches best (content words and phrases, by stem, and
   families such as every way of saying yes), when exactly one is best.

Anything else gets the kind re-prompt: a guess that picks the wrong answer would shape
someone's guidance without their knowing, which is worse than asking again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from dialogs.content_model import Action, ActionLabel, Option, TimeWords, Understanding
from dialogs.lexicon import BARRIER, WordTest, fold, words
from dialogs.normalise import normalise

#: The family of unsure answers; a question without such an option asks again on them.
UNSURE = "unsure"
#: Words cached with their stems: a bot's vocabulary is small, and stemming is slow.
STEM_CACHE = 65_536


class Reader:
    """One language's way of reading typed answers: spellings, stems, phrase families."""

    def __init__(self, understanding: Understanding) -> None:
        self.spellings = {fold(k): fold(v) for k, v in understanding.spellings.items()}
        stemmer = snowballstemmer.stemmer(understanding.stemmer)
        self.stem = lru_cache(maxsize=STEM_CACHE)(stemmer.stemWord)
        self.families = {
            name: tuple(self.phrase(text) for text in phrases)
            for name, phrases in understanding.families.items()
        }
        time = understanding.time
        self._numbers = {fold(word).strip(): value for word, value in time.numbers.items()}
        self._units = {fold(word).strip(): value for word, value in time.units.items()}
        self._choice = re.compile(
            rf"^(?:(?:{_alternatives(understanding.choice_words)})\s*)?#?(\d{{1,2}})[.)]?$"
        )
        self._span = _span_pattern(time)

    def choice(self, cleaned: str) -> int | None:
        """The option number a normalised reply gives ("2", "#2", "option 2"), if any."""
        found = self._choice.match(cleaned)
        return int(found.group(1)) if found else None

    def phrase(self, text: str) -> tuple[WordTest, ...]:
        """A cue as word tests: stems, or prefixes for words ending in "*"."""
        tests: list[WordTest] = []
        for raw in text.split():
            prefix = raw.endswith("*")
            for word in words(raw.rstrip("*"), self.spellings):
                if word != BARRIER:
                    tests.append(
                        WordTest(prefix=word) if prefix else WordTest(stem=self.stem(word))
                    )
        return tuple(tests)

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """The words of a reply (spellings expanded) and their stems."""
        found = [word for word in words(text, self.spellings) if word != BARRIER]
        return found, [self.stem(word) for word in found]

    def months(self, text: str) -> float | None:
        """The first length of time the text names, in months ("a year and a half": 18)."""
        match = self._span.search(" ".join(words(text, self.spellings)))
        if match is None:
            return None
        amount, before, unit, after = match.groups()
        number = self._numbers.get(amount)
        value = number if number is not None else float(amount.replace(",", "."))
        if before or after:
            value += 0.5
        return value * self._units[unit]


def _alternatives(phrases: Iterable[str]) -> str:
    """A regular-expression alternation of literal phrases, the longest first; spaces in
    a phrase match any run of spaces."""
    ordered = sorted({fold(p).strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered) or "(?!)"


def _span_pattern(time: TimeWords) -> re.Pattern[str]:
    """A length of time in folded words: a number, a unit, perhaps a half before or after."""
    half = _alternatives(time.half)
    links = _alternatives(time.links)
    return re.compile(
        rf"\b(\d+(?:[.,]\d+)?|{_alternatives(time.numbers)})(?:\s+(?:{links}))?\s+"
        rf"((?:{half})\s+)?({_alternatives(time.units)})\b(\s+(?:{half}))?"
    )


@dataclass(frozen=True, slots=True)
class _Cues:
    option: Option
    phrases: tuple[tuple[WordTest, ...], ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The normalised phrases and cues of one step's options, and of the global actions."""

    options: tuple[tuple[Option, frozenset[str]], ...]
    actions: tuple[tuple[Action, frozenset[str]], ...]
    cues: tuple[_Cues, ...]
    reader: Reader
    families: frozenset[str]  # the cue families this step's options use

    def _offers(self, family: str) -> bool:
        return family in self.families

    @classmethod
    def build(
        cls,
        options: Iterable[Option],
        actions: dict[Action, ActionLabel],
        reader: Reader,
    ) -> Vocabulary:
        """Precomputes the phrases once per step, so matching an event is a few lookups."""
        options = tuple(options)
        cues: list[_Cues] = []
        for option in options:
            phrases: list[tuple[WordTest, ...]] = []
            for cue in option.cues:
                if cue.startswith("@"):
                    phrases.extend(reader.families.get(cue[1:], ()))
                else:
                    phrases.append(reader.phrase(cue))
            cues.append(_Cues(option, tuple(p for p in phrases if p)))
        return cls(
            options=tuple(
                (option, frozenset(normalise(p) for p in (option.label, *option.aliases)))
                for option in options
            ),
            actions=tuple(
                (action, frozenset(normalise(p) for p in (label.label, *label.aliases)))
                for action, label in actions.items()
            ),
            cues=tuple(cues),
            reader=reader,
            families=_offered_families(options),
        )

    def match_option(self, text: str) -> Option | None:
        """The option the text means (see the module docstring), or None."""
        cleaned = normalise(text)
        if not cleaned:
            return None
        for option, phrases in self.options:
            if cleaned in phrases:
                return option
        number = self.reader.choice(cleaned)
        if number is not None:
            index = number - 1
            return self.options[index][0] if 0 <= index < len(self.options) else None
        padded = f" {cleaned} "
        contained = [
            option
            for option, _ in self.options
            if normalise(option.label) and f" {normalise(option.label)} " in padded
        ]
        if len(contained) == 1:
            return contained[0]
        return self._by_time(text) or self._by_cues(text)

    def match_action(self, text: str) -> Action | None:
        """The global move the text asks for, if it is exactly one of its phrases."""
        cleaned = normalise(text)
        if not cleaned:
            return None
        for action, phrases in self.actions:
            if cleaned in phrases:
                return action
        return None

    def _by_time(self, text: str) -> Option | None:
        ranged = [o for o, _ in self.options if o.months is not None]
        if not ranged:
            return None
        months = self.reader.months(text)
        if months is None:
            return None
        for option in ranged:
            assert option.months is not None
            low, high = option.months
            if low <= months < high:
                return option
        return None

    def _by_cues(self, text: str) -> Option | None:
        if not self.cues or text.rstrip().endswith("?"):
            return None  # a question back ("what kind of deadline?") is not an answer
        tokens, stems = self.reader.tokens(text)
        scores = [(_score(c.phrases, tokens, stems), c) for c in self.cues]
        best = max(score for score, _ in scores)
        winners = [c.option for score, c in scores if score == best]
        if best == 0 or len(winners) > 1:
            return None
        if not self._offers(UNSURE):
            # "hard to say" on a question with no "not sure" answer is no answer, unless
            # something more specific outweighs it ("dunno them much": not met them)
            doubt = _score(self.reader.families.get(UNSURE, ()), tokens, stems)
            if doubt >= best:
                return None
        return winners[0]


def _score(
    phrases: Sequence[tuple[WordTest, ...]], tokens: Sequence[str], stems: Sequence[str]
) -> int:
    """How strongly a reply points to an option: the words of every cue phrase it has."""
    return sum(len(phrase) for phrase in phrases if _occurs(phrase, tokens, stems))


def _offered_families(options: Iterable[Option]) -> frozenset[str]:
    return frozenset(cue[1:] for option in options for cue in option.cues if cue.startswith("@"))


def _occurs(phrase: Sequence[WordTest], tokens: Sequence[str], stems: Sequence[str]) -> bool:
    """Whether the phrase's words appear together, in order, in the reply."""
    size = len(phrase)
    for start in range(len(tokens) - size + 1):
        if all(
            (test.prefix is not None and tokens[start + n].startswith(test.prefix))
            or (test.stem is not None and stems[start + n] == test.stem)
            for n, test in enumerate(phrase)
        ):
            return True
    return False
