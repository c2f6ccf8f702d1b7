"""Composing "moving forward" and the shareable summary from a user's profile.

Different answers must visibly lead to different guidance: the factors that fit most bring
their own suggestions, the viability track brings its own message, and the context answers
add a line about the couple's stage and how long this has lasted.
"""

from __future__ import annotations

from collections.abc import Mapping

from dialogs.content_model import Content
from dialogs.profile import Profile
from dialogs.render import Render

#: Cells in a profile bar: short enough for the narrowest phone, fine enough to compare.
BAR_CELLS = 5
FILLED, EMPTY = "●", "○"


def profile_bars(profile: Profile) -> str:
    """One line per factor: a five-dot bar, then the factor's title (bars first, so they align)."""
    lines = []
    for score in profile.scores:
        filled = round(score.share * BAR_CELLS)
        if score.score and not filled:
            filled = 1  # any weight at all shows, so a light touch never reads as "none"
        lines.append(f"{FILLED * filled}{EMPTY * (BAR_CELLS - filled)}  {score.factor.title}")
    return "\n".join(lines)


def compose_guidance(
    content: Content, profile: Profile, answers: Mapping[str, str], render: Render
) -> list[tuple[str | None, str]]:
    """The "moving forward" messages as (title, text) pairs, in reading order."""
    guidance = content.guidance
    messages: list[tuple[str | None, str]] = [
        (None, render(guidance.opening)),
        (None, f"{render(guidance.profile_heading)}\n{profile_bars(profile)}"),
    ]
    if profile.top:
        for score in profile.top:
            tips = "\n".join(f"• {render(tip)}" for tip in score.factor.suggestions)
            messages.append((score.factor.title, f"{render(guidance.try_heading)}\n{tips}"))
    else:
        messages.append((None, render(guidance.no_factor_stands_out)))
    notes = context_notes(content, answers, render)
    track_text = render(profile.track.message)
    messages.append((profile.track.title, "\n\n".join([track_text, *notes])))
    principles = "\n".join(f"• {p.title}: {render(p.text)}" for p in guidance.principles)
    messages.append((None, f"{render(guidance.principles_heading)}\n{principles}"))
    messages.append((None, compose_summary(content, profile, render)))
    return messages


def context_notes(content: Content, answers: Mapping[str, str], render: Render) -> list[str]:
    """The lines that speak to this couple's stage and how long the distance has lasted."""
    notes = []
    for step_id, by_option in content.guidance.context_notes.items():
        note = by_option.get(answers.get(step_id, ""))
        if note:
            notes.append(render(note))
    return notes


def compose_summary(content: Content, profile: Profile, render: Render) -> str:
    """A short text the user can forward or keep: top factors, track, one thing to try, bars.

    ``render`` must know the track (``{track}``), which the summary line names.
    """
    guidance = content.guidance
    if profile.top:
        factors = ", ".join(score.factor.title for score in profile.top)
        fit = f"{render(guidance.summary_factors)} {factors}"
        first_tip = profile.top[0].factor.suggestions[0]
        tip = f"\n{render(guidance.summary_try)} {render(first_tip)}"
    else:
        fit, tip = render(guidance.summary_no_factor), ""
    track = render(guidance.summary_track)
    return f"{render(guidance.summary_heading)}\n\n{fit}\n{track}{tip}\n\n{profile_bars(profile)}"
