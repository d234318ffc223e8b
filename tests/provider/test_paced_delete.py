"""The pace of a Delete among a fleet: its share of the quota, phases polled soon, throttled calls spread out."""

from __future__ import annotations

import itertools

import pytest

from lookoutvision_cdk_provider.errors import Throttled
from lookoutvision_cdk_provider.paced_delete import FleetPolls, _Pace

POLLS = FleetPolls()


def _pace(unit: float = 0.5) -> _Pace:
    return _Pace(POLLS, random_unit=lambda: unit)  # 0.5: no jitter either way


def test_alone_a_phase_is_polled_soon_then_at_growing_intervals_up_to_the_cap() -> None:
    pace = _pace()
    intervals = [pace.interval(polls, float("inf")) for polls in range(15)]
    assert intervals[0] == POLLS.first
    assert all(a <= b for a, b in itertools.pairwise(intervals))
    assert max(intervals) == POLLS.cap


@pytest.mark.parametrize("fleet", [10, 50, 100])
def test_a_fleet_shares_the_two_quotas(fleet: int) -> None:
    pace = _pace()
    pace.saw({str(v): "STOPPING_HOSTING" for v in range(fleet)} | {"x": "TRAINED"})
    share = fleet / (POLLS.utilization * POLLS.rate * 2)  # each Delete polls each API every other time
    assert pace.interval(0, float("inf")) == pytest.approx(max(POLLS.first, share))
    # Every Delete polling at that interval uses at most `utilization` of the two quotas.
    assert fleet / pace.interval(0, float("inf")) <= POLLS.utilization * POLLS.rate * 2 + 1e-9


def test_the_jitter_spreads_intervals_within_its_fraction() -> None:
    low, high = _pace(0.0).interval(20, float("inf")), _pace(0.999).interval(20, float("inf"))
    assert low == pytest.approx(POLLS.cap * (1 - POLLS.jitter))
    assert high == pytest.approx(POLLS.cap * (1 + POLLS.jitter), rel=1e-3)


def test_throttled_actions_back_off_in_a_doubling_window_after_retry_after() -> None:
    pace = _pace(1.0)
    windows = []
    for _ in range(6):
        pace.refused(Throttled("StopModel", "ThrottlingException", "slow down", retry_after=1.0))
        windows.append(pace.interval(0, float("inf")))
    assert windows == [1.0 + w for w in (2.0, 4.0, 8.0, 16.0, 16.0, 16.0)]
    assert pace.fleet >= POLLS.burst * 2  # before any ListModels page, each throttle doubles the fleet assumed
    pace.admitted()  # polls again at the share of the fleet it now assumes (the most jitter: unit 1.0)
    share = pace.fleet / (POLLS.utilization * POLLS.rate * 2)
    assert pace.interval(0, float("inf")) == pytest.approx(share * (1 + POLLS.jitter))


def test_once_the_version_is_gone_listmodels_is_asked_at_once_then_at_half_the_share() -> None:
    pace = _pace()
    pace.saw({str(v): "DELETING" for v in range(100)})
    pace.gone = True
    assert pace.interval(0, float("inf")) == POLLS.first
    assert pace.interval(3, float("inf")) == pytest.approx(100 / (POLLS.utilization * POLLS.rate * 2) / 2)


def test_no_wait_outlasts_the_time_left() -> None:
    pace = _pace()
    pace.saw({str(v): "HOSTED" for v in range(100)})
    assert pace.interval(0, 2.0) == 2.0
