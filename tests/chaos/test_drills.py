"""The reduced fault drills (``make chaos --quick`` runs the same ones, with a report).

Each drill runs the real bot in its own process against a stand-in process, so these are
the slowest tests in the suite (about a minute together); the full drills are in
``make chaos``.
"""

from __future__ import annotations

import os

import pytest

from chaos import broadcast, drills, fleet, webhook
from chaos.verdict import failures

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.timeout(240)


async def test_sigkills_mid_conversation_lose_nothing() -> None:
    result = await drills.kills(people=20, kill_count=2, seed=1, patience=6)
    assert result["kills_while_people_were_mid_way"] == 2
    assert result["audit"]["answers_stored"] == 20 * 18
    assert failures({"kills": result}) == []


async def test_a_failing_bot_api_still_gets_everyone_to_the_end() -> None:
    result = await drills.faults(people=10, rate=0.05, seed=2, quick=True)
    assert sum(result["faults_injected"].values()) > 0, "the drill must inject faults"
    assert failures({"faults": result}) == []


async def test_fuzzed_updates_never_take_the_bot_down() -> None:
    result = await drills.fuzzing(count=400, seed=3)
    assert result["chats_owed_an_answer"] > 0
    assert failures({"fuzz": result}) == []


async def test_a_broadcast_keeps_the_limits_and_gives_way_to_replies() -> None:
    result = await drills.limits(people=20, audience=500, plan=drills.REDUCED_LIMITS, seed=6)
    assert failures({"limits": result}) == []


async def test_a_locked_database_means_try_again_and_nothing_lost() -> None:
    result = await drills.database_outage(people=10, seconds=drills.OUTAGE_SECONDS, seed=4)
    assert failures({"database": result}) == []


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set, so the PostgreSQL read-only drill is skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)
async def test_a_read_only_database_means_try_again_and_nothing_lost() -> None:
    result = await drills.read_only_database(POSTGRES_URL, people=10, seconds=4, seed=5)
    assert failures({"read_only": result}) == []


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set, so the several-processes drills are skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)
async def test_three_processes_survive_their_poller_being_killed() -> None:
    result = await fleet.failover(POSTGRES_URL, people=30, kill_count=2, processes=3, seed=7)
    assert len(result["takeover_seconds"]) == 2
    assert result["calls_taken_over"] + result["audit"]["answers_stored"] > 0
    assert failures({"failover": result}) == []


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set, so the several-processes drills are skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)
async def test_a_rolling_deploy_loses_and_doubles_nothing() -> None:
    result = await fleet.rolling_deploy(POSTGRES_URL, people=30, seed=8)
    assert failures({"deploy": result}) == []


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set, so the webhook drill (several processes) is skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)
@pytest.mark.skipif(
    webhook.nginx_binary() is None,
    reason="nginx is not installed, so the webhook-behind-nginx drill is skipped "
    "(.ci/run installs nginx-light with apt)",
)
async def test_webhook_processes_behind_nginx_survive_a_kill() -> None:
    result = await webhook.webhook(POSTGRES_URL, people=30, kill_count=1, processes=3, seed=9)
    assert result["nginx"]["requests"] >= result["acts"]
    assert failures({"webhook": result}) == []


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="TEST_DATABASE_URL is not set, so the broadcast failover drill is skipped "
    "(.ci/run sets it to postgresql+asyncpg://postgres@127.0.0.1:5432/test)",
)
async def test_a_broadcast_survives_its_sender_being_killed() -> None:
    result = await broadcast.broadcast_failover(POSTGRES_URL, audience=1_000, rate=100, processes=3)
    assert result["killed_after_copies"] > 0
    assert failures({"broadcast_failover": result}) == []
