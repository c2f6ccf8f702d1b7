"""Turning counts into what an admin reads: a funnel by step, shares, and a chart.

The funnel is by section ("step n of m"): how many current conversations reached each
step or went beyond it, and what share of those stopped there. The chart is a PNG of the
same funnel, drawn with Pillow (imported when a chart is first drawn, so the bot does not
carry it from start-up), because a glance at bars says more than a column of numbers; the
numbers come as text too.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import formats
from dialogs.engine import DialogueEngine
from storage.stats import Counts

BAR_COLOUR = (108, 142, 191)
TEXT_COLOUR = (40, 40, 40)
BACKGROUND = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One step of the funnel."""

    title: str
    reached: int
    stopped_share: float  # of those who reached it, the share who got no further


def funnel(engine: DialogueEngine, counts: Counts) -> list[FunnelStep]:
    """How many reached each section, from each conversation's current step."""
    sections = engine.content.sections
    at_section = [0] * len(sections)
    for step_id, count in counts.at_step.items():
        if engine.content.has_step(step_id):
            at_section[engine.progress_at(step_id).step - 1] += count
    reached = [sum(at_section[index:]) for index in range(len(sections))]
    steps = []
    for index, section in enumerate(sections):
        after = reached[index + 1] if index + 1 < len(sections) else reached[index]
        stopped = (reached[index] - after) / reached[index] if reached[index] else 0.0
        steps.append(FunnelStep(section.title, reached[index], stopped))
    return steps


def report(
    engine: DialogueEngine,
    counts: Counts,
    totals: dict[str, int],
    language_names: Mapping[str, str] | None = None,
) -> str:
    """The statistics as one message of text, in the engine's language, its numbers as
    that language writes them (``language_names``: for the split by language)."""
    texts = engine.content.admin
    language = engine.content.language

    def _number(value: int) -> str:
        return formats.number(value, language)

    def _share(part: int, whole: int) -> str:
        return formats.share(part, whole, language)

    steps = funnel(engine, counts)
    began = steps[1].reached if len(steps) > 1 else 0
    lines = [
        texts.stats.format(
            users=_number(counts.users),
            new=_number(counts.new_recently),
            active=_number(counts.active_recently),
            subscribed=_number(counts.subscribed),
            blocked=_number(counts.blocked),
            completion=_share(counts.completed, began),
            broadcasts=_number(totals.get("broadcasts", 0)),
            delivered=_number(totals.get("sent", 0)),
            safety=_number(counts.safety_replies),
            safety_recent=_number(counts.safety_replies_recently),
        ),
        "",
        texts.funnel_heading,
    ]
    lines += [
        texts.funnel_line.format(
            count=_number(step.reached),
            step=step.title,
            share=formats.share(step.stopped_share, 1, language),
        )
        for step in steps
    ]
    factor_titles = {factor.id: factor.title for factor in engine.content.factors}
    track_titles = {track.id: track.title for track in engine.content.tracks}
    for heading, found, titles in (
        (texts.factors_heading, counts.top_factors, factor_titles),
        (texts.tracks_heading, counts.tracks, track_titles),
        (texts.languages_heading, counts.languages, language_names or {}),
    ):
        lines += ["", heading]
        total = sum(found.values())
        if not total:
            lines.append(texts.nobody_yet)
        for key, count in sorted(found.items(), key=lambda item: -item[1]):
            lines.append(
                texts.share_line.format(
                    count=_number(count), audience=titles.get(key, key), share=_share(count, total)
                )
            )
    return "\n".join(lines)


def funnel_chart(steps: Sequence[tuple[str, int]]) -> bytes:
    """A horizontal bar chart of the funnel (each step's title and how many reached it),
    as PNG bytes."""
    from PIL import Image, ImageDraw

    from bot.profile_picture import font as lettering  # DejaVu: Cyrillic titles too

    width, bar_height, gap, label_width, top = 960, 40, 14, 360, 24
    height = top * 2 + len(steps) * (bar_height + gap)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = lettering(22)
    widest = max((reached for _, reached in steps), default=0) or 1
    room = width - label_width - 120
    for index, (title, reached) in enumerate(steps):
        y = top + index * (bar_height + gap)
        draw.text((16, y + 8), title, fill=TEXT_COLOUR, font=font)
        length = max(2, round(room * reached / widest)) if reached else 0
        if length:
            draw.rectangle((label_width, y, label_width + length, y + bar_height), fill=BAR_COLOUR)
        draw.text((label_width + length + 10, y + 8), f"{reached:,}", fill=TEXT_COLOUR, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
