"""The quota-aware bound (bench.bound): a true lower bound, equal to the best schedule on the benchmark's shapes."""

from __future__ import annotations

import pytest

from bench.bound import ModelDurations, Quota, admissions, bound, brute_force, schedule, slots
from bench.durations import CURRENT, REALISTIC
from bench.validity import brute_force_cases

QUOTA = Quota.of_emulator(5.0)


def test_a_full_bucket_admits_its_burst_at_once_then_one_call_per_refill() -> None:
    assert slots(7, QUOTA) == pytest.approx([0, 0, 0, 0, 0, 0.2, 0.4])
    assert admissions([0.0, 3.0, 3.0], Quota(rate=1.0, burst=1.0)) == pytest.approx([0.0, 3.0, 4.0])


def test_the_current_durations_are_bound_by_the_stop_calls() -> None:
    # The last of N StopModel calls is admitted (N - 5) / 5 s in; then 20 + 10 + 5 s.
    for models, expected in ((1, 35.0), (10, 36.0), (50, 44.0), (100, 54.0)):
        assert bound(CURRENT.draw(models), QUOTA) == pytest.approx(expected)


def test_realistic_durations_are_bound_by_the_slowest_model() -> None:
    durations = REALISTIC.draw(100)
    slowest = max(d.service_time for d in durations)
    assert slowest <= bound(durations, QUOTA) <= slowest + 100 / 5
    assert schedule(durations, QUOTA).wall == pytest.approx(bound(durations, QUOTA))


@pytest.mark.parametrize(("durations", "quota", "shape"), brute_force_cases(45))
def test_the_bound_never_exceeds_the_best_schedule(durations: list[ModelDurations], quota: Quota, shape: str) -> None:
    best = brute_force(durations, quota)
    assert bound(durations, quota) <= best + 1e-9
    assert schedule(durations, quota).wall >= best - 1e-9
    if shape != "any":  # equal durations, or spread far wider than a slot: the benchmark's shapes
        assert bound(durations, quota) == pytest.approx(best)


def test_one_list_models_page_confirms_a_hundred_versions() -> None:
    one_page = [ModelDurations(0.0, 0.0, 0.0)] * 100
    assert bound(one_page, Quota(rate=1.0, burst=1.0)) == pytest.approx(99.0)  # the stops, not the confirmation
