"""Five people with different stories, as their answers: shared by the engine and e2e tests.

Each name says what the answers describe; the tests check that each reads guidance of
their own (different suggestions, lines about what they said).
"""

from __future__ import annotations

PEOPLE = {
    "his partner panics at daily check-ins": {
        "stage": "building", "pattern": "less_contact", "duration": "months",
        "independence_space": "warmer", "independence_words": "often",
        "vulnerability_talk": "listens", "vulnerability_past": "none_known",
        "pressure_future": "uneasy", "pressure_outside": "a_little",
        "readiness_load": "everyday", "readiness_words": "not_said",
        "social_circle": "mixed", "social_seen": "not_known",
        "viability_talk": "sometimes", "viability_load": "mostly_me",
        "viability_future": "hard", "viability_alone": "sometimes",
    },
    "she carries it all alone": {
        "stage": "committed", "pattern": "closed_off", "duration": "longer",
        "independence_space": "still_far", "independence_words": "never",
        "vulnerability_talk": "withdraws", "vulnerability_past": "still_hurts",
        "pressure_future": "tenses", "pressure_outside": "hardly",
        "readiness_load": "nothing_visible", "readiness_words": "not_said",
        "social_circle": "supportive", "social_seen": "mentions_it",
        "viability_talk": "rarely", "viability_load": "always_me",
        "viability_future": "avoided", "viability_alone": "mostly",
    },
    "family pressure on a new couple": {
        "stage": "early", "pattern": "avoids_future", "duration": "weeks",
        "independence_space": "same", "independence_words": "never",
        "vulnerability_talk": "opens_up", "vulnerability_past": "at_peace",
        "pressure_future": "tenses", "pressure_outside": "a_lot",
        "readiness_load": "everyday", "readiness_words": "hinted",
        "social_circle": "wary", "social_seen": "not_known",
        "viability_talk": "usually", "viability_load": "shared",
        "viability_future": "hard", "viability_alone": "rarely",
    },
    "he's drowning at work": {
        "stage": "established", "pattern": "distracted", "duration": "months",
        "independence_space": "unsure", "independence_words": "never",
        "vulnerability_talk": "listens", "vulnerability_past": "none_known",
        "pressure_future": "joins_in", "pressure_outside": "hardly",
        "readiness_load": "major", "readiness_words": "said_so",
        "social_circle": "supportive", "social_seen": "not_known",
        "viability_talk": "usually", "viability_load": "mostly_me",
        "viability_future": "we_talk", "viability_alone": "sometimes",
    },
    "her friends come first": {
        "stage": "building", "pattern": "others", "duration": "longer",
        "independence_space": "warmer", "independence_words": "once",
        "vulnerability_talk": "deflects", "vulnerability_past": "never_talks",
        "pressure_future": "not_discussed", "pressure_outside": "a_little",
        "readiness_load": "nothing_visible", "readiness_words": "not_said",
        "social_circle": "wary", "social_seen": "rarely_mentions",
        "viability_talk": "sometimes", "viability_load": "always_me",
        "viability_future": "hard", "viability_alone": "sometimes",
    },
}  # fmt: skip
