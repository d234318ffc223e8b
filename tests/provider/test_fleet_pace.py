"""The pace of one Delete among its fleet: its first call's slot, its own slots of the quota, its grid, its end."""

from __future__ import annotations

import itertools
import random

import pytest

from lookoutvision_cdk_provider.fleet_pace import Fleet, Look, Pace, Phase
from lookoutvision_cdk_provider.timing import FleetPolls

POLLS = FleetPolls()
START = 1_000_000.0  # epoch seconds, on every round's boundary


def _pace(rank: int = 0, size: int = 1, version: str = "1", unit: float = 0.5) -> Pace:
    pace = Pace(POLLS, Fleet(rank, size), version, random_unit=lambda: unit)
    pace.begin(Phase.STOPPING, START)
    return pace


def _bucket_admits(times: list[float], rate: float, burst: float) -> bool:
    """Whether a token bucket full at the first time admits every call at its time (the service's quota)."""
    tokens, last = burst, min(times)
    for at in sorted(times):
        tokens = min(burst, tokens + (at - last) * rate)
        if tokens < 1 - 1e-9:
            return False
        tokens, last = tokens - 1, at
    return True


def test_the_fleets_first_calls_come_one_a_slot_whenever_lambda_started_each() -> None:
    rng = random.Random(7)
    firsts = []
    for rank in range(30):
        started = START + rng.uniform(0, 3)  # invocations start at different moments
        firsts.append(started + _pace(rank, 30).first_call(started))
    assert _bucket_admits(firsts, POLLS.rate, POLLS.rate)  # one a slot, as fast as the quota admits them
    assert all(b - a >= 1 / POLLS.rate - 1e-9 for a, b in itertools.pairwise(sorted(firsts)))
    assert max(firsts) - START <= 3 + 30 / POLLS.rate  # within one round of the last start
    assert _pace().first_call(START + 0.123) == 0.0  # a fleet of one calls at once
    assert not _bucket_admits([START] * 6, POLLS.rate, POLLS.rate)  # the same calls all at once are not


def test_a_lone_delete_looks_on_a_grid_from_the_phase_start_that_widens_with_the_phase() -> None:
    pace = _pace()
    now, looks = START, []
    while now < START + 70:
        delay, _ = pace.next_look(now)
        now += delay
        pace.looked()
        looks.append(round(now - START, 6))
    assert looks[:12] == [2.5 * k for k in range(1, 9)] + [25.0, 30.0, 35.0, 40.0]  # every 2.5 s, then 5 s
    assert looks[12:14] == [50.0, 60.0]  # then 10 s


@pytest.mark.parametrize("size", [10, 50, 100])
def test_a_fleets_looks_never_share_a_slot_and_stay_within_each_apis_quota(size: int) -> None:
    """Whatever each Delete wants (phases, pages, throttles at random), every look takes a slot of its own."""
    rng = random.Random(size)
    taken: dict[Look, list[tuple[float, int]]] = {Look.LIST: [], Look.DESCRIBE: []}
    for rank in range(size):
        pace = _pace(rank, size, version=str(rank + 1))
        now = START + rng.uniform(0, 20)
        pace.begin(Phase.STOPPING, now)
        while now < START + 120:
            delay, look = pace.next_look(now)
            now += delay
            taken[look].append((now, rank))
            pace.looked()
            if rng.random() < 0.1:
                pace.begin(Phase.DELETING, now)
            if rng.random() < 0.1:
                pace.look_refused()
            if look is Look.LIST:
                statuses = ("STOPPING_HOSTING", "DELETING", "TRAINED")
                pace.saw({str(v + 1): rng.choice(statuses) for v in range(size)}, now)
    width = 1 / (POLLS.utilization * POLLS.rate)
    for look, calls in taken.items():
        calls.sort()
        for (at_a, rank_a), (at_b, rank_b) in itertools.pairwise(calls):
            assert rank_a == rank_b or at_b - at_a >= width - 1e-6, (look, at_a, rank_a, at_b, rank_b)
        times = [at for at, _ in calls]
        assert _bucket_admits(times, POLLS.rate, POLLS.rate), look


def test_while_stopping_the_first_of_its_two_slots_is_taken() -> None:
    pace = _pace(rank=3, size=20)
    now, kinds = START, []
    for _ in range(8):
        delay, look = pace.next_look(now)
        wanted = pace._wanted(now)
        assert now + delay == pytest.approx(min(pace.slot(Look.LIST, wanted), pace.slot(Look.DESCRIBE, wanted)))
        now += delay
        pace.looked()
        kinds.append(look)
    assert set(kinds) == {Look.LIST, Look.DESCRIBE}


def test_while_deleting_every_look_is_a_list_page() -> None:
    pace = _pace(rank=3, size=20)
    pace.begin(Phase.DELETING, START + 7)
    now = START + 7
    for _ in range(6):
        delay, look = pace.next_look(now)
        assert look is Look.LIST
        now += delay
        pace.looked()


def _fleet_page(stopping: int, stopped: int) -> dict[str, str]:
    return {str(v): "STOPPING_HOSTING" for v in range(1, stopping + 1)} | {
        str(v): "DELETING" for v in range(stopping + 1, stopping + stopped + 1)
    }


def test_the_last_of_a_fleet_to_leave_a_phase_are_looked_at_most_often() -> None:
    """Once members left the phase, the wanted interval shrinks with the share still in it."""
    early, late = _pace(rank=0, size=2, version="1"), _pace(rank=0, size=2, version="1")
    first = START + 15  # the pages first show members past stopping 15 s into the fleet's teardown
    early.saw(_fleet_page(stopping=20, stopped=0), START + 1)
    early.saw(_fleet_page(stopping=18, stopped=2), first)
    late.saw(_fleet_page(stopping=20, stopped=0), START + 1)
    late.saw(_fleet_page(stopping=2, stopped=18), first)
    now = START + 16
    assert late.remaining(now) == pytest.approx(0.1)
    assert early.remaining(now) == pytest.approx(0.9)
    assert late.next_look(now)[0] < early.next_look(now)[0] <= POLLS.grid
    assert late.next_look(now)[0] <= POLLS.soonest + 2 / POLLS.rate  # the soonest, at its next slot (a round of 2)


def test_no_shrinking_before_the_phase_is_as_old_as_the_shortest_a_member_was_seen_through() -> None:
    pace = _pace(rank=0, size=2, version="1")
    pace.saw(_fleet_page(stopping=20, stopped=0), START + 1)
    pace.saw(_fleet_page(stopping=2, stopped=18), START + 15)
    pace.begin(Phase.STOPPING, START + 14)  # this Delete's own stop began late: 1 s of its phase so far
    assert pace.remaining(START + 15) is None


def test_throttled_actions_back_off_in_a_doubling_window_after_retry_after() -> None:
    pace = _pace(unit=1.0)
    windows = []
    for _ in range(6):
        pace.refused(retry_after=1.0)
        windows.append(pace.next_look(START)[0])
    assert windows == [1.0 + w for w in (2.0, 4.0, 8.0, 16.0, 16.0, 16.0)]
    pace.admitted()
    assert pace.next_look(START)[0] == pytest.approx(POLLS.grid)  # back on its grid


def test_a_throttled_look_is_taken_again_at_its_first_slot_after_the_soonest_interval() -> None:
    pace = _pace(rank=7, size=40)
    now = START + 3.3
    pace.look_refused()
    delay, look = pace.next_look(now)
    assert delay >= POLLS.soonest
    assert pace.slot(look, now + POLLS.soonest) == pytest.approx(now + delay)
    assert delay <= POLLS.soonest + 40 / (POLLS.utilization * POLLS.rate)  # within one round


def test_the_last_of_its_fleet_and_a_delete_alone_look_when_they_want() -> None:
    """No other version stopping or being deleted on the last page: every slot is free (siblings hosted, say)."""
    pace = _pace(rank=37, size=100, version="38")
    wanted = START + 2.5
    pace.saw({"38": "STOPPING_HOSTING", "2": "DELETING"}, START + 1)
    assert pace.slot(Look.DESCRIBE, wanted) > wanted  # its fleet still runs: its own slot, later
    pace.saw({"38": "STOPPING_HOSTING", "1": "HOSTED", "2": "TRAINED"}, START + 1)
    assert pace.slot(Look.DESCRIBE, wanted) == wanted
    assert pace.next_look(START + 1) == (pytest.approx(1.5), Look.LIST)  # on its grid, no slot to wait for
