"""Weighing answers: how much each factor seems to fit, and which viability track applies.

The profile is always derived from the answers in a snapshot, never stored beside them,
so going back and changing an answer can never leave a stale score behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.content_model import Content, Factor, Track


@dataclass(frozen=True, slots=True)
class FactorScore:
    """One factor's weight in this user's answers, against the most it could have."""

    factor: Factor
    score: int
    maximum: int

    @property
    def share(self) -> float:
        """The score as a fraction of the maximum, from 0.0 to 1.0."""
        return self.score / self.maximum if self.maximum else 0.0


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything "moving forward" is tailored from."""

    scores: tuple[FactorScore, ...]
    top: tuple[FactorScore, ...]
    concern: int
    track: Track

    @property
    def top_factor_id(self) -> str | None:
        """The factor that fits most, if any stands out; used for audiences and statistics."""
        return self.top[0].factor.id if self.top else None


class ProfileBuilder:
    """Computes profiles for one content; the per-factor maxima are worked out once."""

    def __init__(self, content: Content) -> None:
        self._content = content
        maxima = dict.fromkeys((factor.id for factor in content.factors), 0)
        for step in content.steps:
            for factor_id in maxima:
                maxima[factor_id] += max(
                    option.weights.get(factor_id, 0) for option in step.options
                )
        self._maxima = maxima

    def build(self, answers: Mapping[str, str]) -> Profile:
        """Scores the factors and picks the track from the answers given so far."""
        content = self._content
        totals = dict.fromkeys(self._maxima, 0)
        concern = 0
        for step_id, option_id in answers.items():
            if not content.has_step(step_id):
                continue  # an answer to a step retired by a content change no longer counts
            option = content.step(step_id).option(option_id)
            if option is None:
                continue
            concern += option.concern
            for factor_id, weight in option.weights.items():
                totals[factor_id] += weight
        scores = tuple(
            FactorScore(factor, totals[factor.id], self._maxima[factor.id])
            for factor in content.factors
        )
        threshold = content.guidance.factor_threshold
        standing_out = [score for score in scores if score.score and score.share >= threshold]
        standing_out.sort(key=lambda score: score.share, reverse=True)  # stable: content order
        top = tuple(standing_out[: content.guidance.top_factor_count])
        return Profile(scores=scores, top=top, concern=concern, track=self._track_for(concern))

    def _track_for(self, concern: int) -> Track:
        for track in self._content.tracks:
            if track.max_concern is None or concern <= track.max_concern:
                return track
        return self._content.tracks[-1]
