"""The figures the README and BENCHMARKS.md quote, where each is read from, and its goal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Headline:
    """A figure the README and BENCHMARKS.md quote: its flat key, where it is read from in
    the summary, what it is, and its goal (``compare`` and ``target`` decide whether it was
    met; no ``compare`` means it is reported, not judged)."""

    key: str
    section: str
    path: tuple[str, ...]
    what: str
    goal: str
    compare: str | None = None
    target: float | None = None

    def met(self, value: Any) -> bool | None:
        """Whether ``value`` meets the goal; None when there is no goal or no value."""
        if self.compare is None or self.target is None or not isinstance(value, (int, float)):
            return None
        return {
            ">=": value >= self.target,
            "<=": value <= self.target,
            "<": value < self.target,
        }[self.compare]


HEADLINES: list[Headline] = [
    Headline("dialogue.ratio_vs_conversationhandler_same_transport", "dialogue",
             ("ratio_vs_conversationhandler_same_transport",),
             "user events/s, Closer over ConversationHandler on the same transport "
             "(50 people, closed loop)", ">= 1.5", ">=", 1.5),
    Headline("dialogue.ratio_vs_conversationhandler", "dialogue",
             ("ratio_vs_conversationhandler",),
             "user events/s, Closer over ConversationHandler on PTB's default transport",
             "reported"),
    Headline("dialogue.ratio_vs_echo", "dialogue", ("ratio_vs_echo",),
             "Bot API calls/s, Closer over the echo bot (50 people, closed loop)",
             ">= 0.8", ">=", 0.8),
    Headline("dialogue.p99_ratio_vs_echo_open_50", "dialogue", ("p99_ratio_vs_echo_open_50",),
             "p99 act to reply, 50 people at their own pace, Closer over the echo bot",
             "<= 1.4", "<=", 1.4),
    Headline("dialogue.first_reply_p99_ratio_vs_echo_open_50", "dialogue",
             ("first_reply_p99_ratio_vs_echo_open_50",),
             "p99 act to the first message of the reply, 50 people at their own pace, "
             "Closer over the echo bot", "reported"),
    Headline("dialogue.p99_ms_open_50", "dialogue", ("p99_ms_open_50",),
             "p99 act to reply, 50 people at their own pace (ms)", "reported"),
    Headline("dialogue.calls_per_event", "dialogue", ("calls_per_event",),
             "Bot API calls per user event, by bot", "reported"),
    Headline("dialogue.messages_per_event", "dialogue", ("messages_per_event",),
             "messages sent per user event, by bot", "reported"),
    Headline("dialogue.cpu_ms_per_event", "dialogue", ("cpu_ms_per_event",),
             "bot CPU ms per user event, by bot", "reported"),
    Headline("memory.idle_rss_mb", "dialogue", ("memory", "idle_rss_mb"),
             "peak RSS of the idle bot after start (MB), by bot", "Closer <= 75", "<=", 75,),
    Headline("memory.load_rss_mb", "dialogue", ("memory", "load_rss_mb"),
             "peak RSS after the 50-person loads (MB), by bot", "Closer <= 90", "<=", 90),
    Headline("startup_100k.seconds", "startup_100k", ("seconds",),
             "first reply after start, 100k sessions (s)", "< 2", "<", 2),
    Headline("startup_100k.peak_rss_mb", "startup_100k", ("peak_rss_mb",),
             "peak memory, 100k sessions (MB)", "< 150", "<", 150),
    Headline("broadcast.ratio_of_limit_30", "broadcast", ("ratio_of_limit_30",),
             "broadcast rate over a 30/s limit", ">= 0.95", ">=", 0.95),
    Headline("broadcast.ratio_of_limit_1000", "broadcast", ("ratio_of_limit_1000",),
             "broadcast rate over min(1000/s, bare PTB)", ">= 0.95", ">=", 0.95),
    Headline("broadcast.peak_rss_mb_100k", "broadcast", ("peak_rss_mb_100k",),
             "broadcast peak memory, 100k subscribers (MB)", "flat"),
    Headline("broadcast.peak_rss_mb_1m", "broadcast", ("peak_rss_mb_1m",),
             "broadcast peak memory, 1M subscribers (MB)", "flat"),
    Headline("fleet.cpu_per_event_ratio", "fleet", ("cpu_per_event_ratio",),
             "bot CPU per user event, three processes over one, summed over the processes "
             "(PostgreSQL, 50 people, closed loop)", "<= 1.15", "<=", 1.15),
    Headline("fleet.events_per_second_closed_50", "fleet", ("events_per_second_closed_50",),
             "user events/s, one process and three (PostgreSQL, 50 people, closed loop)",
             "reported"),
    Headline("fleet.p99_ms_open_50", "fleet", ("p99_ms_open_50",),
             "p99 act to reply, one process and three (PostgreSQL, 50 people at their own "
             "pace, ms)", "reported"),
    Headline("fleet.takeover_seconds_max", "fleet", ("takeover_seconds_max",),
             "leader SIGKILLed to the next getUpdates begun, three processes (s, the worst "
             "of the run's takeovers)", "<= 2", "<=", 2),
    Headline("safety.recall", "safety", ("recall",),
             "danger messages of the corpus that get help", ">= 0.99", ">=", 0.99),
    Headline("safety.false_alarm_rate", "safety", ("false_alarm_rate",),
             "ordinary messages of the corpus that get help", "<= 0.03", "<=", 0.03),
    Headline("safety.us_per_message", "safety", ("us_per_message",),
             "danger check per message, words seen before (us)", "reported"),
]  # fmt: skip


def read(summary: dict[str, Any], section: str, path: tuple[str, ...]) -> Any:
    """A figure from the summary (None where its section has not run)."""
    value: Any = summary.get(section)
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The headline figures, read from the sections."""
    return {h.key: read(summary, h.section, h.path) for h in HEADLINES}


def ours(value: Any) -> Any:
    """Closer's own figure, where a headline holds every bot's."""
    return value.get("closer") if isinstance(value, dict) else value
