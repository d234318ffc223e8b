"""The response protocol: FAILED reasons within the limit, where a response may go, the one place that sends it."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from lookoutvision_cdk_provider.cfn_response import (
    REASON_LIMIT,
    ResponseTarget,
    Unanswerable,
    conclude,
    failure_reason,
    put_response,
    response_body,
    response_target,
    response_url_problem,
)
from lookoutvision_cdk_provider.errors import ContinuationUncertain
from lookoutvision_cdk_provider.timing import ResponseTimings
from lookoutvision_cdk_provider.verdict import Answer, HandedOver, LambdaRetry, Silence
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint


def test_a_reason_reads_request_resource_message_advice() -> None:
    reason = failure_reason("Delete", "Model", "DeleteModel: AccessDeniedException: not authorized", "Grant it.")
    assert reason == "Delete Model: DeleteModel: AccessDeniedException: not authorized. Grant it."


def test_a_long_message_is_cut_but_keeps_its_start_and_the_advice() -> None:
    reason = failure_reason("Create", "L" * 72, "ProjectName: bad " + "x" * 1000, "Fix the resource's properties.")
    assert len(reason) <= REASON_LIMIT
    assert "L" * 72 in reason
    assert "ProjectName: bad" in reason
    assert reason.endswith("... Fix the resource's properties.")


def test_a_huge_logical_id_is_elided() -> None:
    reason = failure_reason("Update", "L" * 300, "m" * 300, "advice")
    assert len(reason) <= REASON_LIMIT
    assert reason.startswith("Update LLLL")


def test_whitespace_is_collapsed() -> None:
    assert failure_reason("Delete", "M", "line one\n  line two") == "Delete M: line one line two."


# -- where responses may go ---------------------------------------------------------------------------

STACK = "arn:aws:cloudformation:{region}:123456789012:stack/s/5b7b0a10-0000-4000-8000-000000000000"
BUCKET = "https://cloudformation-custom-resource-response-"


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k?X-Amz-Signature=s", "us-east-1"),
        ("https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/k", "eu-west-1"),
        ("https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/k", "us-east-1"),
        (
            "https://cloudformation-custom-resource-response-apnortheast1.s3.ap-northeast-1.amazonaws.com/k",
            "ap-northeast-1",
        ),
        ("https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/k", "cn-north-1"),
        (
            "https://cloudformation-custom-resource-response-usgovwest1.s3-us-gov-west-1.amazonaws.com/k",
            "us-gov-west-1",
        ),
    ],
)
def test_cloudformations_response_bucket_is_accepted(url: str, region: str) -> None:
    assert response_url_problem(url, STACK.format(region=region)) is None


@pytest.mark.parametrize(
    ("url", "named"),
    [
        (None, "missing"),
        ("http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k", "not an HTTPS URL"),
        ("https://attacker.example/k?X-Amz-Signature=s", "not CloudFormation's custom-resource response bucket"),
        ("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.attacker.example/k", "not Cloud"),
        ("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/k", "not Cloud"),
        ("https://user:pw@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k", "credentials"),
        ("https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/k", "not the stack's region"),
        ("https://cloudformation-custom-resource-response-useast1.s3.eu-west-1.amazonaws.com/k", "not the stack's"),
        ("https://127.0.0.1:8443/cloudformation-responses/r", "not CloudFormation's"),
    ],
)
def test_any_other_response_url_is_refused(url: Any, named: str) -> None:
    problem = response_url_problem(url, STACK.format(region="us-east-1"))
    assert problem is not None and named in problem


def test_the_local_clouds_endpoint_is_accepted_only_when_named() -> None:
    url = "https://127.0.0.1:8443/cloudformation-responses/r?X-Amz-Signature=s"
    assert response_url_problem(url, STACK.format(region="us-east-1"), extra_hosts=("127.0.0.1:8443",)) is None
    assert response_url_problem(url, STACK.format(region="us-east-1"), extra_hosts=("127.0.0.1:9999",)) is not None


# -- sending ----------------------------------------------------------------------------------------------


def test_a_response_is_put_once_when_taken(
    response_endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    url = response_endpoint.response_url("put-1", signed_at=time.time())
    assert put_response(url, {"Status": "SUCCESS"}, timeout=5.0)
    assert response_endpoint.responses("put-1") == [{"Status": "SUCCESS"}]


def test_a_response_that_cannot_be_sent_gives_up_after_its_attempts() -> None:
    with socket.socket() as server:  # accepts, never answers: each attempt times out
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"https://127.0.0.1:{server.getsockname()[1]}/r?X-Amz-Signature=s"
        began = time.monotonic()
        no_pause = ResponseTimings(attempts=3, pause_real=0.0)
        assert not put_response(url, {"Status": "FAILED"}, timeout=0.2, sending=no_pause)
        assert time.monotonic() - began < 5.0


# -- where an answer goes, and the one place that answers -------------------------------------------

EVENT = {
    "RequestType": "Delete",
    "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/k?X-Amz-Signature=s",
    "StackId": STACK.format(region="us-east-1"),
    "RequestId": "r-1",
    "LogicalResourceId": "Model",
}


def test_the_target_of_an_answer_is_read_from_the_event() -> None:
    target = response_target(EVENT)
    assert target == ResponseTarget(EVENT["ResponseURL"], EVENT["StackId"], "r-1", "Model", "Delete")
    assert response_target({**EVENT, "RequestType": None}) == ResponseTarget(
        EVENT["ResponseURL"], EVENT["StackId"], "r-1", "Model", "None"
    )


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ("not an event", "not an object"),
        ({**EVENT, "RequestId": ""}, "has no RequestId"),
        ({k: v for k, v in EVENT.items() if k not in ("StackId", "LogicalResourceId")}, "LogicalResourceId, StackId"),
        ({**EVENT, "ResponseURL": "https://attacker.example/k"}, "not CloudFormation's"),
    ],
)
def test_an_event_whose_answer_would_go_nowhere_safe_has_no_target(event: Any, named: str) -> None:
    target = response_target(event)
    assert isinstance(target, Unanswerable)
    assert named in target.why


def test_the_response_body_echoes_the_request_and_carries_the_answer() -> None:
    target = response_target(EVENT)
    assert isinstance(target, ResponseTarget)
    body = response_body(target, Answer.failed("arn", "Delete Model: no."))
    assert body == {
        "Status": "FAILED",
        "Reason": "Delete Model: no.",
        "PhysicalResourceId": "arn",
        "StackId": EVENT["StackId"],
        "RequestId": "r-1",
        "LogicalResourceId": "Model",
        "NoEcho": False,
        "Data": {},
    }


def test_only_an_answer_is_sent_and_a_lambda_retry_ends_the_invocation_with_an_error(
    response_endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    url = response_endpoint.response_url("conclude-1", signed_at=time.time())
    target = ResponseTarget(url, EVENT["StackId"], "conclude-1", "Model", "Delete")
    sending = ResponseTimings()

    for quiet in (HandedOver(2), Silence("CloudFormation stopped waiting")):
        conclude(target, quiet, put_timeout=5.0, sending=sending)
    with pytest.raises(ContinuationUncertain):
        conclude(target, LambdaRetry("lambda:Invoke got no answer"), put_timeout=5.0, sending=sending)
    assert response_endpoint.responses("conclude-1") == []

    conclude(target, Answer.succeeded("arn", {"Status": "HOSTED"}), put_timeout=5.0, sending=sending)
    [body] = response_endpoint.responses("conclude-1")
    assert (body["Status"], body["PhysicalResourceId"], body["Data"]) == ("SUCCESS", "arn", {"Status": "HOSTED"})
