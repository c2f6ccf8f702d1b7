"""The danger detector against the labelled corpus: recall and false alarms, enforced.

``make test`` fails when recall drops below 0.99, false alarms rise above 0.03 or more
than 1% of the danger messages get another kind's help, for any language (every folder
under tests/safety/ with a ``danger/``), and prints the figures per language (per kind and
per sort) at the end of the run, so a change to a lexicon shows its cost at once. The
detector reads every message in every language, so each corpus also measures the other
languages' lexicons: a Spanish word English reads as danger is a Spanish false alarm.
Timing is the benchmark's job (``make bench``), not this.
"""

from __future__ import annotations

import pytest

from dialogs.safety import default_detector
from tests.safety import corpus

MIN_RECALL = 0.99
MAX_FALSE_ALARMS = 0.03
MAX_WRONG_KIND = 0.01
MIN_DANGER, MIN_ORDINARY = 300, 200
LANGUAGES = corpus.languages()


def test_every_lexicon_has_a_corpus_and_every_corpus_a_lexicon() -> None:
    assert set(default_detector().languages) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_corpus_is_big_enough_to_mean_something(language: str) -> None:
    danger = corpus.danger(language)
    assert sum(map(len, danger.values())) >= MIN_DANGER
    assert sum(map(len, corpus.ordinary(language).values())) >= MIN_ORDINARY
    assert all(danger.values()), "every kind of danger has messages"


@pytest.mark.parametrize("language", LANGUAGES)
def test_recall_on_danger_messages(language: str) -> None:
    scores = corpus.language_scores(language)
    pooled = corpus.pooled(scores.danger)
    assert pooled.share >= MIN_RECALL, "missed:\n" + "\n".join(pooled.misses)


@pytest.mark.parametrize("language", LANGUAGES)
def test_false_alarms_on_ordinary_messages(language: str) -> None:
    scores = corpus.language_scores(language)
    pooled = corpus.pooled(scores.ordinary)
    assert pooled.share <= MAX_FALSE_ALARMS, "alarmed:\n" + "\n".join(pooled.misses)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_danger_message_gets_its_own_kind_of_help(language: str) -> None:
    """Recall counts any help; this checks the help fits (abuse lines for abuse...)."""
    scores = corpus.language_scores(language)
    assert scores.wrong_kind_share <= MAX_WRONG_KIND, "\n".join(scores.wrong_kind)
