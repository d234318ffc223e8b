"""The request, read once from an event whose answer has a target: what CloudFormation can have sent."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.cfn_response import ResponseTarget
from lookoutvision_cdk_provider.errors import RejectedEvent
from lookoutvision_cdk_provider.identifiers import FailedCreate, ModelRef
from lookoutvision_cdk_provider.request import CustomResourceRequest, RequestType, parse_request, untouched_physical_id

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/5b7b0a10-0000-4000-8000-000000000000"
ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"
TARGET = ResponseTarget("https://r.example/x", STACK, "r-1", "Model", "Delete")
EVENT: dict[str, Any] = {
    "RequestType": "Delete",
    "ResourceType": consts.MODEL_RESOURCE_TYPE,
    "PhysicalResourceId": ARN,
    "ResourceProperties": {"ProjectName": "proj"},
    "OldResourceProperties": {"ProjectName": "old"},
}


def test_a_request_keeps_what_the_event_says() -> None:
    request = parse_request(EVENT, TARGET)
    assert request == CustomResourceRequest(
        TARGET,
        RequestType.DELETE,
        consts.MODEL_RESOURCE_TYPE,
        ARN,
        {"ProjectName": "proj"},
        {"ProjectName": "old"},
        EVENT,
    )
    assert request.named() == ModelRef("proj", "1", ARN)
    assert request.property("ProjectName") == "proj"
    assert (request.request_id, request.logical_id, request.stack_id) == ("r-1", "Model", STACK)


def test_a_create_names_no_physical_id_whatever_the_event_holds() -> None:
    request = parse_request({**EVENT, "RequestType": "Create"}, TARGET)
    assert request.physical_id is None and request.named() is None
    assert parse_request({**EVENT, "ResourceProperties": "x"}, TARGET).property("ProjectName") is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"RequestType": "Replace"}, "unknown RequestType 'Replace'"),
        ({"RequestType": None}, "unknown RequestType None"),
        ({"ResourceType": 7}, "no ResourceType"),
        ({"PhysicalResourceId": None}, "the Delete has no PhysicalResourceId"),
        ({"RequestType": "Update", "PhysicalResourceId": ""}, "the Update has no PhysicalResourceId"),
    ],
)
def test_a_request_cloudformation_cannot_have_sent_is_rejected(change: dict[str, Any], named: str) -> None:
    with pytest.raises(RejectedEvent) as caught:
        parse_request({**EVENT, **change}, TARGET)
    assert named in caught.value.message


def test_an_answer_before_anything_was_done_keeps_the_events_id_or_names_a_failed_create() -> None:
    assert untouched_physical_id(EVENT, TARGET) == ARN
    create = ResponseTarget(TARGET.response_url, STACK, "r-1", "Model", "Create")
    assert untouched_physical_id(EVENT, create) == FailedCreate.of(STACK, "Model", "r-1").physical_id
    assert untouched_physical_id({}, TARGET) == FailedCreate.of(STACK, "Model", "r-1").physical_id
