"""The labelled safety corpus: danger messages by kind, ordinary ones by sort, per language.

Files live under ``tests/safety/<language>/``: ``danger/<kind>.txt`` (every line must get
safety resources of that kind), ``ordinary/<sort>.txt`` (no line may), and
``doubtful.txt`` (either is acceptable; not scored). One message a line; ``#`` starts a
comment line. The benchmark reads the same files through this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialogs.danger_kinds import DangerKind
from dialogs.safety import DangerDetector, default_detector

CORPUS_DIR = Path(__file__).parent


def messages(path: Path) -> list[str]:
    """The messages of one corpus file."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def languages() -> list[str]:
    """The languages that have a corpus."""
    return sorted(p.name for p in CORPUS_DIR.iterdir() if (p / "danger").is_dir())


def danger(language: str) -> dict[DangerKind, list[str]]:
    """The danger messages of a language, by the kind of danger they express."""
    return {
        DangerKind(path.stem): messages(path)
        for path in sorted((CORPUS_DIR / language / "danger").glob("*.txt"))
    }


def ordinary(language: str) -> dict[str, list[str]]:
    """The ordinary messages of a language, by sort (look-alikes, everyday talk)."""
    return {
        path.stem: messages(path)
        for path in sorted((CORPUS_DIR / language / "ordinary").glob("*.txt"))
    }


@dataclass(frozen=True, slots=True)
class Score:
    """How a group of corpus messages fared."""

    group: str
    total: int
    flagged: int
    misses: tuple[str, ...]  # danger not flagged, or ordinary flagged

    @property
    def share(self) -> float:
        """The share of messages flagged (recall for danger, false alarms for ordinary)."""
        return self.flagged / self.total if self.total else 0.0


def score(detector: DangerDetector, group: str, texts: Iterable[str], danger: bool) -> Score:
    """Scores a group; for danger, a message counts when any kind of danger is found."""
    texts = list(texts)
    verdicts = [(text, bool(detector.assess(text))) for text in texts]
    flagged = sum(found for _, found in verdicts)
    misses = tuple(text for text, found in verdicts if found != danger)
    return Score(group, len(texts), flagged, misses)


def pooled(scores: Iterable[Score]) -> Score:
    """Several groups' scores as one."""
    scores = list(scores)
    return Score(
        "all",
        sum(s.total for s in scores),
        sum(s.flagged for s in scores),
        tuple(m for s in scores for m in s.misses),
    )


@dataclass(frozen=True, slots=True)
class LanguageScores:
    """A language's corpus scored: danger by kind, ordinary by sort, and the danger
    messages that got help of another kind only ("kind: message")."""

    language: str
    danger: tuple[Score, ...]
    ordinary: tuple[Score, ...]
    wrong_kind: tuple[str, ...] = ()

    @property
    def wrong_kind_share(self) -> float:
        """The share of danger messages answered with another kind's help only."""
        total = sum(group.total for group in self.danger)
        return len(self.wrong_kind) / total if total else 0.0


def wrong_kind(detector: DangerDetector, language: str) -> tuple[str, ...]:
    """Danger messages flagged, but not with their own kind (abuse lines for self-harm)."""
    return tuple(
        f"{kind.value}: {text}"
        for kind, texts in danger(language).items()
        for text in texts
        if (found := detector.assess(text)) and kind not in found
    )


@cache
def language_scores(language: str) -> LanguageScores:
    """The shipped detector on a language's corpus (computed once per test run)."""
    detector = default_detector()
    return LanguageScores(
        language,
        tuple(score(detector, k.value, texts, True) for k, texts in danger(language).items()),
        tuple(score(detector, sort, texts, False) for sort, texts in ordinary(language).items()),
        wrong_kind(detector, language),
    )


def report(scores: LanguageScores) -> list[str]:
    """The figures as lines, for the end of a test run and for the benchmark."""
    lines = []
    for group in scores.danger:
        lines.append(f"  recall {group.share:.3f} ({group.flagged}/{group.total}) {group.group}")
    for group in scores.ordinary:
        lines.append(
            f"  false alarms {group.share:.3f} ({group.flagged}/{group.total}) {group.group}"
        )
    danger_all, ordinary_all = pooled(scores.danger), pooled(scores.ordinary)
    lines.append(
        f"  {scores.language}: recall {danger_all.share:.4f} "
        f"({danger_all.flagged}/{danger_all.total}), false alarms {ordinary_all.share:.4f} "
        f"({ordinary_all.flagged}/{ordinary_all.total}), wrong kind "
        f"{scores.wrong_kind_share:.4f} ({len(scores.wrong_kind)}/{danger_all.total})"
    )
    return lines
