"""What a drill must show to pass: shared by ``make chaos`` and the tests in ``make test``."""

from __future__ import annotations

from typing import Any

#: Drills where simulated people walk the whole conversation.
WALKING = ("kills", "faults", "database", "read_only")


def failures(results: dict[str, Any]) -> list[str]:
    """Every broken promise in the figures of the drills that ran (empty: all passed)."""
    problems: list[str] = []
    for name in WALKING:
        if name in results:
            problems += [f"{name}: {p}" for p in _walking(results[name])]
    if "faults" in results:
        faults = results["faults"]
        explained = faults["send_retries_that_may_double"] + faults["questions_resent"]
        if faults["doubled"] > explained:
            problems.append(
                f"faults: {faults['doubled']} questions came twice but only {explained} "
                "retried sends and re-sent questions in the log could explain it"
            )
    if "kills" in results and results["kills"]["replies_lost_then_asked_again"]:
        problems.append(
            f"kills: {results['kills']['replies_lost_then_asked_again']} replies were lost "
            "(people had to ask again)"
        )
    for name in ("database", "read_only"):
        if name in results and results[name]["people_told_to_try_again"] == 0:
            problems.append(f"{name}: nobody was told to try again during the outage")
    if "fuzz" in results:
        problems += [f"fuzz: {p}" for p in _fuzz(results["fuzz"])]
    return problems


def _walking(drill: dict[str, Any]) -> list[str]:
    problems = []
    if drill["finished"] != drill["people"]:
        problems.append(
            f"{drill['people'] - drill['finished']} people did not finish: {drill['first_errors']}"
        )
    if drill["audit"]["problems"]:
        problems.append(f"audit found {drill['audit']['first_problems']}")
    if drill["unhandled_in_log"]:
        problems.append(f"{drill['unhandled_in_log']} unhandled errors in the log")
    return problems


def _fuzz(fuzz: dict[str, Any]) -> list[str]:
    problems = []
    if not fuzz["bot_stayed_up"]:
        problems.append("the bot went down")
    if fuzz["unhandled_in_log"]:
        problems.append(f"unhandled errors logged: {fuzz['first_unhandled']}")
    if fuzz["chats_left_unanswered"]:
        problems.append(f"{fuzz['chats_left_unanswered']} chats owed an answer got none")
    if fuzz["forged_taps_answered"] < fuzz["forged_taps"]:
        problems.append(
            f"{fuzz['forged_taps']} forged taps, {fuzz['forged_taps_answered']} answered"
        )
    if not fuzz["ordinary_person_answered_afterwards"]:
        problems.append("an ordinary person was not answered afterwards")
    return problems
