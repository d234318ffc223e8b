"""The rig checked against what it must agree with: an oracle on the bound, two time scales, faithful baselines.

Quick forms of ``bench.validity``: a few fleets of a few models at fast time scales. They compare
runs with bounds and with each other; none asserts a duration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import oracle
from bench.bound import bound
from bench.contenders import CdkContender
from bench.durations import CURRENT, REALISTIC, DurationSet
from bench.measure import PROJECT, run_once
from bench.rig import Rig, logical_id
from lookoutvision_localcloud.lookoutvision import Fault


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with Rig(0.05) as started:
        yield started


@pytest.mark.parametrize(
    ("durations", "models", "time_scale"), [(CURRENT, 1, 0.2), (CURRENT, 10, 0.2), (REALISTIC, 10, 0.05)]
)
def test_an_oracle_that_knows_the_durations_lands_within_2_percent_of_the_bound(
    durations: DurationSet, models: int, time_scale: float
) -> None:
    """At a time scale where 2% of the bound is far more than the rig's own latency (a loaded machine's too)."""
    drawn = durations.draw(models)
    with Rig(time_scale) as rig:
        arns = rig.hosted_models(PROJECT, drawn)
        result = oracle.run(rig, PROJECT, arns, drawn)
    assert result.bound == pytest.approx(bound(drawn, rig.quota))
    assert result.bound <= result.wall <= 1.02 * result.bound
    assert result.calls == 2 * models + 1  # one StopModel and one DeleteModel each, one ListModels for all


def _cdk_ratio(time_scale: float, models: int) -> float:
    drawn = CURRENT.draw(models)
    contender = CdkContender()
    with Rig(time_scale) as rig:
        contender.start(rig, models)
        try:
            row = run_once(rig, contender, drawn, timeout=600)
        finally:
            contender.stop(rig)
    assert row["failed"] == 0
    return float(row["wall"] / row["bound"])


def test_the_same_fleet_at_two_time_scales_agrees_within_5_percent() -> None:
    fast, slow = _cdk_ratio(0.1, 3), _cdk_ratio(0.25, 3)  # 0.25: the current durations' scale in make bench
    assert fast == pytest.approx(slow, rel=0.05)


def test_the_cdk_framework_answers_failed_when_is_complete_throws(rig: Rig) -> None:
    """The user's isComplete meets throttling past boto3's retries: the framework's safeHandler answers FAILED."""
    contender = CdkContender()
    contender.start(rig, 1)
    try:
        rig.reset()
        [arn] = rig.hosted_models(PROJECT, CURRENT.draw(1))
        rig.emulator.add_fault(Fault(kind="throttling", operations={"DescribeModel"}, count=100))
        event = rig.delete_event(contender.service_token(), arn, logical_id(0, 1))
        [request] = contender.send(rig, [event], timeout=60)
        invocations = contender.invocations([request])
    finally:
        contender.stop(rig)
    assert request.status == "FAILED"
    describes = rig.emulator.calls_of("DescribeModel")
    assert describes and all(c.status == 429 for c in describes)  # boto3's attempts, all throttled
    assert invocations.total == 2  # onEvent, then one isComplete: a function error is not retried


def test_the_well_written_peer_rides_out_the_same_throttling(rig: Rig) -> None:
    """The same throttled isComplete in the tolerant baseline answers IsComplete false, and the framework asks again."""
    contender = CdkContender.tolerant()
    contender.start(rig, 1)
    try:
        rig.reset()
        [arn] = rig.hosted_models(PROJECT, CURRENT.draw(1))
        rig.emulator.add_fault(Fault(kind="throttling", operations={"DescribeModel"}, count=3))  # boto3's 3 attempts
        event = rig.delete_event(contender.service_token(), arn, logical_id(0, 1))
        [request] = contender.send(rig, [event], timeout=120)
        invocations = contender.invocations([request])
    finally:
        contender.stop(rig)
    assert request.status == "SUCCESS", request.reason
    describes = rig.emulator.calls_of("DescribeModel")
    assert [c.status for c in describes[:3]] == [429, 429, 429]  # one isComplete's attempts, all throttled
    assert invocations.total >= 3  # onEvent, the throttled isComplete, and the ones after it
    assert rig.unlisted(PROJECT, "1") is not None
