"""Composing "moving forward" and the shareable summary from a person's own answers.

Two people with the same top factor should not read the same page. So the guidance
refers back, in the bot's words, to the few answers that weighed most (each option may
carry a ``reflection``); it picks suggestions from a pool per factor by the answers given
(``when``), leaves out those an answer rules out (``unless``: no evening check-ins for
someone who feels tied down); and it follows the track: where the person's own needs
come first, those lead, advice to accommodate the partner gives way, and the closing
principles are that track's, so nothing later says "be patient" after "put yourself first".

The results come as a few bubbles, each within a phone screen, in reading order: the
track, what is for the person first (on that track), each factor that fits with its
suggestions, the principles, the short summary, and the picture of the profile (the one
place that shows how much each reason fits, its caption saying the same in words).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialogs.content_model import Content, Factor, Suggestion, Track
from dialogs.profile import Profile
from dialogs.render import Render
from dialogs.turn import ProfilePicture

#: Cells in a profile bar of the picture: few enough to count at a glance, enough to compare.
BAR_CELLS = 5
#: Marks a line that refers back to what the person said (an en dash), set apart from the
#: bullets of suggestions.
SAID = "\u2013"


@dataclass(frozen=True, slots=True)
class Reflection:
    """An answer "moving forward" refers back to: for a factor, or (None) for how things stand."""

    factor_id: str | None
    text: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What the guidance says to this person, before it is laid out as bubbles."""

    reflections: tuple[Reflection, ...]
    suggestions: dict[str, tuple[Suggestion, ...]]  # by top factor id, in the order shown
    own_needs: tuple[str, ...]
    notes: tuple[str, ...]  # the couple's stage, how long this has lasted

    @property
    def answer_specific(self) -> list[str]:
        """Every line chosen because of an answer (reflections, fitted suggestions, notes)."""
        fitted = [s.text for found in self.suggestions.values() for s in found if s.when]
        return [r.text for r in self.reflections] + fitted + list(self.notes)


def filled_cells(share: float, score: int) -> int:
    """How many of the bar's cells a factor fills; any weight at all shows as one, so a
    light touch never reads as "none"."""
    filled = round(share * BAR_CELLS)
    return 1 if score and not filled else filled


def profile_picture(content: Content, profile: Profile, render: Render) -> ProfilePicture:
    """The picture of a profile, and its caption saying the same in words."""
    guidance = content.guidance
    factors = tuple(
        (score.factor.title, filled_cells(score.share, score.score)) for score in profile.scores
    )
    lines = [
        guidance.picture_line.format(factor=title, filled=filled, cells=BAR_CELLS)
        for title, filled in factors
    ]
    text = "\n".join([render(guidance.profile_heading), *lines, render(guidance.summary_track)])
    return ProfilePicture(
        heading=render(guidance.profile_heading),
        factors=factors,
        cells=BAR_CELLS,
        track=render(guidance.summary_track),
        text=text,
    )


def plan(content: Content, profile: Profile, answers: Mapping[str, str]) -> Plan:
    """Chooses what to say: the telling answers, the suggestions that fit, the notes."""
    track = profile.track
    given = {f"{step}.{option}" for step, option in answers.items()}
    limit = content.guidance.suggestion_count - (1 if track.own_needs else 0)
    return Plan(
        reflections=telling_answers(content, profile, answers),
        suggestions={
            score.factor.id: choose_suggestions(score.factor, given, track, limit)
            for score in profile.top
        },
        own_needs=track.own_needs,
        notes=tuple(context_notes(content, answers)),
    )


def telling_answers(
    content: Content, profile: Profile, answers: Mapping[str, str]
) -> tuple[Reflection, ...]:
    """The answers that weighed most towards the factors that fit, and the most worrying
    answers about how things stand, strongest first (content order breaks ties)."""
    top = {score.factor.id for score in profile.top}
    # Where own needs lead, what the person carries is the most telling of all.
    standing_bonus = 2 if profile.track.own_needs else 1
    found: list[tuple[int, int, Reflection]] = []
    for index, step in enumerate(content.steps):
        option = step.option(answers.get(step.id, ""))
        if option is None or not option.reflection:
            continue
        weights = {f: w for f, w in option.weights.items() if f in top}
        if weights:
            factor_id = max(weights, key=lambda f: weights[f])
            found.append((weights[factor_id], index, Reflection(factor_id, option.reflection)))
        elif option.concern >= 2:
            strength = option.concern + standing_bonus
            found.append((strength, index, Reflection(None, option.reflection)))
    found.sort(key=lambda item: (-item[0], item[1]))
    ranked = [reflection for _, _, reflection in found]
    # The strongest of each place first (how things stand, each factor), then the rest.
    firsts = [
        r for i, r in enumerate(ranked) if r.factor_id not in {x.factor_id for x in ranked[:i]}
    ]
    ordered = firsts + [r for r in ranked if r not in firsts]
    return tuple(ordered[: content.guidance.reflection_count])


def choose_suggestions(
    factor: Factor, given: set[str], track: Track, limit: int
) -> tuple[Suggestion, ...]:
    """The factor's suggestions for these answers: fitted ones first, then general ones,
    none that an answer rules out, and no accommodating ones where own needs lead."""
    eligible = [
        s
        for s in factor.suggestions
        if not given.intersection(s.unless)
        and (not s.when or given.intersection(s.when))
        and not (track.own_needs and s.accommodating)
    ]
    fitted = [s for s in eligible if s.when]
    general = [s for s in eligible if not s.when]
    return tuple((fitted + general)[:limit])


def compose_guidance(
    content: Content, profile: Profile, answers: Mapping[str, str], render: Render
) -> list[tuple[str | None, str]]:
    """The "moving forward" messages as (title, text) pairs, in reading order."""
    guidance = content.guidance
    chosen = plan(content, profile, answers)
    track = profile.track
    standing = [r.text for r in chosen.reflections if r.factor_id is None]
    told = [_told(guidance.told_heading, standing, render)] if standing else []
    messages: list[tuple[str | None, str]] = [
        (
            track.title,
            "\n\n".join(
                [
                    render(guidance.opening),
                    *told,
                    render(track.message),
                    *(render(note) for note in chosen.notes),
                ]
            ),
        )
    ]
    if chosen.own_needs:
        needs = "\n".join(f"• {render(text)}" for text in chosen.own_needs)
        messages.append((guidance.own_needs_heading, needs))
    if profile.top:
        for score in profile.top:
            said = [r.text for r in chosen.reflections if r.factor_id == score.factor.id]
            tips = "\n".join(f"• {render(s.text)}" for s in chosen.suggestions[score.factor.id])
            parts = [_told(guidance.told_heading, said, render)] if said else []
            parts.append(f"{render(guidance.try_heading)}\n{tips}")
            messages.append((score.factor.title, "\n\n".join(parts)))
    else:
        messages.append((None, render(guidance.no_factor_stands_out)))
    principles = "\n".join(
        f"• {p.title}: {render(p.text)}"
        for p in guidance.principles
        if not p.tracks or track.id in p.tracks
    )
    messages.append((None, f"{render(guidance.principles_heading)}\n{principles}"))
    messages.append((None, compose_summary(content, profile, answers, render)))
    return messages


def _told(heading: str, said: list[str], render: Render) -> str:
    """The lines referring back to what the person said, under their heading."""
    return "\n".join([render(heading), *(f"{SAID} {render(text)}" for text in said)])


def context_notes(content: Content, answers: Mapping[str, str]) -> list[str]:
    """The lines that speak to this couple's stage and how long the distance has lasted."""
    notes = []
    for step_id, by_option in content.guidance.context_notes.items():
        note = by_option.get(answers.get(step_id, ""))
        if note:
            notes.append(note)
    return notes


def compose_summary(
    content: Content, profile: Profile, answers: Mapping[str, str], render: Render
) -> str:
    """A short text the user can forward or keep: what fits, the track, one thing to try
    (the picture that comes with it shows how much each reason fits).

    ``render`` must know the track (``{track}``), which the summary line names.
    """
    guidance = content.guidance
    chosen = plan(content, profile, answers)
    first_tip = next((s.text for found in chosen.suggestions.values() for s in found), None)
    if chosen.own_needs:
        first_tip = chosen.own_needs[0]
    if profile.top:
        factors = ", ".join(score.factor.title for score in profile.top)
        fit = f"{render(guidance.summary_factors)} {factors}"
    else:
        fit = render(guidance.summary_no_factor)
    tip = f"\n{render(guidance.summary_try)} {render(first_tip)}" if first_tip else ""
    track = render(guidance.summary_track)
    return f"{render(guidance.summary_heading)}\n\n{fit}\n{track}{tip}"
