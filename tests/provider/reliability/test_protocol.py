"""CloudFormation's side of the protocol at its edges, through the local Lambda.

Duplicate deliveries, a Delete after a failed Create, a Delete while the Create still runs
(cancelled deploy), an Update that replaces the model, properties near the continuation payload
limit across re-invocations, and deadlines: every request is answered, once per delivery, before
its ServiceTimeout, with the physical id of a Delete unchanged.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts, servicemodel
from lookoutvision_cdk_provider.identifiers import UnconfirmedModelCreate
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.emulator import requests_of
from tests.fixtures.faults import FromNth
from tests.fixtures.provider import (
    PROJECT,
    STACK_ID,
    dataset_properties,
    listed_versions,
    model_properties,
    project_with_dataset,
    trained_model,
)
from tests.provider.reliability.harness import (
    LAMBDA_TIMEOUT,
    RETRY_DELAYS,
    SCALE,
    Cloud,
    provider_at,
    stall_first_invocation,
)

MUTATING = {"CreateModel", "StartModel", "StopModel", "DeleteModel"}
# Real seconds a request may take beyond its ServiceTimeout's worth: execution environments starting.
START_UP_SLACK = 5.0


def wait_responses(cloud: Cloud, request_id: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Every response to ``request_id`` once there are ``count`` of them (bounded wait)."""
    deadline = time.monotonic() + timeout
    while len(cloud.endpoint.responses(request_id)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} responses to {request_id}"
        time.sleep(0.02)
    cloud.function.wait_idle(timeout=timeout)
    return cloud.endpoint.responses(request_id)


def wait_for_call(emulator: Emulator, operation: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(c.ok for c in emulator.calls_of(operation)):
        assert time.monotonic() < deadline, f"no successful {operation} within {timeout} s"
        time.sleep(0.01)


def hosted_model(emulator: Emulator) -> str:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, arn.rsplit("/", 1)[1], "HOSTED")
    return arn


# -- duplicate deliveries ---------------------------------------------------------------------------


def test_the_same_delete_delivered_twice_in_sequence(cloud: Cloud, emulator: Emulator) -> None:
    arn = hosted_model(emulator)
    event = cloud.event("Delete", physical_id=arn)

    first = cloud.run(event)
    calls_after_first = len(emulator.calls)
    cloud.deliver(event)
    responses = wait_responses(cloud, event["RequestId"], 2)

    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"], responses
    assert {r["PhysicalResourceId"] for r in responses} == {arn}
    assert first == responses[0]
    assert emulator.backend.model_status(PROJECT, "1") is None
    redelivery = emulator.calls[calls_after_first:]
    assert not [c.operation for c in redelivery if c.operation in MUTATING], "the second delivery changed nothing"
    assert {c.client_token for c in emulator.calls_of("DeleteModel")} == {
        client_token(event["RequestId"], TokenKind.DELETE_MODEL)
    }


def test_the_same_delete_delivered_twice_at_once(cloud: Cloud, emulator: Emulator) -> None:
    arn = hosted_model(emulator)
    event = cloud.event("Delete", physical_id=arn)

    cloud.deliver(event)
    cloud.deliver(event)
    responses = wait_responses(cloud, event["RequestId"], 2)

    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"], responses
    assert {r["PhysicalResourceId"] for r in responses} == {arn}
    assert len([i for i in cloud.invocations_of(event["RequestId"]) if i.attempt == 0]) >= 2
    assert emulator.backend.model_status(PROJECT, "1") is None
    assert "1" not in listed_versions(emulator)
    assert {c.client_token for c in emulator.calls_of("DeleteModel")} == {
        client_token(event["RequestId"], TokenKind.DELETE_MODEL)
    }
    assert {c.client_token for c in emulator.calls_of("StopModel")} == {
        client_token(event["RequestId"], TokenKind.STOP_MODEL)
    }
    assert cloud.continuation_problems(event["RequestId"]) == []


def test_the_same_create_delivered_twice_at_once_trains_one_model(cloud: Cloud, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    event = cloud.event("Create", properties=model_properties(Hosting={"MinInferenceUnits": "1"}))

    cloud.deliver(event)
    cloud.deliver(event)
    responses = wait_responses(cloud, event["RequestId"], 2)

    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"], responses
    assert len({r["PhysicalResourceId"] for r in responses}) == 1
    assert emulator.backend.inventory()[PROJECT]["models"] == {"1": "HOSTED"}
    assert {c.client_token for c in emulator.calls_of("CreateModel")} == {
        client_token(event["RequestId"], TokenKind.CREATE_MODEL)
    }


# -- failed and cancelled creates -------------------------------------------------------------------


def test_delete_after_a_failed_create_answers_success_without_a_call(cloud: Cloud, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    create = cloud.run(cloud.event("Create", properties=model_properties(Description="has spaces")))
    stack_name = STACK_ID.split("/")[1]
    assert create["Status"] == "FAILED"
    assert re.fullmatch(rf"{stack_name}_Model_[A-Z0-9]{{8}}", create["PhysicalResourceId"])

    delete = cloud.run(cloud.event("Delete", physical_id=create["PhysicalResourceId"]))

    assert delete["Status"] == "SUCCESS", delete.get("Reason")
    assert delete["PhysicalResourceId"] == create["PhysicalResourceId"]
    assert emulator.calls == []


def test_a_create_whose_answers_are_lost_trains_one_model(cloud: Cloud, emulator: Emulator) -> None:
    """CreateModel and StartModel act but their answers are lost: the retries, same tokens, create nothing more."""
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="drop_connection", operations={"CreateModel"}, count=1, after_action=True))
    emulator.faults.add(Fault(kind="internal_error", operations={"StartModel"}, count=1, after_action=True))
    event = cloud.event("Create", properties=model_properties(Hosting={"MinInferenceUnits": "1"}))

    response = cloud.run(event)

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert emulator.backend.inventory()[PROJECT]["models"] == {"1": "HOSTED"}
    creates = emulator.calls_of("CreateModel")
    assert [c.ok for c in creates] == [False, True], creates  # dropped after acting, then the same answer again
    assert len({c.client_token for c in creates}) == 1
    assert len({c.client_token for c in emulator.calls_of("StartModel")}) == 1


def test_a_create_failing_after_the_model_exists_answers_its_arn_and_the_delete_removes_it(
    cloud: Cloud, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="access_denied", operations={"StartModel"}))
    create = cloud.run(cloud.event("Create", properties=model_properties(Hosting={"MinInferenceUnits": "1"})))
    emulator.faults.clear()

    delete = cloud.run(cloud.event("Delete", physical_id=create["PhysicalResourceId"]))

    assert create["Status"] == "FAILED"
    assert "StartModel" in create["Reason"] and "AccessDeniedException" in create["Reason"], create["Reason"]
    assert create["PhysicalResourceId"].endswith(f":model/{PROJECT}/1")
    assert delete["Status"] == "SUCCESS", delete.get("Reason")
    assert emulator.backend.inventory()[PROJECT]["models"] == {}
    assert listed_versions(emulator) == []


def test_a_create_whose_create_model_acted_but_never_answered_leaves_no_model(cloud: Cloud, emulator: Emulator) -> None:
    """Lost answers are retried until the deadline: every CreateModel answer is lost until then."""
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="drop_connection", operations={"CreateModel"}, count=1, after_action=True))
    emulator.faults.add(FromNth(emulator, "drop_connection", "CreateModel", nth=1, count=None))
    event = cloud.event("Create", properties=model_properties(ServiceTimeout="120"))
    create = cloud.run(event)
    emulator.faults.clear()
    assert create["Status"] == "FAILED"
    assert "ServiceTimeout (120 s) reached" in create["Reason"], create["Reason"]
    assert create["PhysicalResourceId"] == UnconfirmedModelCreate(PROJECT, event["RequestId"]).physical_id

    delete = cloud.run(cloud.event("Delete", physical_id=create["PhysicalResourceId"]))

    assert delete["Status"] == "SUCCESS", delete.get("Reason")
    assert emulator.backend.inventory()[PROJECT]["models"] == {}


def _cancelled_deploy(cloud: Cloud, emulator: Emulator) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Create still training when CloudFormation, which never got its answer, sends the Delete.

    CloudFormation then knows no physical id but one it generated itself:
    ``<stack>-<logicalId>-<RANDOM>``, the way the local driver names it.
    """
    project_with_dataset(emulator)
    emulator.configure(training=400.0)  # two Lambda timeouts: the Create continues in re-invocations
    create = cloud.event("Create")
    cloud.deliver(create)
    wait_for_call(emulator, "CreateModel")
    delete = cloud.event("Delete", physical_id="provider-tests-Model-1A2B3C4D5E6F")
    cloud.deliver(delete)
    return wait_responses(cloud, create["RequestId"], 1)[0], wait_responses(cloud, delete["RequestId"], 1)[0]


def test_a_cancelled_deploy_answers_both_requests(cloud: Cloud, emulator: Emulator) -> None:
    create, delete = _cancelled_deploy(cloud, emulator)
    assert create["Status"] in ("SUCCESS", "FAILED")
    assert delete["Status"] == "SUCCESS", delete.get("Reason")
    assert delete["PhysicalResourceId"] == "provider-tests-Model-1A2B3C4D5E6F"
    for request in cloud.delivered:
        assert len(cloud.endpoint.responses(request["RequestId"])) == 1
        assert cloud.continuation_problems(request["RequestId"]) == []


def test_a_cancelled_deploy_leaves_no_model(cloud: Cloud, emulator: Emulator) -> None:
    _cancelled_deploy(cloud, emulator)
    assert emulator.backend.inventory()[PROJECT]["models"] == {}
    assert listed_versions(emulator) == []


def test_a_delete_while_create_model_is_in_flight_leaves_no_model(cloud: Cloud, emulator: Emulator) -> None:
    """The Delete's first look finds nothing: the CreateModel sent before it lands 8 s later (within its longest try).

    The Delete keeps looking while a CreateModel may still land, finds the version by its owner
    tag and deletes it (once training lets it). At 0.02 real seconds per service second, so that
    the order of the three events does not hang on milliseconds.
    """
    with provider_at(cloud, scale=0.02, timeout=LAMBDA_TIMEOUT) as slower:
        project_with_dataset(emulator)
        emulator.configure(training=20.0)
        emulator.faults.add(Fault(kind="latency", operations={"CreateModel"}, count=1, latency=8.0))
        create = slower.event("Create")
        slower.deliver(create)
        time.sleep(3.0 * 0.02)  # the Create's CreateModel has been sent, not yet answered
        delete = slower.event("Delete", physical_id="provider-tests-Model-1A2B3C4D5E6F")
        slower.deliver(delete)

        answers = wait_responses(slower, create["RequestId"], 1) + wait_responses(slower, delete["RequestId"], 1)

        assert answers[1]["Status"] == "SUCCESS", answers
        looks = [c for c in emulator.calls_of("ListModels") if c.ok]
        created = emulator.calls_of("CreateModel")[0]
        assert looks[0].time < created.answered, "the Delete looked before the CreateModel landed"
        assert emulator.backend.inventory()[PROJECT]["models"] == {}
        assert listed_versions(emulator) == []
        for request in (create, delete):
            assert len(slower.endpoint.responses(request["RequestId"])) == 1


# -- Create and Update stopped by the Lambda timeout ----------------------------------------------------


@pytest.mark.parametrize("after", [3.0, 40.0, 90.0])
def test_a_create_stopped_mid_poll_is_carried_on_by_lambdas_retry(
    cloud: Cloud, emulator: Emulator, after: float
) -> None:
    """The retry carries the original event (no record of the CreateModel sent): the ClientTokens keep one model."""
    project_with_dataset(emulator)
    event = cloud.event("Create", properties=model_properties(Hosting={"MinInferenceUnits": "2"}))
    stall_first_invocation(cloud, event, after)

    response = cloud.run(event)

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert response["Data"][consts.ATTR_STATUS] == "HOSTED"
    assert emulator.backend.inventory()[PROJECT]["models"] == {"1": "HOSTED"}
    assert "timeout" in [i.outcome for i in cloud.invocations_of(event["RequestId"])]
    for operation in ("CreateModel", "StartModel"):
        assert len({c.client_token for c in emulator.calls_of(operation)}) == 1, operation


def test_an_in_place_update_stopped_mid_poll_rescales_once(cloud: Cloud, emulator: Emulator) -> None:
    arn = hosted_model(emulator)
    old = model_properties(Hosting={"MinInferenceUnits": "1"})
    new = model_properties(Hosting={"MinInferenceUnits": "3"})
    emulator.configure(stopping_hosting=20.0, starting_hosting=30.0)
    event = cloud.event("Update", physical_id=arn, properties=new, old_properties=old)
    stall_first_invocation(cloud, event, 25.0)  # stopped, not yet started again

    response = cloud.run(event)

    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert response["PhysicalResourceId"] == arn
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"
    assert emulator.calls_of("StartModel")[-1].params["MinInferenceUnits"] == 3
    assert "timeout" in [i.outcome for i in cloud.invocations_of(event["RequestId"])]
    assert len({c.client_token for c in emulator.calls_of("StartModel")}) == 1


# -- update by replacement ---------------------------------------------------------------------------


def test_an_update_that_replaces_the_model_then_the_old_version_is_deleted(cloud: Cloud, emulator: Emulator) -> None:
    old_arn = hosted_model(emulator)
    hosting = {consts.MIN_INFERENCE_UNITS: "1"}
    old = model_properties(Description="first", Hosting=hosting)
    new = model_properties(Description="second", Hosting=hosting)
    emulator.faults.add(Fault(kind="throttling", operations={"CreateModel", "StartModel", "StopModel"}, count=2))

    update = cloud.run(cloud.event("Update", physical_id=old_arn, properties=new, old_properties=old))
    new_arn = update["PhysicalResourceId"]
    delete = cloud.run(cloud.event("Delete", physical_id=old_arn, properties=old))

    assert update["Status"] == "SUCCESS", update.get("Reason")
    assert new_arn != old_arn
    assert update["Data"][consts.ATTR_STATUS] == "HOSTED"
    assert delete["Status"] == "SUCCESS", delete.get("Reason")
    assert delete["PhysicalResourceId"] == old_arn
    assert emulator.backend.model_status(PROJECT, "1") is None
    assert emulator.backend.model_status(PROJECT, "2") == "HOSTED"
    assert listed_versions(emulator) == ["2"]


# -- properties near the payload limit -----------------------------------------------------------------


def _largest_valid_tags() -> list[dict[str, str]]:
    """As many tags as CreateModel takes, each key and value as long as allowed (limits from the service model)."""
    shape = servicemodel.operation_model("CreateModel").input_shape
    assert shape is not None
    tags = shape.members["Tags"]
    key, value = tags.member.members["Key"], tags.member.members["Value"]  # type: ignore[attr-defined]
    count, key_length, value_length = tags.metadata["max"], key.metadata["max"], value.metadata["max"]
    return [{"Key": f"{i:03d}".ljust(key_length, "k"), "Value": "v" * value_length} for i in range(count)]


def test_properties_near_the_payload_limit_survive_re_invocations(cloud: Cloud, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.configure(training=450.0)  # past two Lambda timeouts
    description_max = servicemodel.operation_model("CreateModel").input_shape.members["Description"].metadata["max"]  # type: ignore[union-attr]
    properties = model_properties(Description="d" * description_max, Tags=_largest_valid_tags())
    assert (
        servicemodel.validate_input("CreateModel", {k: v for k, v in properties.items() if k != "ServiceToken"}) == []
    )

    create = cloud.run(cloud.event("Create", properties=properties))

    assert create["Status"] == "SUCCESS", create.get("Reason")
    invocations = cloud.invocations_of(create["RequestId"])
    assert len(invocations) >= 3
    sizes = [len(json.dumps(i.event)) for i in invocations]
    assert min(sizes) > 8192 * 8, sizes  # crhelper's polling rule would have refused an eighth of this
    assert all(i.event["ResourceProperties"] == properties for i in invocations)
    tags = emulator.backend.list_tags_for_resource(create["PhysicalResourceId"])["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == properties["Tags"]
    assert len(requests_of(emulator, "CreateModel")) == 1


# -- deadlines -------------------------------------------------------------------------------------------


def _answered_within(cloud: Cloud, event: dict[str, Any], service_timeout: float) -> dict[str, Any]:
    began = time.monotonic()
    response = cloud.run(event)
    assert time.monotonic() - began < service_timeout * SCALE + START_UP_SLACK
    assert response["Status"] == "FAILED"
    return response


def test_a_model_stuck_past_the_deadline_fails_across_invocations(cloud: Cloud, emulator: Emulator) -> None:
    arn = hosted_model(emulator)
    emulator.configure(stopping_hosting=60.0)
    emulator.backend.hold_status(PROJECT, "1", "STOPPING_HOSTING")
    event = cloud.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="500"))

    response = _answered_within(cloud, event, 500)

    reason = response["Reason"]
    assert "ServiceTimeout (500 s)" in reason and "STOPPING_HOSTING" in reason, reason
    assert reason.endswith("Raise ServiceTimeout or retry the operation."), reason
    assert len(cloud.invocations_of(event["RequestId"])) >= 2
    assert response["PhysicalResourceId"] == arn
    assert cloud.continuation_problems(event["RequestId"]) == []


def test_lambdas_retry_of_a_stopped_first_invocation_keeps_the_deadline(cloud: Cloud, emulator: Emulator) -> None:
    """The first invocation hangs until Lambda stops it; Lambda's retry carries the same event, no record.

    The deadline is the first invocation's start + ServiceTimeout: the FAILED answer must come by
    then (CloudFormation stops waiting at ServiceTimeout), not a ServiceTimeout after the retry.
    """
    arn = hosted_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "TRAINING")
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")
    service_timeout = 300
    event = cloud.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout=str(service_timeout)))
    stall_first_invocation(cloud, event, 10.0)

    response = cloud.run(event)

    assert response["Status"] == "FAILED"
    assert f"ServiceTimeout ({service_timeout} s)" in response["Reason"], response["Reason"]
    first, *_, last = cloud.invocations_of(event["RequestId"])
    assert first.outcome == "timeout"
    assert first.started is not None and last.ended is not None
    answered_after = (last.ended - first.started) / SCALE  # service seconds
    assert answered_after <= service_timeout, f"answered {answered_after:.0f} s after the first invocation began"


def test_an_invocation_stopped_near_the_deadline_is_answered_once(cloud: Cloud, emulator: Emulator) -> None:
    """Stopped by Lambda 80 s in, before its hand-over (calls start until 100 s - 10 s, a call's length): the retry
    answers at the deadline (180 - 18 = 162 s), once."""
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "TRAINING")
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")
    event = cloud.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="180"))
    stall_first_invocation(cloud, event, 80.0)

    cloud.deliver(event)
    first = cloud.answer(event)
    time.sleep(RETRY_DELAYS[1] * SCALE + 0.5)  # a second retry, if any, has run
    cloud.function.wait_idle(timeout=60)

    assert first["Status"] == "FAILED", first
    assert "ServiceTimeout (180 s) reached" in first["Reason"], first["Reason"]
    answers = cloud.endpoint.responses(event["RequestId"])
    assert [a["Status"] for a in answers] == ["FAILED"], cloud.timeline(event["RequestId"])
    invocations = cloud.invocations_of(event["RequestId"])
    assert [i.outcome for i in invocations] == ["timeout", "ok"], cloud.timeline(event["RequestId"])
    first_began, answered = invocations[0].started, invocations[-1].ended
    assert first_began is not None and answered is not None
    assert (answered - first_began) / SCALE < 180, "answered before CloudFormation stops waiting"


@pytest.mark.parametrize(
    ("fault", "named"),
    [
        ("throttling", "ThrottlingException"),
        ("internal_error", "InternalServerException"),
        ("drop_connection", "could not be reached"),
    ],
)
def test_a_service_that_never_answers_well_ends_failed_not_a_hang(
    cloud: Cloud, emulator: Emulator, fault: str, named: str
) -> None:
    arn = hosted_model(emulator)
    emulator.faults.add(Fault(kind=fault))  # type: ignore[arg-type]  # every call, until cleared
    event = cloud.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="600"))

    response = _answered_within(cloud, event, 600)

    reason = response["Reason"]
    assert reason.startswith("Delete Model: "), reason
    # The call that kept failing: the Delete's first, the owner check.
    assert "ListTagsForResource" in reason and named in reason, reason
    assert len(reason) <= 256
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"
    assert cloud.continuation_problems(event["RequestId"]) == []


# -- events nobody should trust -----------------------------------------------------------------------


def test_an_event_with_a_foreign_response_url_is_dropped(cloud: Cloud, emulator: Emulator) -> None:
    """Anyone allowed to invoke the function could send it: nothing is done, nothing is PUT anywhere."""
    arn = hosted_model(emulator)
    event = cloud.event("Delete", physical_id=arn)
    event["ResponseURL"] = "https://collector.example/steal?X-Amz-Signature=a5f0c1e9d2b7forged"
    calls_before = len(emulator.calls)

    cloud.deliver(event)
    cloud.function.wait_idle(timeout=60)

    [invocation] = cloud.invocations_of(event["RequestId"])
    assert invocation.outcome == "ok"  # not an error: Lambda does not retry it
    assert len(emulator.calls) == calls_before
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"
    assert "event dropped, nothing done and nothing answered" in "\n".join(invocation.logs)


def test_a_record_claiming_a_later_start_is_answered_failed_and_acts_on_nothing(
    cloud: Cloud, emulator: Emulator
) -> None:
    """A Started in the future would push the deadline out: endless 15-minute chains."""
    arn = hosted_model(emulator)
    event = cloud.event("Delete", physical_id=arn)
    event[consts.CONTINUATION] = {"Started": cloud.function.clock.now() + 86_400, "Invocation": 2, "Progress": {}}
    calls_before = len(emulator.calls)

    response = cloud.run(event)

    assert response["Status"] == "FAILED"
    assert "continuation record's Started is not the request's start" in response["Reason"], response["Reason"]
    assert len(emulator.calls) == calls_before
    assert len(cloud.invocations_of(event["RequestId"])) == 1


def test_a_dataset_that_exists_already_is_not_adopted(cloud: Cloud, emulator: Emulator) -> None:
    project_with_dataset(emulator)  # made outside the stack
    kind = consts.DATASET_RESOURCE_TYPE
    create = cloud.run(cloud.event("Create", resource_type=kind, logical_id="Train", properties=dataset_properties()))
    delete = cloud.run(
        cloud.event("Delete", resource_type=kind, logical_id="Train", physical_id=create["PhysicalResourceId"])
    )

    assert create["Status"] == "FAILED"
    assert "already has a train dataset that this stack did not create" in create["Reason"], create["Reason"]
    assert delete["Status"] == "SUCCESS"
    assert emulator.calls_of("DeleteDataset") == []
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}
