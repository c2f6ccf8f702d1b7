"""Controls that make the stand-in behave like Telegram under load or failure.

Rate limits are token buckets (Telegram's are about 30 messages a second per bot, about one
a second per chat with short bursts, 20 a minute per group); exceeding one returns 429
with ``retry_after``. Latency delays every call. Faults fail a share of calls as a 5xx, a
dropped connection or a hang, optionally *after* the call took effect (the case that makes
a retrying client send something twice). Everything is off until a test turns it on.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from standin.errors import too_many_requests

#: Methods that put a message in a chat, and so count against the message limits.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVideo", "copyMessage", "sendSticker"}
)


class FaultKind(StrEnum):
    """How an injected failure looks to the client."""

    SERVER_ERROR = "5xx"  # 502 Bad Gateway with Telegram's JSON error body
    DROP = "drop"  # the connection closes with no response
    TIMEOUT = "timeout"  # no response until the client gives up


@dataclass
class TokenBucket:
    """``rate`` tokens a second, holding at most ``burst``."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """Takes a token; returns 0 on success or the seconds until one is free."""
        moment = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Faults:
    """Which calls fail, and how."""

    rate: float = 0.0
    kinds: tuple[FaultKind, ...] = (FaultKind.SERVER_ERROR,)
    methods: frozenset[str] | None = None  # None: every method except getUpdates
    after_effect_share: float = 0.0
    timeout_seconds: float = 30.0
    seed: int | None = None


@dataclass
class Controls:
    """Every knob a test or benchmark can turn."""

    global_rate: float | None = None
    global_burst: float | None = None
    per_chat_rate: float | None = None
    per_chat_burst: float = 3.0
    group_per_minute: float | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    faults: Faults = field(default_factory=Faults)
    #: Telegram refuses to answer a callback query after roughly this many seconds.
    callback_answer_deadline: float | None = 15.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Controls:
        """Builds controls from the control endpoint's JSON body."""
        faults = dict(data.get("faults") or {})
        if "kinds" in faults:
            faults["kinds"] = tuple(FaultKind(kind) for kind in faults["kinds"])
        if faults.get("methods") is not None:
            faults["methods"] = frozenset(faults["methods"])
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "faults"}
        return cls(**known, faults=Faults(**faults))

    def to_json(self) -> dict[str, Any]:
        """The controls as JSON, for the control endpoint's answer."""
        faults = self.faults
        return {
            "global_rate": self.global_rate,
            "global_burst": self.global_burst,
            "per_chat_rate": self.per_chat_rate,
            "per_chat_burst": self.per_chat_burst,
            "group_per_minute": self.group_per_minute,
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
            "callback_answer_deadline": self.callback_answer_deadline,
            "faults": {
                "rate": faults.rate,
                "kinds": [kind.value for kind in faults.kinds],
                "methods": sorted(faults.methods) if faults.methods is not None else None,
                "after_effect_share": faults.after_effect_share,
                "timeout_seconds": faults.timeout_seconds,
                "seed": faults.seed,
            },
        }


class Limiter:
    """Applies the controls' rate limits for one bot."""

    def __init__(self, controls: Controls) -> None:
        self.controls = controls
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        if controls.global_rate:
            self._global = TokenBucket(
                controls.global_rate, controls.global_burst or controls.global_rate
            )

    def check(self, chat_id: int, is_group: bool) -> None:
        """Raises 429 if sending to this chat now would exceed a limit."""
        controls = self.controls
        waits = []
        chat_rate = controls.per_chat_rate
        chat_burst = controls.per_chat_burst
        if is_group and controls.group_per_minute:
            chat_rate, chat_burst = controls.group_per_minute / 60, controls.group_per_minute
        if chat_rate:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                bucket = self._chats[chat_id] = TokenBucket(chat_rate, chat_burst)
            wait = bucket.take()
            if wait:
                waits.append(wait)
        if not waits and self._global is not None:
            wait = self._global.take()
            if wait:
                waits.append(wait)
        if waits:
            raise too_many_requests(max(1, math.ceil(max(waits))))


class FaultPlan:
    """Decides, call by call and reproducibly with a seed, which calls fail and how."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)

    def pick(self, method: str) -> tuple[FaultKind, bool] | None:
        """The fault for this call (and whether it strikes after the effect), or None."""
        faults = self.faults
        if faults.rate <= 0 or method == "getUpdates":
            return None
        if faults.methods is not None and method not in faults.methods:
            return None
        if self._random.random() >= faults.rate:
            return None
        kind = self._random.choice(faults.kinds)
        return kind, self._random.random() < faults.after_effect_share

    def latency(self, controls: Controls) -> float:
        """Seconds to delay this call."""
        if not controls.latency_ms and not controls.jitter_ms:
            return 0.0
        return max(0.0, controls.latency_ms + self._random.uniform(0, controls.jitter_ms)) / 1000
