"""The crhelper adapter: no answer after a hand-over or for a foreign ResponseURL; a timer that answers nothing."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from localcloud.awslambda import LambdaContext
from localcloud.cloudformation.response_endpoint import ResponseEndpoint
from localcloud.lookoutvision import Emulator
from provider.config import ProviderConfig
from provider.handler import Verdict, _CfnResource, make_handler
from tests.fixtures.clock import session_clock
from tests.fixtures.provider import FUNCTION_ARN, Requests, check_response, make_event, model_properties


def _context(seconds: float) -> LambdaContext:
    return LambdaContext("r", "provider", FUNCTION_ARN, deadline=time.time() + seconds)


def _resource(endpoint: ResponseEndpoint, work: Any) -> _CfnResource:
    """crhelper's resource with the provider's hooks, running ``work`` for a Delete (crhelper needs a region)."""
    config = ProviderConfig(clock=session_clock(1.0), extra_response_hosts=(endpoint.host,))
    resource = _CfnResource(config, log_level="INFO", sleep_on_delete=0)
    resource.delete(work)
    return resource


def test_the_timer_answers_nothing(
    response_endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An invocation about to be stopped has not answered; Lambda's retry of it carries the request on."""
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    event = make_event(response_endpoint, "Delete", clock=session_clock(1.0), physical_id="arn")

    def slow(event: dict[str, Any], context: Any) -> str:
        time.sleep(1.0)  # past the timer (0.63 s into a 0.7 s invocation)
        return str(event["PhysicalResourceId"])

    resource = _resource(response_endpoint, slow)
    resource(event, _context(0.7))

    # crhelper would have answered FAILED "Execution timed out" from its timer; the only answer is
    # the work's own (which a real Lambda would have stopped: its retry would have answered).
    assert [r["Status"] for r in response_endpoint.responses(event["RequestId"])] == ["SUCCESS"]
    assert "about to time out unanswered; Lambda's retry of it carries the request on" in caplog.text


def test_a_hand_over_answers_nothing(response_endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    event = make_event(response_endpoint, "Delete", clock=session_clock(1.0), physical_id="arn")

    def handed_over(event: dict[str, Any], context: Any) -> str:
        resource.decide(Verdict.HANDED_OVER, "continues in invocation 2")
        return str(event["PhysicalResourceId"])

    resource = _resource(response_endpoint, handed_over)
    resource(event, _context(30))
    time.sleep(0.2)
    assert response_endpoint.responses(event["RequestId"]) == []


@pytest.mark.parametrize(
    "response_url",
    [
        "https://attacker.example/steal?X-Amz-Signature=s",
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k",
        None,
    ],
)
def test_an_event_with_a_foreign_response_url_is_neither_acted_on_nor_answered(
    requests: Requests, emulator: Emulator, response_url: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = requests.event("Create", properties=model_properties())
    event["ResponseURL"] = response_url
    requests.invoke(event)
    assert emulator.calls == []
    assert requests.endpoint.responses(event["RequestId"]) == []
    assert "event dropped, nothing done and nothing answered" in caplog.text
    assert "X-Amz-Signature" not in caplog.text  # the URL itself is not logged


def test_without_the_local_endpoint_named_the_provider_does_not_answer_it(
    requests: Requests, emulator: Emulator
) -> None:
    """On AWS (the production configuration) only CloudFormation's response bucket is answered."""
    event = requests.event("Delete", physical_id="arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1")
    requests.handler = make_handler(ProviderConfig(clock=requests.clock))
    requests.invoke(event)
    assert emulator.calls == []
    assert requests.endpoint.responses(event["RequestId"]) == []


def test_a_malformed_event_sends_nothing(requests: Requests, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    event = requests.event("Delete", physical_id="p")
    del event["StackId"]
    requests.invoke(event)
    assert requests.endpoint.responses(event["RequestId"]) == []


def test_a_forged_record_is_answered_failed_and_acts_on_nothing(requests: Requests, emulator: Emulator) -> None:
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"
    event = requests.event("Delete", physical_id=arn)
    # A start an hour ahead would give the request a deadline in the future: endless chains.
    event["LookoutVisionContinuation"] = {"Started": requests.clock.now() + 3600, "Invocation": 2, "Progress": {}}

    response = requests.send(event)

    check_response(event, response)
    assert response["Status"] == "FAILED"
    assert "continuation record's Started is not between" in response["Reason"]
    assert emulator.calls == []
