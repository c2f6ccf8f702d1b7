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
        explained = faults["send_retries_that_may_double"]
        if faults["doubled"] > explained:
            problems.append(
                f"faults: {faults['doubled']} questions came twice but only {explained} "
                "sends tried again in the log could explain it"
            )
    for name in ("kills", "faults"):
        if name in results and results[name]["replies_lost_then_asked_again"]:
            problems.append(
                f"{name}: {results[name]['replies_lost_then_asked_again']} times a person "
                "waited past their patience and had to ask again"
            )
    if "kills" in results:
        kills = results["kills"]
        over = [n for n in kills["doubled_per_kill"] if n > kills["in_flight_bound"]]
        if over:
            problems.append(
                f"kills: {over} questions came twice after one kill, over the in-flight "
                f"bound of {kills['in_flight_bound']}"
            )
        unexplained = kills["doubled"] - sum(kills["doubled_per_kill"])
        if unexplained:
            problems.append(f"kills: {unexplained} questions came twice with no kill before")
    for name in ("database", "read_only"):
        if name in results and results[name]["people_told_to_try_again"] == 0:
            problems.append(f"{name}: nobody was told to try again during the outage")
    if "fuzz" in results:
        problems += [f"fuzz: {p}" for p in _fuzz(results["fuzz"])]
    if "limits" in results:
        problems += [f"limits: {p}" for p in _limits(results["limits"])]
    for name in ("failover", "deploy"):
        if name in results:
            problems += [f"{name}: {p}" for p in _fleet(results[name])]
    if "webhook" in results and "skipped" not in results["webhook"]:
        problems += [f"webhook: {p}" for p in _webhook(results["webhook"])]
    if "broadcast_failover" in results:
        problems += [f"broadcast_failover: {p}" for p in _broadcast(results["broadcast_failover"])]
    return problems


def _webhook(drill: dict[str, Any]) -> list[str]:
    """Webhook processes behind nginx (``chaos/webhook.py``): everyone finishes, nobody
    waits past their patience, doubles per kill within the in-flight bound, no ERROR in
    any log, the audit clean."""
    problems = _walking(drill)
    if drill["replies_lost_then_asked_again"]:
        problems.append(
            f"{drill['replies_lost_then_asked_again']} replies came later than "
            f"{drill['reply_patience_seconds']:g} s, or never"
        )
    over = [n for n in drill["doubled_per_kill"] if n > drill["in_flight_bound"]]
    if over:
        problems.append(f"doubles per kill {over} over {drill['in_flight_bound']}")
    unexplained = drill["doubled"] - sum(drill["doubled_per_kill"])
    if unexplained:
        problems.append(f"{unexplained} questions came twice with no kill before")
    if drill["error_lines"]:
        problems.append(f"{drill['error_lines']} ERROR lines in the logs")
    if not drill["nginx"]["requests"]:
        problems.append("nginx passed no webhook request")
    return problems


def _broadcast(drill: dict[str, Any]) -> list[str]:
    """A broadcast whose sender is SIGKILLed (``chaos/broadcast.py``): another process
    finishes it, everyone gets it, doubles within one window, no second over the rate plus
    the burst, and never more than a window claimed at once."""
    problems = []
    if not drill["broadcast_done"]:
        problems.append("the broadcast was not finished")
    if not drill["taken_over_by_another"]:
        problems.append("no other process took the broadcast over")
    if drill["missing"]:
        problems.append(f"{drill['missing']} of {drill['audience']} subscribers never got it")
    if drill["doubled"] > drill["double_bound"]:
        problems.append(f"{drill['doubled']} got it twice, over the bound {drill['double_bound']}")
    ceiling = drill["broadcast_rate"] + drill["burst"]
    if drill["busiest_second"] > ceiling:
        problems.append(f"{drill['busiest_second']} messages in one second, over {ceiling:g}")
    if drill["most_claimed_at_once"] > drill["double_bound"]:
        problems.append(
            f"{drill['most_claimed_at_once']} recipients were claimed (sending) at once, over "
            f"the window of {drill['double_bound']} the doubling bound rests on"
        )
    if drill["error_lines"] or drill["unhandled_in_log"]:
        problems.append(
            f"{drill['error_lines']} ERROR lines, {drill['unhandled_in_log']} unhandled in the logs"
        )
    return problems


def _fleet(drill: dict[str, Any]) -> list[str]:
    """Several processes (``chaos/fleet.py``): everyone finishes, nobody waits past their
    patience, a new poller within the bound, doubles only within the in-flight bound per
    kill (none at all in a deploy), no ERROR in any log."""
    problems = _walking(drill)
    if drill["replies_lost_then_asked_again"]:
        problems.append(
            f"{drill['replies_lost_then_asked_again']} replies came later than "
            f"{drill['reply_patience_seconds']:g} s, or never"
        )
    if "takeover_seconds" in drill:
        slow = [s for s in drill["takeover_seconds"] if s > drill["takeover_bound"]]
        if slow:
            problems.append(f"a new poller took {slow} s (bound {drill['takeover_bound']:g} s)")
        over = [n for n in drill["doubled_per_kill"] if n > drill["in_flight_bound"]]
        if over:
            problems.append(f"doubles per kill {over} over {drill['in_flight_bound']}")
    elif drill["doubled"]:
        problems.append(f"{drill['doubled']} messages came twice in a deploy")
    if drill["error_lines"]:
        problems.append(f"{drill['error_lines']} ERROR lines in the logs")
    return problems


#: How much slower people's median reply may be while a broadcast goes out.
MEDIAN_WITH_BROADCAST = 1.5


def _limits(drill: dict[str, Any]) -> list[str]:
    problems = []
    ceiling = drill["overall_limit"] + drill["overall_burst"]
    for phase in ("without_broadcast", "with_broadcast"):
        figures = drill[phase]
        if figures["failures"]:
            problems.append(f"{phase}: {figures['failures']} people gave up")
        if figures["unhandled_in_log"]:
            problems.append(f"{phase}: {figures['unhandled_in_log']} unhandled errors in the log")
        if figures["busiest_second"] > ceiling:
            problems.append(
                f"{phase}: {figures['busiest_second']} messages in one second, over {ceiling}"
            )
        if figures["chats_over_their_limit"]:
            problems.append(f"{phase}: {figures['chats_over_their_limit']} chats over their limit")
    if not drill["with_broadcast"]["broadcast_messages"]:
        problems.append("the broadcast sent nothing while people talked")
    ratio = drill["median_ratio"]
    if ratio is None or ratio > MEDIAN_WITH_BROADCAST:
        problems.append(
            f"people's median reply was {ratio} times as slow with the broadcast "
            f"(at most {MEDIAN_WITH_BROADCAST})"
        )
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
