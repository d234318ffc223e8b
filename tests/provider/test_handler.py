"""The entry point's protocol in process: which events are answered, once, and what silence or FAILED says.

Through botocore → HTTP → the emulator, answering a local ResponseURL. Each resource's requests
have their own module (``test_model_resource.py``, ``test_dataset_resource.py``).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.config import ProviderConfig
from lookoutvision_cdk_provider.handler import make_handler
from lookoutvision_cdk_provider.timing import AdaptivePolls
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.clock import session_clock
from tests.fixtures.provider import (
    PROJECT,
    Requests,
    check_response,
    dataset_properties,
    model_properties,
    project_with_dataset,
)


def test_an_invocation_starting_after_cloudformation_stopped_waiting_answers_nothing_and_calls_nothing(
    requests: Requests, emulator: Emulator
) -> None:
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"
    # A late Lambda retry of a request signed 61 s ago with a ServiceTimeout of 60 s.
    event = requests.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="60"))
    event["ResponseURL"] = requests.endpoint.response_url(event["RequestId"], signed_at=requests.clock.now() - 61)
    with pytest.raises(TimeoutError):
        requests.send(event, real_timeout=0.5)
    assert emulator.calls == []


def test_an_invocation_starting_past_the_deadline_answers_failed_at_once(
    requests: Requests, emulator: Emulator
) -> None:
    """Past the provider's deadline (ServiceTimeout less 6 s) but before CloudFormation's: FAILED, no call."""
    requests.use_clock(session_clock(1.0))  # real time: the 6 s between the two deadlines last 6 s
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"
    event = requests.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="60"))
    event["ResponseURL"] = requests.endpoint.response_url(event["RequestId"], signed_at=requests.clock.now() - 57)

    response = requests.send(event)

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (60 s) reached" in response["Reason"], response["Reason"]
    assert emulator.calls == []


def test_an_unknown_resource_type_fails_on_create_and_deletes_quietly(requests: Requests, emulator: Emulator) -> None:
    create = requests.request("Create", resource_type="Custom::Other")
    assert create["Status"] == "FAILED"
    assert "Custom::Other" in create["Reason"]
    delete = requests.request("Delete", resource_type="Custom::Other", physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS"
    assert emulator.calls == []


class _RecordedPolls:
    """A poll schedule that records each wait it is asked for (and waits the production interval)."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def interval(self, polls: int, time_left: float) -> float:
        self.asked.append(polls)
        return AdaptivePolls().interval(polls, time_left)


def test_the_configured_poll_schedule_paces_datasets_and_models(requests: Requests, emulator: Emulator) -> None:
    polls = _RecordedPolls()
    requests.handler = make_handler(requests.config(poll_schedule=polls))
    emulator.configure(creating_dataset=30.0)  # the dataset is still being created at the first look
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE

    dataset = requests.request("Create", resource_type=kind, logical_id="Train", properties=dataset_properties())
    assert dataset["Status"] == "SUCCESS", dataset["Reason"]
    assert polls.asked, "the dataset's wait for CREATE_COMPLETE follows the configured schedule"

    polls.asked.clear()
    model = requests.request("Create", properties=model_properties())
    assert model["Status"] == "SUCCESS", model["Reason"]
    assert polls.asked, "the model's wait for TRAINED follows it too"


def test_the_response_url_never_reaches_the_logs(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="throttling", operations={"CreateModel"}, count=1))
    event = requests.event("Create")
    response = requests.send(event)
    logging.getLogger("provider.test").info("event: %s", event)  # even a careless line is redacted
    assert response["Status"] == "SUCCESS"
    text = caplog.text
    assert "Create Custom::LookoutVisionModel Model" in text
    assert event["ResponseURL"] not in text
    assert event["ResponseURL"].split("?")[1] not in text


@pytest.mark.parametrize("missing", ["LogicalResourceId", "RequestId", "RequestType", "ResponseURL"])
def test_a_malformed_event_in_a_warm_environment_answers_no_other_request(
    requests: Requests, emulator: Emulator, missing: str
) -> None:
    """The execution environment still holds the previous request: an event that cannot be answered answers nothing."""
    previous = requests.event("Delete", physical_id="provider-tests_Model_ABCD1234")  # answered with no call
    assert requests.send(previous)["Status"] == "SUCCESS"
    malformed = requests.event("Delete", physical_id="provider-tests_Model_ABCD1234")
    del malformed[missing]

    requests.invoke(malformed)  # in process: any response is PUT before this returns

    assert len(requests.endpoint.responses(previous["RequestId"])) == 1, "the previous request was answered again"
    own = requests.endpoint.responses(malformed["RequestId"]) if missing != "RequestId" else []
    if missing == "RequestType":  # its own ResponseURL and ids are there: answered FAILED, no call
        assert [r["Status"] for r in own] == ["FAILED"]
        assert "unknown RequestType None" in own[0]["Reason"]
    else:
        assert own == []
    assert emulator.calls == []


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
    assert "event dropped, nothing done and nothing answered: the event has no StackId" in caplog.text


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"RequestType": "Replace"}, "unknown RequestType 'Replace'"),
        ({"ResourceType": None}, "the event has no ResourceType"),
        ({"PhysicalResourceId": ""}, "the Delete has no PhysicalResourceId"),
    ],
)
def test_a_request_cloudformation_cannot_have_sent_is_answered_failed_with_no_call(
    requests: Requests, emulator: Emulator, change: dict[str, Any], named: str
) -> None:
    event = {**requests.event("Delete", physical_id="arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1")}
    event.update(change)

    requests.invoke(event)

    [response] = requests.endpoint.responses(event["RequestId"])
    assert response["Status"] == "FAILED"
    assert named in response["Reason"], response["Reason"]
    assert response["PhysicalResourceId"]
    assert emulator.calls == []


def test_a_forged_record_is_answered_failed_and_acts_on_nothing(requests: Requests, emulator: Emulator) -> None:
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"
    event = requests.event("Delete", physical_id=arn)
    # A start an hour ahead would give the request a deadline in the future: endless chains.
    event["LookoutVisionContinuation"] = {"Started": requests.clock.now() + 3600, "Invocation": 2, "Progress": {}}

    response = requests.send(event)

    check_response(event, response)
    assert response["Status"] == "FAILED"
    assert "continuation record's Started is not the request's start" in response["Reason"]
    assert emulator.calls == []
