"""The handler in process, through botocore → HTTP → the emulator, answering a local ResponseURL."""

from __future__ import annotations

import logging

import pytest

from localcloud.lookoutvision import Emulator, Fault
from provider import consts
from provider.handler import make_handler
from provider.timing import AdaptivePolls
from tests.fixtures.clock import session_clock
from tests.fixtures.provider import (
    PROJECT,
    Requests,
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
