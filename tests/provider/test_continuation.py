"""The continuation record (bounded: any invoker could write it) and the hand-over."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lookoutvision_cdk_provider import clients, consts
from lookoutvision_cdk_provider.budget import Budget
from lookoutvision_cdk_provider.continuation import MAX_ASYNC_PAYLOAD, Continuation, hand_over, request_signed_at
from lookoutvision_cdk_provider.errors import ContinuationFailed, ContinuationUncertain, RejectedEvent
from lookoutvision_cdk_provider.progress import HandedOverWait, ModelProgress, ServiceGoneProgress
from lookoutvision_localcloud.awslambda import LambdaService
from tests.fixtures.awslambda import local_function
from tests.provider.clocks import Context, FrozenClock

SIGNED_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Date=20261129T080000Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7199&X-Amz-Signature=abc"
)
SIGNED = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC).timestamp()


def model_record(raw: Any) -> ModelProgress:
    """The record of a model request of project ``p``, parsed."""
    return ModelProgress.from_json(raw, "p")


def test_a_first_invocation_starts_when_cloudformation_signed_the_response_url() -> None:
    clock = FrozenClock(at=SIGNED + 90)
    record = Continuation.from_event({"ResponseURL": SIGNED_URL}, clock, 3600, model_record)
    # A Lambda retry of the first invocation carries the same event: it finds the same start.
    assert (record.started, record.invocation, record.progress) == (SIGNED, 1, ModelProgress())
    assert request_signed_at(SIGNED_URL) == SIGNED


@pytest.mark.parametrize(
    "url",
    [
        SIGNED_URL.replace("20261129T080000Z", "yesterday"),
        "https://127.0.0.1/cloudformation-responses/r?X-Amz-Signature=s",
        None,
    ],
)
def test_without_a_usable_signing_date_a_first_invocation_starts_now(url: Any) -> None:
    clock = FrozenClock(at=SIGNED)
    assert request_signed_at(url) is None
    assert Continuation.from_event({"ResponseURL": url}, clock, 3600, model_record).started == clock.now()


@pytest.mark.parametrize("behind", [0.4, 2.0, 60.0])
def test_a_clock_behind_the_signing_date_starts_the_request_when_it_was_signed_and_accepts_its_continuation(
    behind: float,
) -> None:
    """CloudFormation's clock ahead of the function's: the first invocation starts before the X-Amz-Date second."""
    clock = FrozenClock(at=SIGNED - behind)
    first = Continuation.from_event({"ResponseURL": SIGNED_URL}, clock, 3600, model_record)
    assert first.started == SIGNED
    following = first.next_event({"ResponseURL": SIGNED_URL})
    for later in (behind / 2, behind + 100):  # the next invocation: still behind, or past the signing date
        clock.at = SIGNED - behind + later
        record = Continuation.from_event(following, clock, 3600, model_record)
        assert (record.started, record.invocation) == (SIGNED, 2)


def test_a_response_url_dated_further_ahead_than_any_clock_skew_is_rejected() -> None:
    """A start in the future would push the deadline out: SigV4 itself tolerates 5 minutes of skew."""
    clock = FrozenClock(at=SIGNED - 301)
    with pytest.raises(RejectedEvent) as caught:
        Continuation.from_event({"ResponseURL": SIGNED_URL}, clock, 3600, model_record)
    assert "ahead of this clock" in caught.value.message


def test_the_record_travels_in_the_next_event_and_counts_invocations() -> None:
    clock = FrozenClock(at=SIGNED + 100)
    event = {"RequestType": "Create", "RequestId": "r", "ResponseURL": SIGNED_URL}
    wait = HandedOverWait("model 1 of project p", "TRAINING", "DescribeModel got no answer", "Check the network.")
    record = Continuation(
        SIGNED, 1, ModelProgress(start_model_answered=True), ServiceGoneProgress(SIGNED + 50), wait=wait
    )
    following = record.next_event(event)
    assert following["RequestId"] == "r"
    again = Continuation.from_event(following, clock, 3600, model_record)
    assert (again.started, again.invocation, again.progress) == (SIGNED, 2, ModelProgress(start_model_answered=True))
    assert again.service_gone == ServiceGoneProgress(SIGNED + 50)
    assert again.wait == wait
    assert Continuation.from_event(again.next_event(following), clock, 3600, model_record).invocation == 3
    assert len(json.dumps(following[consts.CONTINUATION])) < 300


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("x", "not an object"),
        ({"Started": "yesterday", "Invocation": 2}, "Started is not a time"),
        ({"Started": SIGNED, "Invocation": "2"}, "Invocation is not a number"),
        ({"Started": SIGNED, "Invocation": 1}, "Invocation is not a number"),
        ({"Started": SIGNED, "Invocation": 2, "Progress": []}, "Progress is not an object"),
        ({"Started": SIGNED + 3600, "Invocation": 2}, "Started is not the request's start"),  # a later deadline
        ({"Started": SIGNED - 1, "Invocation": 2}, "Started is not the request's start"),  # before it was signed
        ({"Started": SIGNED, "Invocation": 2, "Wait": "TRAINING"}, "Wait is not an object"),
        ({"Started": SIGNED, "Invocation": 2, "Wait": {"Status": 3}}, "Wait holds something other than texts"),
        ({"Started": SIGNED, "Invocation": 2, "Wait": {"Seen": "TRAINING"}}, "unknown keys ['Seen']"),
    ],
)
def test_a_record_out_of_bounds_is_rejected(raw: Any, named: str) -> None:
    clock = FrozenClock(at=SIGNED + 100)
    with pytest.raises(RejectedEvent) as caught:
        Continuation.from_event({"ResponseURL": SIGNED_URL, consts.CONTINUATION: raw}, clock, 3600, model_record)
    assert named in caught.value.message


def test_without_a_signing_date_a_record_must_start_within_service_timeout() -> None:
    clock = FrozenClock(at=SIGNED)
    event = {consts.CONTINUATION: {"Started": SIGNED - 61, "Invocation": 2}}
    with pytest.raises(RejectedEvent):
        Continuation.from_event(event, clock, 60, model_record)
    assert Continuation.from_event(event, clock, 120, model_record).started == SIGNED - 61


# -- the hand-over call ------------------------------------------------------------------------------


@pytest.fixture
def echo_function() -> Iterator[LambdaService]:
    with local_function("echo", timeout=30.0, time_scale=0.1) as service:
        yield service


@pytest.fixture
def lambda_endpoint(monkeypatch: pytest.MonkeyPatch) -> Any:
    def point_at(url: str) -> Any:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", url)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        return clients.awslambda(1.0, 1.0)

    return point_at


def _budget(length: float = 60.0) -> tuple[Budget, Context]:
    clock = FrozenClock()
    context = Context(clock, length)
    return Budget(clock, context, started=clock.now(), service_timeout=3600), context


def test_hand_over_invokes_the_function_asynchronously_with_the_record(
    echo_function: LambdaService, lambda_endpoint: Any
) -> None:
    event = {"RequestType": "Delete", "RequestId": "r", "ResponseURL": "https://x/y?X-Amz-Signature=s"}
    record = Continuation(started=123.0, progress=ModelProgress(start_model_answered=True))
    budget, context = _budget()
    context.invoked_function_arn = echo_function.function_arn
    hand_over(lambda_endpoint(echo_function.endpoint_url), context, event, record, budget)
    echo_function.wait_idle(timeout=30)
    [invocation] = echo_function.invocations
    assert invocation.invocation_type == "Event"
    assert invocation.event == {**event, consts.CONTINUATION: {**record.to_json(), "Invocation": 2}}
    assert budget.progressed


def test_a_refused_hand_over_fails_and_invokes_nothing(echo_function: LambdaService, lambda_endpoint: Any) -> None:
    budget, context = _budget()
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:someone-else"
    with pytest.raises(ContinuationFailed) as caught:
        hand_over(lambda_endpoint(echo_function.endpoint_url), context, {"RequestId": "r"}, Continuation(1.0), budget)
    assert "ResourceNotFoundException" in caught.value.message
    assert echo_function.invocations == []


def test_a_payload_over_the_asynchronous_limit_is_refused_before_the_call(
    echo_function: LambdaService, lambda_endpoint: Any
) -> None:
    event = {"ResourceProperties": {"Description": "d" * MAX_ASYNC_PAYLOAD}}
    budget, context = _budget()
    with pytest.raises(ContinuationFailed) as caught:
        hand_over(lambda_endpoint(echo_function.endpoint_url), context, event, Continuation(1.0), budget)
    assert "too large" in caught.value.message
    assert echo_function.invocations == []


def test_no_connection_is_tried_again_then_fails(lambda_endpoint: Any) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nothing listens
    budget, context = _budget()
    with pytest.raises(ContinuationFailed) as caught:
        hand_over(lambda_endpoint(url), context, {"RequestId": "r"}, Continuation(1.0), budget)
    assert "Could not connect" in caught.value.message
    assert budget.clock.slept == [pytest.approx(0.2), pytest.approx(0.4)]  # three attempts in all


def test_an_invoke_that_gets_no_answer_is_not_repeated(lambda_endpoint: Any) -> None:
    """The event may have been queued: a second Invoke could start a second chain."""
    accepted: list[socket.socket] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"

        def accept() -> None:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                accepted.append(connection)  # read nothing, answer nothing

        threading.Thread(target=accept, daemon=True).start()
        budget, context = _budget()
        with pytest.raises(ContinuationUncertain):
            hand_over(lambda_endpoint(url), context, {"RequestId": "r"}, Continuation(1.0), budget)
    assert len(accepted) == 1
    for connection in accepted:
        connection.close()
