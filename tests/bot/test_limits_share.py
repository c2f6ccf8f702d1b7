"""Several processes keep one bot's overall limit between them."""

from __future__ import annotations

import pytest

from bot.limits import STANDBYS_SHARE, overall_share


@pytest.mark.parametrize("live", range(1, 7))
@pytest.mark.parametrize("every_process_replies", [False, True])
def test_the_shares_of_all_processes_add_up_to_at_most_the_whole(
    live: int, every_process_replies: bool
) -> None:
    leader = overall_share(live=live, leading=True, every_process_replies=every_process_replies)
    standby = overall_share(live=live, leading=False, every_process_replies=every_process_replies)
    assert leader + standby * (live - 1) <= 1.0 + 1e-9
    assert leader > 0
    assert standby > 0


def test_the_polling_leader_keeps_the_most_and_one_process_keeps_everything() -> None:
    assert overall_share(live=1, leading=True, every_process_replies=False) == 1.0
    assert overall_share(live=3, leading=True, every_process_replies=False) == 1 - STANDBYS_SHARE
    assert overall_share(live=3, leading=False, every_process_replies=True) == pytest.approx(1 / 3)
