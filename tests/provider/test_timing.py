"""The timing rules: the adaptive poll schedule, backoff with full jitter, the reserve, the deadline margin."""

from __future__ import annotations

import itertools

import pytest

from lookoutvision_cdk_provider.timing import AdaptivePolls, CallRetries, FleetPolls, InvocationTimings

POLLS = AdaptivePolls()
CALLS = CallRetries()
INVOCATION = InvocationTimings()


def test_poll_interval_starts_short_grows_and_is_capped() -> None:
    intervals = [POLLS.interval(n, time_left=1e9) for n in range(40)]
    assert intervals[0] == POLLS.first
    assert all(a <= b for a, b in itertools.pairwise(intervals))
    assert intervals[3] > intervals[0]
    assert max(intervals) == POLLS.cap


def test_poll_interval_is_bounded_by_the_time_left() -> None:
    assert POLLS.interval(10, time_left=3.0) == 3.0
    assert POLLS.interval(10, time_left=-5.0) == 0.0


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_is_full_jitter_on_a_capped_exponential(attempt: int) -> None:
    ceiling = min(CALLS.backoff_cap, CALLS.backoff_base * 2**attempt)
    assert CALLS.delay(attempt, 0.0) == 0.0
    assert CALLS.delay(attempt, 0.5) == pytest.approx(ceiling / 2)
    assert CALLS.delay(attempt, 0.999999) <= ceiling


def test_backoff_honours_retry_after() -> None:
    assert CALLS.delay(0, 0.0, retry_after=3) == 3.0
    assert 3.0 <= CALLS.delay(5, 0.9, retry_after=3) <= 3.0 + CALLS.backoff_cap


def test_reserve_is_one_call_at_its_worst_or_the_slowest_calls_at_most_half_the_invocation() -> None:
    assert INVOCATION.hand_over_reserve(900.0, 10.0, 0.0) == 10.0 + INVOCATION.answer_margin
    assert INVOCATION.hand_over_reserve(900.0, 10.0, 5.0) == 5.0 * INVOCATION.reserve_calls
    assert INVOCATION.hand_over_reserve(10.0, 2.0, 5.0) == 4.0  # a call (1 s) may start until the half
    assert INVOCATION.hand_over_reserve(200.0, 400.0, 0.0) == 90.0
    assert INVOCATION.hand_over_reserve(2.0, 2.0, 0.0) == 1.0  # too short: one call, and the reserve


def test_deadline_margin_is_a_tenth_up_to_a_cap() -> None:
    assert INVOCATION.deadline_margin(60) == 6.0
    assert INVOCATION.deadline_margin(3600) == INVOCATION.deadline_margin_max
    assert INVOCATION.deadline_margin(1) < 1


def test_the_production_defaults_are_those_documented() -> None:
    """README's figures: polls from 0.5 s growing by a fifth to 20 s; a call a tenth of the invocation, 1 to 10 s."""
    assert (POLLS.first, POLLS.growth, POLLS.cap) == (0.5, 1.2, 20.0)
    assert (INVOCATION.call_share, INVOCATION.call_min, INVOCATION.call_max) == (0.1, 1.0, 10.0)
    assert (INVOCATION.deadline_share, INVOCATION.deadline_margin_max) == (0.1, 30.0)


def test_a_fleet_delete_grid_widens_with_the_phase() -> None:
    polls = FleetPolls()
    assert [polls.grid_step(e) for e in (0, 19.9, 20, 39.9, 40, 3600)] == [2.5, 2.5, 5, 5, 10, 10]


def test_a_fleet_delete_backs_off_after_retry_after_in_a_window_doubling_to_its_widest() -> None:
    polls = FleetPolls()
    assert [polls.backoff(n, 0.0, 1.0) for n in range(1, 7)] == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
    assert polls.backoff(3, 1.5, 0.0) == 1.5
    assert polls.backoff(1, 1.0, 0.5) == 2.0
