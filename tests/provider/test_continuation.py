"""The continuation record, the time budget and the hand-over call."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud.awslambda import LambdaService
from provider import consts
from provider.continuation import (
    MAX_ASYNC_PAYLOAD,
    Budget,
    Continuation,
    HandOver,
    hand_over,
    request_signed_at,
)
from provider.errors import ContinuationFailed, DeadlineExceeded, OutOfTime, Throttled
from tests.fixtures.awslambda import lambda_client, local_function


@dataclass
class Context:
    """A Lambda context whose remaining time is set by the test (service milliseconds)."""

    remaining_ms: int
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:provider"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class FrozenClock:
    """A clock that only moves when the test (or a sleep) moves it."""

    def __init__(self, scale: float = 1.0, at: float = 1_000_000.0) -> None:
        self.scale = scale
        self.at = at
        self.slept: list[float] = []

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += seconds

    def real_seconds(self, seconds: float) -> float:
        return seconds * self.scale


def test_a_first_invocation_starts_a_record_now() -> None:
    clock = FrozenClock()
    record = Continuation.from_event({"RequestType": "Delete"}, clock)
    assert (record.started, record.invocation, record.progress) == (clock.now(), 1, {})


def test_the_record_travels_in_the_next_event_and_counts_invocations() -> None:
    event = {"RequestType": "Create", "RequestId": "r"}
    record = Continuation(123.5, 1, {"ModelArn": "arn"})
    following = record.next_event(event)
    assert following["RequestId"] == "r"
    again = Continuation.from_event(following, FrozenClock())
    assert (again.started, again.invocation, again.progress) == (123.5, 2, {"ModelArn": "arn"})
    assert Continuation.from_event(again.next_event(following), FrozenClock()).invocation == 3
    assert len(json.dumps(following[consts.CONTINUATION])) < 200


@pytest.mark.parametrize("raw", ["x", {"Started": "yesterday", "Invocation": 2}, {"Started": 1.0, "Invocation": "2"}])
def test_a_malformed_record_starts_afresh(raw: Any) -> None:
    clock = FrozenClock()
    assert Continuation.from_event({consts.CONTINUATION: raw}, clock).started == clock.now()


def test_wait_sleeps_while_the_invocation_has_time() -> None:
    clock = FrozenClock()
    budget = Budget(clock, Context(remaining_ms=600_000), started=clock.now(), service_timeout=3600)
    budget.wait(5.0)
    assert clock.slept == [5.0]  # type: ignore[attr-defined]


def test_wait_hands_over_when_the_invocation_runs_low() -> None:
    clock = FrozenClock()
    budget = Budget(clock, Context(remaining_ms=25_000), started=clock.now(), service_timeout=3600)
    with pytest.raises(HandOver):
        budget.wait(20.0)  # 25 s left, 20 s reserve: sleeps the 5 s that fit, then hands over
    assert clock.slept == [pytest.approx(5.0)]  # type: ignore[attr-defined]


def test_the_deadline_is_service_timeout_minus_a_margin_from_the_first_start() -> None:
    clock = FrozenClock()
    started = clock.now() - 50  # the first invocation began 50 s ago
    budget = Budget(clock, Context(remaining_ms=900_000), started=started, service_timeout=60)
    assert budget.deadline_left() == pytest.approx(60 - 6 - 50)
    budget.wait(100.0)  # sleeps only to the deadline
    with pytest.raises(DeadlineExceeded) as caught:
        budget.wait(1.0)
    assert "ServiceTimeout (60 s)" in caught.value.message


def test_the_reserve_grows_with_slow_steps_and_in_real_time_under_a_scale() -> None:
    clock = FrozenClock()
    budget = Budget(clock, Context(remaining_ms=900_000), started=clock.now(), service_timeout=3600)
    assert budget.reserve() == 20.0
    with budget.step():
        clock.sleep(7.0)
    assert budget.reserve() == 28.0
    scaled = Budget(FrozenClock(scale=0.001), Context(remaining_ms=900_000), started=0.0, service_timeout=3600)
    assert scaled.reserve() == pytest.approx(250.0)  # 0.25 real seconds


def test_a_retry_out_of_time_becomes_a_hand_over_or_the_deadline() -> None:
    clock = FrozenClock()
    budget = Budget(clock, Context(remaining_ms=900_000), started=clock.now(), service_timeout=3600)
    error = Throttled("DeleteModel", "ThrottlingException", "slow down")
    with pytest.raises(HandOver), budget.step():
        raise OutOfTime(error)
    late = Budget(clock, Context(remaining_ms=900_000), started=clock.now() - 3565, service_timeout=3600)
    with pytest.raises(DeadlineExceeded) as caught, late.step():
        clock.at += 10
        raise OutOfTime(error)
    assert "DeleteModel" in caught.value.message


# -- the hand-over call ------------------------------------------------------------------------------


@pytest.fixture
def echo_function() -> Iterator[LambdaService]:
    with local_function("echo", timeout=30.0, time_scale=0.1) as service:
        yield service


def test_hand_over_invokes_the_function_asynchronously_with_the_record(echo_function: LambdaService) -> None:
    event = {"RequestType": "Delete", "RequestId": "r", "ResponseURL": "https://x/y?X-Amz-Signature=s"}
    record = Continuation(started=time.time(), progress={"StartModelSent": True})
    hand_over(lambda_client(echo_function), Context(0, echo_function.function_arn), event, record)
    echo_function.wait_idle(timeout=30)
    [invocation] = echo_function.invocations
    assert invocation.invocation_type == "Event"
    assert invocation.event == {**event, consts.CONTINUATION: {**record.to_json(), "Invocation": 2}}


def test_hand_over_failures_are_reported(echo_function: LambdaService) -> None:
    context = Context(0, "arn:aws:lambda:us-east-1:123456789012:function:someone-else")
    with pytest.raises(ContinuationFailed) as caught:
        hand_over(lambda_client(echo_function), context, {"RequestId": "r"}, Continuation(1.0))
    assert "ResourceNotFoundException" in caught.value.message
    assert echo_function.invocations == []


def test_a_payload_over_the_asynchronous_limit_is_refused_before_the_call(echo_function: LambdaService) -> None:
    event = {"ResourceProperties": {"Description": "d" * MAX_ASYNC_PAYLOAD}}
    with pytest.raises(ContinuationFailed) as caught:
        hand_over(lambda_client(echo_function), Context(0, echo_function.function_arn), event, Continuation(1.0))
    assert "too large" in caught.value.message
    assert echo_function.invocations == []


def test_a_deadline_within_the_invocation_is_awaited_here_not_handed_over() -> None:
    clock = FrozenClock()
    # 25 s left (5 s before the 20 s reserve), the deadline in 12 s: within reach of this invocation.
    budget = Budget(clock, Context(remaining_ms=25_000), started=clock.now() - 3558, service_timeout=3600)
    budget.wait(20.0)
    assert clock.slept == [pytest.approx(12.0)]  # type: ignore[attr-defined]
    with pytest.raises(DeadlineExceeded):
        budget.wait(1.0)


SIGNED_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Date=20261129T080000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7199&X-Amz-Signature=abc"
)


def test_a_first_invocation_starts_when_cloudformation_signed_the_response_url() -> None:
    clock = FrozenClock(at=1_900_000_000.0)
    record = Continuation.from_event({"ResponseURL": SIGNED_URL}, clock)
    # A Lambda retry of the first invocation finds the same start.
    assert record.started == datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC).timestamp()
    assert request_signed_at(SIGNED_URL, clock) == record.started


@pytest.mark.parametrize(
    ("url", "clock"),
    [
        (SIGNED_URL, FrozenClock(at=1_000_000_000.0)),  # signed in the future: a skewed clock
        (SIGNED_URL.replace("20261129T080000Z", "yesterday"), FrozenClock(at=1_900_000_000.0)),
        ("https://127.0.0.1/cloudformation-responses/r?X-Amz-Signature=s", FrozenClock()),
        (None, FrozenClock()),
    ],
)
def test_no_usable_signing_date_means_now(url: Any, clock: FrozenClock) -> None:
    assert request_signed_at(url, clock) is None
    assert Continuation.from_event({"ResponseURL": url}, clock).started == clock.now()
