"""What the danger check costs per message, and how well it does on the labelled corpus.

The check runs on every word a person sends, so its cost is on the latency path of every
typed event. Two figures: a message whose words the detector has met before (its
per-word cache warm, as in a running bot: people reuse words), and the first time it
meets every word of a message (each pass through the corpus with a fresh detector). The
per-message verdict cache is cleared for both, so nothing is a cache hit on the whole
text. Recall and false alarms come from the same corpus ``make test`` enforces; both, and
the time per message, are also reported by the language the message is written in.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.report import merge, table
from dialogs.lexicon import load_lexicon
from dialogs.safety import LEXICON_DIR, DangerDetector
from tests.safety import corpus


def _texts(languages: list[str] | None = None) -> list[str]:
    return [
        text
        for language in (languages or corpus.languages())
        for group in (corpus.danger(language), corpus.ordinary(language))
        for texts in group.values()
        for text in texts
    ]


def _fresh_detector() -> DangerDetector:
    return DangerDetector(load_lexicon(path) for path in sorted(LEXICON_DIR.glob("*.yaml")))


def time_messages(detector: DangerDetector, texts: list[str], rounds: int) -> list[float]:
    """Microseconds per message, every message of every round (verdict cache cleared)."""
    timings: list[float] = []
    for _ in range(rounds):
        for text in texts:
            detector.assess.cache_clear()
            started = time.perf_counter_ns()
            detector.assess(text)
            timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def _language_figures(scores: corpus.LanguageScores, warm: list[float]) -> dict[str, object]:
    """One language's corpus figures: pooled, by kind of danger, by sort of ordinary message,
    and the time a message in that language takes (read by every language's lexicon)."""
    danger, ordinary = corpus.pooled(scores.danger), corpus.pooled(scores.ordinary)
    return {
        "us_per_message": round(statistics.median(warm), 1),
        "recall": round(danger.share, 4),
        "false_alarm_rate": round(ordinary.share, 4),
        "wrong_kind_rate": round(scores.wrong_kind_share, 4),
        "danger_messages": danger.total,
        "ordinary_messages": ordinary.total,
        "by_kind": {group.group: round(group.share, 4) for group in scores.danger},
        "by_sort": {group.group: round(group.share, 4) for group in scores.ordinary},
    }


def main(argv: list[str] | None = None) -> int:
    """Times the detector on the corpus and records the corpus figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    texts = _texts()
    cold: list[float] = []
    for _ in range(max(1, args.rounds // 5)):
        cold += time_messages(_fresh_detector(), texts, 1)
    warm_detector = _fresh_detector()
    time_messages(warm_detector, texts, 1)  # meets every word once
    warm = time_messages(warm_detector, texts, args.rounds)
    warm_by_language = {
        language: time_messages(warm_detector, _texts([language]), max(1, args.rounds // 2))
        for language in corpus.languages()
    }
    scores = [corpus.language_scores(language) for language in corpus.languages()]
    recall = corpus.pooled(group for score in scores for group in score.danger)
    alarms = corpus.pooled(group for score in scores for group in score.ordinary)
    figures = {
        "languages": corpus.languages(),
        "messages": len(texts),
        "recall": round(recall.share, 4),
        "false_alarm_rate": round(alarms.share, 4),
        "danger_messages": recall.total,
        "ordinary_messages": alarms.total,
        "by_language": {
            score.language: _language_figures(score, warm_by_language[score.language])
            for score in scores
        },
        "us_per_message": round(statistics.median(warm), 1),
        "p99_us_per_message": round(statistics.quantiles(warm, n=100)[98], 1),
        "us_per_message_new_words": round(statistics.median(cold), 1),
        "mean_words": round(statistics.mean(len(text.split()) for text in texts), 1),
    }
    merge("safety", figures)
    print(table([(key, str(value)) for key, value in figures.items()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
