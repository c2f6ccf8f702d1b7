"""Numbers, shares, moments and durations as a language writes them (Babel).

"12,345" in English is "12 345" in Russian and "12.345" in Spanish; a date is "12/3/26"
or "03.12.2026". Only what admins read carries such figures (a person's own messages say
"step 2 of 9"), so Babel is imported on the first figure formatted, not at start-up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def number(value: float, language: str) -> str:
    """A count, grouped as the language groups thousands."""
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=language))


def share(part: float, whole: float, language: str) -> str:
    """``part`` of ``whole`` as a whole percentage ("0 %" of nothing)."""
    from babel.numbers import format_percent

    return str(format_percent(part / whole if whole else 0, locale=language))


def moment(when: datetime, language: str) -> str:
    """A date and time in UTC, in the language's short form, marked UTC."""
    from babel.dates import format_datetime

    return f"{format_datetime(when, 'short', tzinfo=UTC, locale=language)} UTC"


def duration(seconds: float, language: str) -> str:
    """About how long, in the largest unit that fits ("2 min", "2 мин")."""
    from babel.dates import format_timedelta

    span = timedelta(seconds=max(0.0, seconds))
    return str(format_timedelta(span, threshold=1, format="short", locale=language))
