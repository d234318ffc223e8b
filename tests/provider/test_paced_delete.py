"""The Delete of a model version through the emulator: its first action without a look, a fleet within the quota.

Each test plays CloudFormation's Delete for the in-process handler (``Requests``) against the
emulator over HTTP, and reads what happened from the emulator's call record.
"""

from __future__ import annotations

import threading
from typing import Any

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.continuation import Continuation, request_signed_at
from lookoutvision_cdk_provider.handler import make_handler
from lookoutvision_cdk_provider.progress import ModelProgress
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.clock import session_clock
from tests.fixtures.provider import (
    FUNCTION_ARN,
    PROJECT,
    PROVIDER_SLOWER,
    Requests,
    listed_versions,
    model_properties,
    project_with_dataset,
    trained_model,
)

HOSTING = {consts.HOSTING: {consts.MIN_INFERENCE_UNITS: "1"}}


def _hosted(emulator: Emulator, logical_id: str = "Model") -> str:
    arn = trained_model(emulator, logical_id=logical_id)
    emulator.backend.set_status(PROJECT, arn.rsplit("/", 1)[1], "HOSTED")
    return arn


def _operations(emulator: Emulator, version: str) -> list[tuple[str, int]]:
    """(operation, HTTP status) of the calls about ``version`` (ListModels is about every version)."""
    return [
        (c.operation, c.status)
        for c in emulator.calls
        if c.operation == "ListModels"
        or c.params.get("ModelVersion") == version
        or str(c.params.get("ResourceArn", "")).endswith(f"/{version}")
    ]


def test_a_hosted_models_delete_checks_its_owner_then_stops_it_without_a_look_first(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = _hosted(emulator)
    response = requests.request("Delete", physical_id=arn, properties=model_properties(**HOSTING))
    assert response["Status"] == "SUCCESS", response.get("Reason")
    calls = _operations(emulator, "1")
    assert calls[:2] == [("ListTagsForResource", 200), ("StopModel", 202)]
    assert ("DeleteModel", 202) in calls
    # Gone: the last page no longer lists it, and DescribeModel says so after it.
    assert calls[-2:] == [("ListModels", 200), ("DescribeModel", 404)]
    assert "1" not in listed_versions(emulator)


def test_a_first_action_the_status_does_not_allow_is_refused_and_looked_at(
    requests: Requests, emulator: Emulator
) -> None:
    """Properties without Hosting: DeleteModel first, which a HOSTED model refuses; DescribeModel decides then."""
    project_with_dataset(emulator)
    arn = _hosted(emulator)
    event = requests.event("Delete", physical_id=arn, properties=model_properties())
    response = requests.send(event)
    assert response["Status"] == "SUCCESS", response.get("Reason")
    calls = _operations(emulator, "1")
    assert calls[:4] == [
        ("ListTagsForResource", 200),
        ("DeleteModel", 409),
        ("DescribeModel", 200),
        ("StopModel", 202),
    ]
    deletes = emulator.calls_of("DeleteModel")
    assert {c.client_token for c in deletes} == {client_token(event["RequestId"], TokenKind.DELETE_MODEL)}
    assert [c.status for c in deletes][-1] == 202


def _continued(requests: Requests, event: dict[str, Any], progress: ModelProgress) -> dict[str, Any]:
    """``event`` as its second invocation gets it: the record an earlier one handed over, with ``progress``."""
    started = request_signed_at(event["ResponseURL"])
    assert started is not None
    return Continuation(started, 1, progress).next_event(event)


def test_a_continued_delete_whose_first_call_was_answered_looks_before_it_acts(
    requests: Requests, emulator: Emulator
) -> None:
    """An earlier invocation may have acted already: the record says so, and the status decides, not the properties."""
    project_with_dataset(emulator)
    arn = _hosted(emulator)
    event = requests.event("Delete", physical_id=arn, properties=model_properties(**HOSTING))
    response = requests.send(_continued(requests, event, ModelProgress(fleet_first_call_answered=True)))
    assert response["Status"] == "SUCCESS", response.get("Reason")
    calls = _operations(emulator, "1")
    assert calls[:3] == [("ListTagsForResource", 200), ("DescribeModel", 200), ("StopModel", 202)]


def test_a_continued_delete_that_saw_describe_model_say_gone_waits_for_list_models_alone(
    requests: Requests, emulator: Emulator
) -> None:
    """Nothing is left to act on: one ListModels page that no longer lists the version ends it."""
    project_with_dataset(emulator)
    arn = trained_model(emulator).rsplit("/", 1)[0] + "/7"  # a version that is gone
    event = requests.event("Delete", physical_id=arn, properties=model_properties())
    progress = ModelProgress(fleet_first_call_answered=True, described_gone=True)
    response = requests.send(_continued(requests, event, progress))
    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert _operations(emulator, "7") == [("ListModels", 200)]
    # The first invocation of the same Delete asks all three: the owner check, DescribeModel, ListModels.
    assert requests.request("Delete", physical_id=arn, properties=model_properties())["Status"] == "SUCCESS"
    assert [op for op, _ in _operations(emulator, "7")[1:]] == ["ListTagsForResource", "DescribeModel", "ListModels"]


# Real seconds per service second for the fleet tests: slow enough that threads started together call
# within a fraction of a service second, as Lambda's concurrent invocations would.
FLEET_TIME_SCALE = 0.05


def _fleet_delete(requests: Requests, emulator: Emulator, size: int, fleet: bool) -> list[dict[str, Any]]:
    """``size`` hosted models' Deletes sent at once, each handled in its own thread (as Lambda runs each alone).

    Every handler is warmed first (a Delete of an id that names no model: no call), as a warm
    execution environment is, and all start together.
    """
    emulator.configure(time_scale=FLEET_TIME_SCALE)
    requests.use_clock(session_clock(FLEET_TIME_SCALE * PROVIDER_SLOWER))
    project_with_dataset(emulator)
    arns = [_hosted(emulator, logical_id=f"Model{i}") for i in range(size)]
    events = []
    for rank, arn in enumerate(arns):
        place = {consts.FLEET: {consts.FLEET_RANK: str(rank), consts.FLEET_SIZE: str(size)}} if fleet else {}
        properties = model_properties(**HOSTING, **place)
        events.append(requests.event("Delete", logical_id=f"Model{rank}", physical_id=arn, properties=properties))
    handlers = [make_handler(requests.config()) for _ in events]
    for handler in handlers:  # properties that name no project: nothing to look for, no call
        warm = requests.event("Delete", physical_id="no-model", properties={"ServiceToken": FUNCTION_ARN})
        requests.invoke(warm, handler=handler)
    together = threading.Barrier(size)

    def deliver(handler: Any, event: dict[str, Any]) -> None:
        together.wait()
        requests.invoke(event, handler=handler)

    pairs = zip(handlers, events, strict=True)
    threads = [threading.Thread(target=deliver, args=pair, daemon=True) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return [requests.endpoint.wait(e["RequestId"], timeout=60) for e in events]


def test_a_fleet_sent_at_once_meets_no_throttling_its_first_calls_waiting_for_their_slots(
    requests: Requests, emulator: Emulator
) -> None:
    size = 12
    responses = _fleet_delete(requests, emulator, size, fleet=True)
    assert [r["Status"] for r in responses] == ["SUCCESS"] * size
    assert [c.operation for c in emulator.calls if c.status == 429] == []
    assert listed_versions(emulator) == []


def test_the_same_fleet_without_its_places_storms_the_quota(requests: Requests, emulator: Emulator) -> None:
    """The counter-proof: twelve Deletes of one model each all make their first call at once."""
    size = 12
    responses = _fleet_delete(requests, emulator, size, fleet=False)
    assert [r["Status"] for r in responses] == ["SUCCESS"] * size  # throttling never fails a Delete
    assert any(c.status == 429 for c in emulator.calls_of("ListTagsForResource"))
