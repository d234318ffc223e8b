"""The time budget: the reserve, which calls fit, the hand-over, and the deadline."""

from __future__ import annotations

import pytest

from lookoutvision_cdk_provider.budget import Budget, HandOver
from lookoutvision_cdk_provider.errors import DeadlineExceeded, OutOfTime, ProviderError, Throttled
from lookoutvision_cdk_provider.timing import AdaptivePolls, InvocationTimings
from tests.provider.clocks import Context, FrozenClock


def _budget(clock: FrozenClock, length: float, *, started_ago: float = 0.0, service_timeout: float = 3600) -> Budget:
    return Budget(clock, Context(clock, length), started=clock.now() - started_ago, service_timeout=service_timeout)


# (invocation, reserve): one call at its worst — connect and read, each at least a real second — and half a second.
@pytest.mark.parametrize(("length", "reserve"), [(10.0, 2.5), (15.0, 2.55), (60.0, 6.5), (900.0, 10.5)])
def test_the_reserve_is_one_call_at_its_worst_and_a_margin(length: float, reserve: float) -> None:
    budget = _budget(FrozenClock(), length)
    assert budget.call_timeout == pytest.approx(min(10.0, max(1.0, length / 10)))
    assert budget.reserve() == pytest.approx(reserve)


def test_on_a_scaled_clock_the_reserve_covers_the_real_seconds_a_hand_over_takes() -> None:
    """A call's sockets and the work after it take real seconds, which a faster clock does not shorten.

    At 0.005 real seconds per second, a 200 s invocation lasts one real second: the reserve is all
    but the first half and one call (the Invoke's sockets may take two real seconds), not the 10.5 s
    (53 ms) of the clock.
    """
    clock = FrozenClock(scale=0.005)
    budget = _budget(clock, 200.0)
    assert sum(budget.socket_timeouts()) == pytest.approx(2.0)
    assert budget.reserve() == pytest.approx(90.0)
    with budget.timed_call():
        clock.sleep(0.01)
    budget.check()
    clock.at += 89.0
    budget.check()  # 111 s left: 90 reserved, 21 for a call
    clock.at += 11.0
    with pytest.raises(HandOver):  # 100 s left: 90 reserved, and a call may take 10
        budget.check()


def test_the_reserve_grows_with_the_slowest_call_timed_not_with_back_off_sleeps() -> None:
    clock = FrozenClock()
    budget = _budget(clock, 900.0)
    clock.sleep(60.0)  # a back-off sleep between two attempts: not network time
    with budget.timed_call():
        clock.sleep(4.0)
    assert budget.reserve() == pytest.approx(16.0)  # four times the slowest call
    with budget.timed_call():
        clock.sleep(300.0)
    assert budget.reserve() == pytest.approx(440.0)  # calls (10 s) may start until the invocation's half


def test_a_call_starts_only_if_it_ends_before_the_reserve() -> None:
    clock = FrozenClock()
    # A call may take 2 s; the reserve is 2.9 s: a hand-over's sockets (connect floored at 1 s, read 1.4 s) and 0.5.
    budget = _budget(clock, 20.0)
    with budget.timed_call():
        clock.sleep(0.1)
    budget.check()
    clock.at += 14.9  # 5 s left: 2.9 reserved, 2.1 for a call
    budget.check()
    clock.at += 0.2  # 4.8 s left: no call fits
    with pytest.raises(HandOver):
        budget.check()


def test_a_wait_that_does_not_fit_sleeps_what_fits_then_hands_over() -> None:
    clock = FrozenClock()
    budget = _budget(clock, 15.0)  # call 1.5 s, reserve 2.55 s (sockets 2.05 s): calls may start until 10.95 s
    with pytest.raises(HandOver):
        budget.wait(20.0)
    assert clock.slept == [pytest.approx(10.95)]


def test_no_hand_over_before_any_progress() -> None:
    clock = FrozenClock()
    budget = _budget(clock, 2.0)  # too short for one call and the reserve
    with pytest.raises(ProviderError) as caught:
        budget.check()
    assert "too short" in caught.value.message and "at least 10 seconds" in caught.value.message


def test_a_deadline_before_the_reserve_is_awaited_here_and_answered_failed() -> None:
    clock = FrozenClock()
    # ServiceTimeout 60 s (deadline 54 s after the start), started 50 s ago: 4 s left, in a 15 s invocation.
    budget = _budget(clock, 15.0, started_ago=50.0, service_timeout=60)
    assert budget.ends_here()
    budget.wait(20.0)
    assert clock.slept == [pytest.approx(4.0)]
    with pytest.raises(DeadlineExceeded) as caught:
        budget.wait(1.0)
    assert "ServiceTimeout (60 s)" in caught.value.message


def test_a_deadline_after_the_reserve_is_left_to_the_next_invocation() -> None:
    clock = FrozenClock()
    # The deadline is 14 s away; this 15 s invocation keeps its last 2 s: the next one starts before it.
    budget = _budget(clock, 15.0, started_ago=40.0, service_timeout=60)
    assert not budget.ends_here()
    with pytest.raises(HandOver):
        budget.wait(30.0)
    assert clock.now() < budget.deadline


def test_no_call_starts_that_could_end_after_cloudformation_stops_waiting() -> None:
    clock = FrozenClock()
    # ServiceTimeout 30 s: the deadline is at 27 s, but a call (10 s at worst) and the answer must
    # end by 30 s: calls start until 9.5 s.
    budget = _budget(clock, 900.0, started_ago=9.0, service_timeout=30)
    budget.check()
    clock.at += 1.0
    with pytest.raises(DeadlineExceeded):
        budget.check()


def test_a_retry_out_of_time_becomes_a_hand_over_or_the_deadline() -> None:
    clock = FrozenClock()
    budget = _budget(clock, 900.0)
    error = Throttled("DeleteModel", "ThrottlingException", "slow down")
    with budget.timed_call():
        clock.sleep(0.1)
    with pytest.raises(HandOver), budget.step():
        raise OutOfTime(error)
    late = _budget(clock, 900.0, started_ago=3500.0)
    with pytest.raises(DeadlineExceeded) as caught, late.step():
        raise OutOfTime(error)
    assert "DeleteModel" in caught.value.message


def test_socket_timeouts_share_one_call_and_have_a_real_floor() -> None:
    real = _budget(FrozenClock(), 900.0)
    assert real.socket_timeouts() == (pytest.approx(3.0), pytest.approx(7.0))
    fast = _budget(FrozenClock(scale=0.001), 900.0)  # 10 s of this clock last 10 ms
    floor = InvocationTimings().min_socket_timeout_real
    assert fast.socket_timeouts() == (floor, floor)


@pytest.mark.parametrize("length", [10.0, 15.0, 60.0, 900.0])
def test_every_invocation_spends_at_least_half_its_length_on_the_request(length: float) -> None:
    clock = FrozenClock()
    began = clock.now()
    budget = _budget(clock, length)
    with budget.timed_call():
        clock.sleep(0.05)
    with pytest.raises(HandOver):
        while True:
            budget.wait(AdaptivePolls().cap)
    assert clock.now() - began >= length / 2
