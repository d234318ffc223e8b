"""The crhelper hooks: no answer after a hand-over; crhelper's timeout FAILED only near the deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud.awslambda import LambdaService
from localcloud.cloudformation.response_endpoint import ResponseEndpoint
from localcloud.scaled_clock import ScaledClock
from provider.config import ProviderConfig
from provider.continuation import Continuation
from provider.handler import _CfnResource
from tests.fixtures.awslambda import local_function
from tests.fixtures.clock import test_clock
from tests.provider.conftest import check_response, make_event


@dataclass
class Context:
    """Lambda's context: the remaining time in service milliseconds (real time / scale)."""

    invoked_function_arn: str
    deadline: float
    scale: float = 1.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) / self.scale * 1000))


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch, response_endpoint: ResponseEndpoint) -> Iterator[LambdaService]:
    with local_function("echo", timeout=30.0) as service:
        for name, value in {
            "AWS_ENDPOINT_URL_LAMBDA": service.endpoint_url,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "SSL_CERT_FILE": response_endpoint.ca_file,
        }.items():
            monkeypatch.setenv(name, value)
        yield service


def _resource(work_seconds: float, progress: dict[str, Any], clock: ScaledClock) -> _CfnResource:
    resource = _CfnResource(ProviderConfig(clock=clock), log_level="INFO", sleep_on_delete=0)

    def delete(event: dict[str, Any], context: Any) -> str:
        record = Continuation(clock.now(), progress=progress)
        resource.begin(event, context, record)
        time.sleep(work_seconds)
        return str(event["PhysicalResourceId"])

    resource.delete(delete)
    return resource


@pytest.mark.parametrize("scale", [1.0, 0.01])
def test_crhelper_timeout_answers_nothing_when_lambda_can_retry_in_time(
    echo: LambdaService, response_endpoint: ResponseEndpoint, scale: float
) -> None:
    clock = test_clock(scale)
    event = make_event(response_endpoint, "Delete", clock=clock, physical_id="arn")
    # The timer fires a tenth before the end, 0.63 s into a 0.7 s invocation (70 service seconds
    # at a 0.01 scale, where crhelper alone would wait 69.5 real seconds); the work takes 1 s.
    context = Context(echo.function_arn, deadline=time.time() + 0.7, scale=scale)
    resource = _resource(1.0, {}, clock)
    timer_started = time.monotonic()
    resource(event, context)

    assert time.monotonic() - timer_started >= 1.0
    time.sleep(0.2)
    # crhelper would have answered FAILED "Execution timed out"; the work's own answer comes after
    # the timeout (a real Lambda would have stopped it before, and retried the event).
    responses = response_endpoint.responses(event["RequestId"])
    assert [r["Status"] for r in responses] == ["SUCCESS"]
    assert echo.invocations == []


def test_crhelper_timeout_near_the_deadline_answers_failed_with_a_clear_reason(
    echo: LambdaService, response_endpoint: ResponseEndpoint
) -> None:
    clock = test_clock(1.0)
    event = make_event(response_endpoint, "Delete", clock=clock, physical_id="arn", properties={"ServiceTimeout": "30"})
    context = Context(echo.function_arn, deadline=time.time() + 0.7)
    _resource(1.0, {}, clock)(event, context)

    response = response_endpoint.wait(event["RequestId"], timeout=5)
    check_response(event, response)  # the physical id of the Delete included
    assert response["Status"] == "FAILED"
    assert "timed out too close to the request's deadline" in response["Reason"]
    time.sleep(0.2)
    assert len(response_endpoint.responses(event["RequestId"])) == 1  # the late SUCCESS is not sent


def test_a_request_that_answered_is_not_handed_over_by_a_late_timer(
    echo: LambdaService, response_endpoint: ResponseEndpoint
) -> None:
    clock = test_clock(1.0)
    event = make_event(response_endpoint, "Delete", clock=clock, physical_id="arn")
    context = Context(echo.function_arn, deadline=time.time() + 30)
    resource = _resource(0.0, {}, clock)
    resource(event, context)
    resource._timeout()  # as if the timer fired just after the answer

    assert response_endpoint.wait(event["RequestId"], timeout=5)["Status"] == "SUCCESS"
    assert len(response_endpoint.responses(event["RequestId"])) == 1
    assert echo.invocations == []
