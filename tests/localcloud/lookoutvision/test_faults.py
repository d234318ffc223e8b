"""Injected faults and the request quota, seen through boto3."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

from lookoutvision_localcloud.lookoutvision import Emulator, Fault, parse_fault
from lookoutvision_localcloud.lookoutvision.faults import END_OF_SUPPORT_MESSAGE
from tests.fixtures.emulator import lookoutvision_client
from tests.localcloud.lookoutvision.arrange import status


def test_a_throttling_burst_then_success(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=3, retry_after_seconds=2))
    for _ in range(3):
        with pytest.raises(lookoutvision.exceptions.ThrottlingException) as caught:
            lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
        assert caught.value.response["RetryAfterSeconds"] == 2
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        # Other operations are not affected.
        assert status(lookoutvision, project, version) == "TRAINED"
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert [c.status for c in emulator.calls_of("DeleteModel")] == [429, 429, 429, 202]
    assert [c.fault for c in emulator.calls_of("DeleteModel")] == ["throttling"] * 3 + [None]
    assert emulator.faults.active == []


def test_internal_error_before_acting(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="internal_error", operations={"DeleteModel"}, count=1))
    with pytest.raises(lookoutvision.exceptions.InternalServerException) as caught:
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["RetryAfterSeconds"] == 1
    assert status(lookoutvision, project, version) == "TRAINED"


def test_internal_error_after_acting(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="internal_error", operations={"DeleteModel"}, count=1, after_action=True))
    with pytest.raises(lookoutvision.exceptions.InternalServerException):
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="t1")
    assert status(lookoutvision, project, version) == "DELETING"
    # The token remembers the call that did happen.
    assert lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="t1")["ModelArn"]


def test_drop_connection_answers_nothing(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="drop_connection", operations={"DeleteModel"}, count=1))
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    (call,) = emulator.calls_of("DeleteModel")
    assert (call.status, call.error_code) == (0, "ConnectionDropped")
    assert status(lookoutvision, project, version) == "TRAINED"
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert status(lookoutvision, project, version) == "DELETING"


def test_latency_is_added_in_service_seconds(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(time_scale=0.01)
    emulator.faults.add(Fault(kind="latency", operations={"ListProjects"}, latency=10.0))
    started = time.monotonic()
    lookoutvision.list_projects()
    slow = time.monotonic() - started
    assert slow >= 0.1  # 10 service seconds at 0.01 real seconds each
    (call,) = emulator.calls_of("ListProjects")
    assert call.fault == "latency"
    assert call.answered - call.time >= 10.0


def test_latency_applies_only_to_its_operations(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(time_scale=0.01)
    emulator.faults.add(Fault(kind="latency", operations={"ListProjects"}, latency=100.0, count=1))
    started = time.monotonic()
    lookoutvision.create_project(ProjectName="quick")
    assert time.monotonic() - started < 0.5
    assert len(emulator.faults.active) == 1


def test_access_denied(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.faults.add(Fault(kind="access_denied", operations={"CreateProject"}, count=1))
    with pytest.raises(lookoutvision.exceptions.AccessDeniedException) as caught:
        lookoutvision.create_project(ProjectName="demo")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert lookoutvision.list_projects()["Projects"] == []
    lookoutvision.create_project(ProjectName="demo")


def test_service_gone_refuses_every_call(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="service_gone"))
    calls = [
        lookoutvision.list_projects,
        lambda: lookoutvision.describe_model(ProjectName=project, ModelVersion=version),
        lambda: lookoutvision.delete_model(ProjectName=project, ModelVersion=version),
        lambda: lookoutvision.list_models(ProjectName=project),
        lambda: lookoutvision.create_project(ProjectName="another"),
    ]
    for call in calls:
        with pytest.raises(lookoutvision.exceptions.AccessDeniedException) as caught:
            call()
        assert caught.value.response["Error"]["Message"] == END_OF_SUPPORT_MESSAGE
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    emulator.faults.clear()
    assert status(lookoutvision, project, version) == "TRAINED"


def test_a_fault_for_every_operation_until_cleared(lookoutvision: Any, emulator: Emulator) -> None:
    fault = emulator.faults.add(Fault(kind="internal_error"))
    for _ in range(3):
        with pytest.raises(lookoutvision.exceptions.InternalServerException):
            lookoutvision.list_projects()
    assert fault.hits == 3
    emulator.faults.remove(fault)
    assert lookoutvision.list_projects()["Projects"] == []


def test_a_counted_fault_for_every_operation(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.faults.add(Fault(kind="throttling", count=2))
    with pytest.raises(lookoutvision.exceptions.ThrottlingException):
        lookoutvision.list_projects()
    with pytest.raises(lookoutvision.exceptions.ThrottlingException):
        lookoutvision.create_project(ProjectName="demo")
    lookoutvision.create_project(ProjectName="demo")


def test_botocore_retries_survive_a_throttling_burst(emulator: Emulator) -> None:
    emulator.faults.add(Fault(kind="throttling", operations={"ListProjects"}, count=1))
    retrying = lookoutvision_client(emulator, retries={"total_max_attempts": 2, "mode": "standard"})
    assert retrying.list_projects()["ResponseMetadata"]["RetryAttempts"] == 1


def test_the_quota_throttles_beyond_the_rate(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(requests_per_second=2.0)
    lookoutvision.list_projects()
    lookoutvision.list_projects()
    with pytest.raises(lookoutvision.exceptions.ThrottlingException) as caught:
        lookoutvision.list_projects()
    response = caught.value.response
    assert response["RetryAfterSeconds"] >= 1
    assert response["QuotaCode"] == "ListProjects-requests-per-second"
    assert response["ServiceCode"] == "lookoutvision"
    # The quota is per operation.
    lookoutvision.create_project(ProjectName="demo")
    # Service time refills it.
    emulator.clock.advance(0.5)
    lookoutvision.list_projects()
    with pytest.raises(lookoutvision.exceptions.ThrottlingException):
        lookoutvision.list_projects()


def test_the_default_quota_is_five_per_second(emulator: Emulator) -> None:
    emulator.reset()
    assert emulator.settings.requests_per_second == 5.0
    emulator.configure(time_scale=1e6)
    client = lookoutvision_client(emulator)
    for _ in range(5):
        client.list_projects()
    with pytest.raises(client.exceptions.ThrottlingException):
        client.list_projects()


def test_the_quota_can_be_turned_off(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(requests_per_second=None)
    for _ in range(20):
        lookoutvision.list_projects()


def test_fault_kinds_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(kind="flaky")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count"):
        Fault(kind="throttling", count=0)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("service_gone", Fault(kind="service_gone")),
        ("throttling:DeleteModel:3", Fault(kind="throttling", operations={"DeleteModel"}, count=3)),
        ("latency=2.5", Fault(kind="latency", latency=2.5)),
        ("internal_error:*:10", Fault(kind="internal_error", count=10)),
        (
            "drop_connection+after:DeleteModel,StopModel",
            Fault(kind="drop_connection", operations={"DeleteModel", "StopModel"}, after_action=True),
        ),
    ],
)
def test_faults_from_the_command_line(spec: str, expected: Fault) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize("spec", ["", "nonsense", "throttling:a:b:c", "throttling:DeleteModel:x"])
def test_bad_fault_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(spec)
