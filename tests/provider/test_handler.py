"""The handler in process, through botocore → HTTP → the emulator, answering a local ResponseURL."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import pytest

from localcloud.awslambda import LambdaContext
from localcloud.lookoutvision import Emulator, Fault
from provider import consts
from provider.continuation import request_signed_at
from provider.handler import make_handler
from provider.identifiers import OWNER_TAG_KEY, owner_tag_value
from provider.lifecycle import ModelStatus, poll_interval
from tests.fixtures.awslambda import local_function
from tests.fixtures.clock import session_clock
from tests.provider.conftest import (
    PROJECT,
    STACK_ID,
    Requests,
    dataset_properties,
    listed_versions,
    model_properties,
    project_with_dataset,
    trained_model,
)

MUTATING = {"CreateModel", "StartModel", "StopModel", "DeleteModel", "CreateDataset", "DeleteDataset"}


def _version(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def _tokens(emulator: Emulator, operation: str) -> set[str | None]:
    return {call.client_token for call in emulator.calls_of(operation)}


# -- Delete ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(ModelStatus))
def test_delete_from_each_of_the_nine_states(requests: Requests, emulator: Emulator, status: ModelStatus) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    version = _version(arn)
    emulator.backend.set_status(PROJECT, version, status)

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == arn
    assert emulator.backend.model_status(PROJECT, version) is None
    assert version not in listed_versions(emulator)
    assert emulator.calls_of("ListModels"), "the version's absence is confirmed with ListModels"
    assert len(_tokens(emulator, "DeleteModel")) <= 1
    if status is ModelStatus.HOSTED:
        assert [c.ok for c in emulator.calls_of("StopModel")][-1]


def test_delete_sends_one_delete_token_through_throttling_5xx_and_dropped_connections(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, _version(arn), "HOSTED")
    # Faults that apply to the same call all hit it: one kind per operation.
    emulator.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=3))
    emulator.faults.add(Fault(kind="internal_error", operations={"StopModel"}, count=2))
    emulator.faults.add(Fault(kind="drop_connection", operations={"DescribeModel"}, count=2))
    emulator.faults.add(Fault(kind="internal_error", operations={"ListModels"}, count=1))

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    deletes = emulator.calls_of("DeleteModel")
    assert [c.error_code for c in deletes][:3] == ["ThrottlingException"] * 3
    assert deletes[3].ok
    assert [c.status for c in emulator.calls_of("DescribeModel")][:2] == [0, 0]
    assert len(_tokens(emulator, "DeleteModel")) == 1
    assert len(_tokens(emulator, "StopModel")) == 1
    assert _tokens(emulator, "DeleteModel") != _tokens(emulator, "StopModel")
    assert _version(arn) not in listed_versions(emulator)


def test_a_long_throttling_burst_is_ridden_out(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=15))

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert len(emulator.calls_of("DeleteModel")) == 16
    assert len(_tokens(emulator, "DeleteModel")) == 1


def test_an_unreachable_endpoint_fails_the_delete_with_a_clear_reason(
    requests: Requests, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_LOOKOUTVISION", closed)
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"

    # Retried until the deadline: a short ServiceTimeout keeps the test short.
    response = requests.request("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="60"))

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (60 s) reached" in response["Reason"]
    assert "DescribeModel" in response["Reason"]
    assert "could not be reached" in response["Reason"]


def test_a_delete_whose_answer_is_lost_is_retried_with_the_same_token(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.faults.add(Fault(kind="internal_error", operations={"DeleteModel"}, count=1, after_action=True))

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    deletes = emulator.calls_of("DeleteModel")
    assert [c.status for c in deletes] == [500, 202]
    assert len(_tokens(emulator, "DeleteModel")) == 1


def test_delete_reads_every_page_of_list_models(requests: Requests, emulator: Emulator) -> None:
    requests.handler = make_handler(requests.config(list_models_page_size=2))
    emulator.configure(list_models_lag=30.0)
    project_with_dataset(emulator)
    arns = [trained_model(emulator) for _ in range(7)]
    target = arns[-1]  # the last version: on the last page

    response = requests.request("Delete", physical_id=target)

    assert response["Status"] == "SUCCESS", response["Reason"]
    pages = emulator.calls_of("ListModels")
    assert all(c.params.get("MaxResults") == 2 for c in pages)
    assert any("NextToken" in c.params for c in pages)
    assert len(pages) >= 3  # 6 or 7 versions listed, 2 per page: every page read at least once
    assert listed_versions(emulator) == [_version(a) for a in arns[:-1]]


def test_delete_of_a_model_already_gone_succeeds_without_changing_anything(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    gone = arn.replace("/1", "/9")
    missing_project = arn.replace(f"model/{PROJECT}/", "model/no-such-project/")

    for physical_id in (gone, missing_project):
        response = requests.request("Delete", physical_id=physical_id)
        assert response["Status"] == "SUCCESS", response["Reason"]
    assert not {c.operation for c in emulator.calls} & MUTATING
    assert emulator.backend.model_status(PROJECT, "1") == "TRAINED"


@pytest.mark.parametrize("logical_id", ["Model", "M" * 72])
def test_delete_of_the_id_crhelper_answers_for_a_failed_create_makes_no_call(
    requests: Requests, emulator: Emulator, logical_id: str
) -> None:
    project_with_dataset(emulator)
    trained_model(emulator)
    physical_id = f"provider-tests_{logical_id}_ABCD1234"  # <stack name>_<logical id>_<8 characters>
    response = requests.request("Delete", logical_id=logical_id, physical_id=physical_id)
    assert response["Status"] == "SUCCESS"
    assert emulator.calls == []


@pytest.mark.parametrize(
    "physical_id",
    [
        "provider-tests-Model-1A2B3C4D5E6F",  # CloudFormation's own, for a Create it stopped waiting for
        "provider-tests_Model_abcd1234",  # not crhelper's: lower case
        "arn:aws:lookoutvision:us-east-1:123456789012:project/proj",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/latest",
    ],
)
def test_delete_of_another_id_deletes_only_what_this_resource_created(
    requests: Requests, emulator: Emulator, physical_id: str
) -> None:
    project_with_dataset(emulator)
    create = requests.request("Create")  # tagged as this resource's: version 1
    assert create["Status"] == "SUCCESS", create["Reason"]
    trained_model(emulator, logical_id="Another")  # another resource's: version 2

    response = requests.request("Delete", physical_id=physical_id)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert listed_versions(emulator) == ["2"]
    assert [c.params["ModelVersion"] for c in emulator.calls_of("DeleteModel")] == ["1"]


def test_without_permission_to_read_tags_the_search_finds_nothing(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    requests.request("Create")
    emulator.faults.add(Fault(kind="access_denied", operations={"ListTagsForResource"}))
    response = requests.request("Delete", physical_id="provider-tests-Model-1A2B3C4D5E6F")
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert listed_versions(emulator) == ["1"]


def test_several_versions_of_an_unanswered_create_each_get_their_own_token(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    create = requests.event("Create")
    assert requests.send(create)["Status"] == "SUCCESS"
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    # The same resource's Create delivered again later (another RequestId): a second tagged version.
    assert requests.request("Create")["Status"] == "SUCCESS"

    response = requests.request("Delete", physical_id="provider-tests-Model-1A2B3C4D5E6F")

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert listed_versions(emulator) == []
    deletes = emulator.calls_of("DeleteModel")
    assert sorted(c.params["ModelVersion"] for c in deletes if c.ok) == ["1", "2"]
    assert len({c.client_token for c in deletes}) == 2


@pytest.mark.parametrize("properties", [{}, {"ProjectName": "-invalid"}, {"ProjectName": "no-such-project"}])
def test_delete_of_another_id_without_a_usable_project_changes_nothing(
    requests: Requests, emulator: Emulator, properties: dict[str, Any]
) -> None:
    response = requests.request("Delete", physical_id="provider-tests-Model-1A2B3C4D5E6F", properties=properties)
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert {c.operation for c in emulator.calls} <= {"ListModels"}


def test_a_model_with_the_most_tags_gets_no_owner_tag(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(200)]
    create = requests.request("Create", properties=model_properties(Tags=tags))
    assert create["Status"] == "SUCCESS", create["Reason"]
    assert emulator.calls_of("CreateModel")[0].params["Tags"] == tags


def test_create_tags_the_model_with_its_owner_and_its_request(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    event = requests.event("Create", properties=model_properties(Tags=[{"Key": "team", "Value": "a"}]))
    create = requests.send(event)
    tags = emulator.backend.list_tags_for_resource(create["PhysicalResourceId"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "team": "a",
        OWNER_TAG_KEY: owner_tag_value(STACK_ID, "Model", event["RequestId"]),
    }


def test_a_failed_create_then_its_delete(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    create = requests.request("Create", properties=model_properties(Description="has spaces"))
    assert create["Status"] == "FAILED"
    delete = requests.request("Delete", physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS"
    assert emulator.calls == []


def test_delete_fails_clearly_when_access_is_denied(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator, logical_id="MyModel")
    emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))

    response = requests.request("Delete", physical_id=arn, logical_id="MyModel")

    assert response["Status"] == "FAILED"
    reason = response["Reason"]
    assert reason.startswith("Delete MyModel: model 1 of project proj: DeleteModel")
    assert "AccessDeniedException" in reason
    assert "not authorized" in reason
    assert len(emulator.calls_of("DeleteModel")) == 1  # not retried


def test_a_deadline_ends_with_failed_not_a_hang(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, _version(arn), "TRAINING")
    emulator.backend.hold_status(PROJECT, _version(arn), "TRAINING")

    response = requests.request("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="600"))

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (600 s)" in response["Reason"]
    assert "TRAINING" in response["Reason"]
    assert emulator.backend.model_status(PROJECT, _version(arn)) == "TRAINING"


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


# -- Create ---------------------------------------------------------------------------------------


def test_create_trains_and_answers_the_model(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    response = requests.request("Create", properties=model_properties(Tags=[{"Key": "team", "Value": "a"}]))

    assert response["Status"] == "SUCCESS", response["Reason"]
    data = response["Data"]
    assert response["PhysicalResourceId"] == data[consts.ATTR_MODEL_ARN]
    assert data[consts.ATTR_MODEL_VERSION] == "1"
    assert data[consts.ATTR_STATUS] == "TRAINED"
    assert float(data[consts.ATTR_F1_SCORE]) > 0
    assert {consts.ATTR_RECALL, consts.ATTR_PRECISION} <= set(data)
    [create] = emulator.calls_of("CreateModel")
    assert create.client_token and create.client_token.startswith("create-")
    assert emulator.calls_of("StartModel") == []


def test_create_with_hosting_starts_the_model(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    hosting = {"MinInferenceUnits": "2", "MaxInferenceUnits": "3"}
    response = requests.request("Create", properties=model_properties(Hosting=hosting))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"][consts.ATTR_STATUS] == "HOSTED"
    [start] = emulator.calls_of("StartModel")
    assert (start.params["MinInferenceUnits"], start.params["MaxInferenceUnits"]) == (2, 3)


def test_training_failed_answers_failed_with_the_model_arn_so_delete_removes_it(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    emulator.configure(training_outcome="TRAINING_FAILED")

    create = requests.request("Create")

    assert create["Status"] == "FAILED"
    assert "training failed" in create["Reason"]
    assert create["PhysicalResourceId"].endswith(f"model/{PROJECT}/1")
    delete = requests.request("Delete", physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS"
    assert emulator.backend.model_status(PROJECT, "1") is None


def test_bad_properties_fail_before_any_call(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    properties = model_properties(ProjectName="-bad", Hosting={"MinInferenceUnits": "zero"})
    response = requests.request("Create", properties=properties)

    assert response["Status"] == "FAILED"
    assert "ProjectName" in response["Reason"]
    assert "regular expression pattern" in response["Reason"]
    assert emulator.calls == []


def test_an_unknown_resource_type_fails_on_create_and_deletes_quietly(requests: Requests, emulator: Emulator) -> None:
    create = requests.request("Create", resource_type="Custom::Other")
    assert create["Status"] == "FAILED"
    assert "Custom::Other" in create["Reason"]
    delete = requests.request("Delete", resource_type="Custom::Other", physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS"
    assert emulator.calls == []


def test_a_72_character_logical_id_works(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    logical_id = "VeryLongConstructPath" + "X" * 43 + "8CHARSID"
    assert len(logical_id) == 72
    create = requests.request("Create", logical_id=logical_id)
    assert create["Status"] == "SUCCESS", create["Reason"]
    delete = requests.request("Delete", logical_id=logical_id, physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS", delete["Reason"]


# -- Update ---------------------------------------------------------------------------------------


def _created(requests: Requests, **properties: Any) -> tuple[str, dict[str, Any]]:
    props = model_properties(**properties)
    response = requests.request("Create", properties=props)
    assert response["Status"] == "SUCCESS", response["Reason"]
    return response["PhysicalResourceId"], props


def test_update_of_hosting_only_is_in_place(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn, old = _created(requests)
    steps = [
        ({"MinInferenceUnits": "1"}, "HOSTED", 1),  # start
        ({"MinInferenceUnits": "3"}, "HOSTED", 3),  # rescale: stop, start
        (None, "TRAINED", None),  # stop
    ]
    for hosting, status, units in steps:
        new = model_properties(**({"Hosting": hosting} if hosting else {}))
        response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)
        assert response["Status"] == "SUCCESS", response["Reason"]
        assert response["PhysicalResourceId"] == arn
        assert response["Data"][consts.ATTR_STATUS] == status
        assert emulator.backend.model_status(PROJECT, _version(arn)) == status
        if units is not None:
            assert emulator.calls_of("StartModel")[-1].params["MinInferenceUnits"] == units
        old = new
    assert len(emulator.calls_of("CreateModel")) == 1


def test_update_of_anything_else_creates_a_new_version(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn, old = _created(requests)
    new = model_properties(Description="second")
    response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] != arn
    assert response["Data"][consts.ATTR_MODEL_VERSION] == "2"
    # CloudFormation then deletes the old one.
    delete = requests.request("Delete", physical_id=arn)
    assert delete["Status"] == "SUCCESS"
    assert listed_versions(emulator) == ["2"]


def test_a_failed_replacement_is_deleted_and_the_update_keeps_the_old_model(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn, old = _created(requests)
    emulator.configure(training_outcome="TRAINING_FAILED")
    new = model_properties(Description="second")

    response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)

    assert response["Status"] == "FAILED"
    assert response["PhysicalResourceId"] == arn
    assert "training failed" in response["Reason"]
    assert "new model version was deleted" in response["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") == "TRAINED"
    assert listed_versions(emulator) == ["1"]
    assert len(emulator.calls_of("DeleteModel")) == 1


def test_the_rollback_of_a_failed_replacement_keeps_the_old_version(requests: Requests, emulator: Emulator) -> None:
    """CloudFormation rolls back with an Update to the old ARN, the old properties, the failed ones as old."""
    project_with_dataset(emulator)
    hosting = {"MinInferenceUnits": "1"}
    arn, first = _created(requests, Description="first", Hosting=hosting)
    emulator.configure(training_outcome="TRAINING_FAILED")
    second = model_properties(Description="second", Hosting=hosting)
    failed = requests.request("Update", physical_id=arn, properties=second, old_properties=first)
    emulator.configure(training_outcome="TRAINED")
    creates = len(emulator.calls_of("CreateModel"))

    rollback = requests.request(
        "Update", physical_id=failed["PhysicalResourceId"], properties=first, old_properties=second
    )

    assert failed["Status"] == "FAILED" and failed["PhysicalResourceId"] == arn
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == arn
    assert rollback["Data"][consts.ATTR_STATUS] == "HOSTED"
    assert len(emulator.calls_of("CreateModel")) == creates, "the rollback trains nothing"
    assert listed_versions(emulator) == ["1"]


def test_the_rollback_of_an_update_with_invalid_properties_keeps_the_version(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn, good = _created(requests, Description="good")
    bad = model_properties(Description="has spaces")
    failed = requests.request("Update", physical_id=arn, properties=bad, old_properties=good)

    rollback = requests.request("Update", physical_id=arn, properties=good, old_properties=bad)

    assert failed["Status"] == "FAILED" and "Description" in failed["Reason"]
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == arn
    assert len(emulator.calls_of("CreateModel")) == 1


def test_an_update_of_tags_is_in_place_and_keeps_the_owner_tag(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    old_tags = [{"Key": "team", "Value": "vision"}, {"Key": "cost", "Value": "1"}]
    arn, old = _created(requests, Tags=old_tags)
    new = model_properties(Tags=[{"Key": "team", "Value": "inspection"}, {"Key": "line", "Value": "3"}])

    owner = {t["Key"]: t["Value"] for t in emulator.backend.list_tags_for_resource(arn)["Tags"]}[OWNER_TAG_KEY]

    response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == arn
    tags = {t["Key"]: t["Value"] for t in emulator.backend.list_tags_for_resource(arn)["Tags"]}
    assert tags == {"team": "inspection", "line": "3", OWNER_TAG_KEY: owner}
    assert [c.params["TagKeys"] for c in emulator.calls_of("UntagResource")] == [["cost"]]
    assert len(emulator.calls_of("CreateModel")) == 1


def test_no_step_acts_on_a_version_another_resource_created(requests: Requests, emulator: Emulator) -> None:
    """A forged or mistaken physical id naming another resource's version: FAILED, the version untouched."""
    project_with_dataset(emulator)
    arn = trained_model(emulator, logical_id="Another")
    emulator.backend.set_status(PROJECT, _version(arn), "HOSTED")

    delete = requests.request("Delete", physical_id=arn)
    update = requests.request(
        "Update", physical_id=arn, properties=model_properties(), old_properties=model_properties()
    )

    for response in (delete, update):
        assert response["Status"] == "FAILED"
        assert "was not created by this resource" in response["Reason"], response["Reason"]
    assert not [c for c in emulator.calls if c.operation in MUTATING]
    assert emulator.backend.model_status(PROJECT, _version(arn)) == "HOSTED"


@pytest.mark.parametrize(
    ("progress", "named"),
    [
        ({"ModelArn": "arn:aws:lookoutvision:us-east-1:123456789012:model/other-project/1"}, "not a model version"),
        ({"CreateModelUnconfirmed": True, "ModelArn": "not-an-arn"}, "not a model version"),
        ({"OwnedVersions": ["arn:aws:lookoutvision:us-east-1:123456789012:model/other-project/1"]}, "outside"),
        ({"OwnedVersions": "all of them"}, "not a list"),
    ],
)
def test_a_record_naming_versions_outside_the_project_is_rejected(
    requests: Requests, emulator: Emulator, progress: dict[str, Any], named: str
) -> None:
    project_with_dataset(emulator)
    emulator.backend.create_project("other-project")
    request_type = "Delete" if "OwnedVersions" in progress else "Create"
    physical_id = None if request_type == "Create" else "provider-tests-Model-1A2B3C4D"
    event = requests.event(request_type, physical_id=physical_id)
    started = request_signed_at(event["ResponseURL"], requests.clock)  # as the first invocation recorded it
    event[consts.CONTINUATION] = {"Started": started, "Invocation": 2, "Progress": progress}

    response = requests.send(event)

    assert response["Status"] == "FAILED"
    assert named in response["Reason"], response["Reason"]
    assert not [c for c in emulator.calls if c.operation in MUTATING]


def test_a_create_whose_hand_over_fails_answers_the_model_it_created(
    requests: Requests, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lambda:Invoke refused (no such function): FAILED, with the created ARN so that the Delete removes it."""
    with local_function("echo", timeout=30.0) as lambda_service:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", lambda_service.endpoint_url)
        project_with_dataset(emulator)
        emulator.configure(training=1_000_000.0)  # longer than this short invocation
        event = requests.event("Create")
        context = LambdaContext(
            "r",
            "gone",
            "arn:aws:lambda:us-east-1:123456789012:function:gone",
            deadline=time.time() + 1.0,
            time_scale=requests.clock.scale,
        )
        requests.handler(event, context)
        created = requests.endpoint.wait(event["RequestId"], timeout=30)

    assert created["Status"] == "FAILED"
    assert "lambda:Invoke" in created["Reason"], created["Reason"]
    assert created["PhysicalResourceId"] == f"arn:aws:lookoutvision:us-east-1:123456789012:model/{PROJECT}/1"
    emulator.configure(training=1.0)
    emulator.clock.advance(1_000_000.0)
    delete = requests.request("Delete", physical_id=created["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert listed_versions(emulator) == []


# -- datasets --------------------------------------------------------------------------------------


def test_dataset_create_and_delete(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    create = requests.request("Create", resource_type=kind, logical_id="Train", properties=dataset_properties())

    assert create["Status"] == "SUCCESS", create["Reason"]
    assert create["PhysicalResourceId"] == f"{PROJECT}/train"
    assert create["Data"] == {"ProjectName": PROJECT, "DatasetType": "train", "Status": "CREATE_COMPLETE"}
    [call] = emulator.calls_of("CreateDataset")
    assert call.client_token and call.client_token.startswith("create-dataset-")

    delete = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}
    again = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])
    assert again["Status"] == "SUCCESS"
    assert len(emulator.calls_of("DeleteDataset")) == 1


class _RecordedPolls:
    """A poll schedule that records each wait it is asked for (and waits the production interval)."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def interval(self, polls: int, time_left: float) -> float:
        self.asked.append(polls)
        return poll_interval(polls, time_left)


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


def test_dataset_delete_of_an_unanswered_create_deletes_nothing(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Datasets carry no owner tag: a dataset found after an unanswered Create may have been there before."""
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    requests.request("Create", resource_type=kind, properties=dataset_properties())  # its answer "lost"
    calls_before = len(emulator.calls)

    for physical_id in ("provider-tests_Model_ABCD1234", "provider-tests-Model-1A2B3C4D5E6F"):
        response = requests.request(
            "Delete", resource_type=kind, physical_id=physical_id, properties=dataset_properties()
        )
        assert response["Status"] == "SUCCESS", response["Reason"]

    assert len(emulator.calls) == calls_before
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}
    assert "may not be this resource's and is left as it is" in caplog.text


def _unconfirmed_dataset_create(requests: Requests, emulator: Emulator, *, performed: bool) -> dict[str, Any]:
    """A dataset Create whose every CreateDataset lost its answer (``performed``: after the service acted).

    Lost answers are retried until the deadline: a short ServiceTimeout keeps it short.
    """
    emulator.backend.create_project(PROJECT)
    emulator.faults.add(Fault(kind="drop_connection", operations={"CreateDataset"}, after_action=performed))
    kind = consts.DATASET_RESOURCE_TYPE
    create = requests.request("Create", resource_type=kind, properties=dataset_properties(ServiceTimeout="60"))
    emulator.faults.clear()
    assert create["Status"] == "FAILED"
    assert "CreateDataset" in create["Reason"], create["Reason"]
    assert "ServiceTimeout (60 s) reached" in create["Reason"], create["Reason"]
    return create


def test_a_dataset_create_that_lost_every_answer_is_removed_by_its_delete(
    requests: Requests, emulator: Emulator
) -> None:
    """The service made the dataset but no answer came back: the rollback's Delete must remove it."""
    create = _unconfirmed_dataset_create(requests, emulator, performed=True)
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}
    assert create["PhysicalResourceId"].startswith(f"{PROJECT}/train/")

    kind = consts.DATASET_RESOURCE_TYPE
    delete = requests.request(
        "Delete", resource_type=kind, physical_id=create["PhysicalResourceId"], properties=dataset_properties()
    )

    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}
    assert len({c.client_token for c in emulator.calls_of("CreateDataset")}) == 1, "the Create's own token, repeated"


def test_the_delete_of_an_unconfirmed_dataset_create_leaves_another_dataset(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """No CreateDataset reached the service; a dataset made since is another's: the Delete leaves it."""
    create = _unconfirmed_dataset_create(requests, emulator, performed=False)
    kind = consts.DATASET_RESOURCE_TYPE
    delete_event = {"resource_type": kind, "physical_id": create["PhysicalResourceId"]}

    nothing = requests.request("Delete", **delete_event, properties=dataset_properties())
    assert nothing["Status"] == "SUCCESS", nothing["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}

    emulator.backend.create_dataset(PROJECT, "train")  # made outside the stack
    another = requests.request("Delete", **delete_event, properties=dataset_properties())

    assert another["Status"] == "SUCCESS", another["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}
    assert emulator.calls_of("DeleteDataset") == []
    assert "was not made by this resource's Create: it is left as it is" in caplog.text


def test_a_failed_dataset_update_names_the_new_dataset_it_left(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    emulator.backend.create_project("other-project")
    kind = consts.DATASET_RESOURCE_TYPE
    create = requests.request("Create", resource_type=kind, properties=dataset_properties())
    emulator.faults.add(Fault(kind="drop_connection", operations={"CreateDataset"}, after_action=True))

    update = requests.request(
        "Update",
        resource_type=kind,
        physical_id=create["PhysicalResourceId"],
        properties=dataset_properties(ProjectName="other-project", ServiceTimeout="60"),
        old_properties=dataset_properties(),
    )

    assert update["Status"] == "FAILED"
    assert update["PhysicalResourceId"] == create["PhysicalResourceId"]
    reason = update["Reason"]
    assert reason.startswith("Update Model: the new train dataset of project other-project may have been created"), (
        reason
    )
    assert "(delete it if so); ServiceTimeout (60 s) reached; CreateDataset got no answer" in reason, reason
    assert "could not be reached" in reason, reason


def test_dataset_create_adopts_no_existing_dataset(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)  # a train dataset made outside the stack
    kind = consts.DATASET_RESOURCE_TYPE

    create = requests.request("Create", resource_type=kind, properties=dataset_properties())
    delete = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])

    assert create["Status"] == "FAILED"
    assert "already has a train dataset that this stack did not create" in create["Reason"], create["Reason"]
    assert "delete it, or reference it instead of declaring it" in create["Reason"]
    assert create["PhysicalResourceId"] != f"{PROJECT}/train"  # crhelper's id: the Delete makes no call
    assert delete["Status"] == "SUCCESS"
    assert emulator.calls_of("DeleteDataset") == []
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}


def test_a_dataset_create_retried_with_the_same_request_is_not_taken_for_another(
    requests: Requests, emulator: Emulator
) -> None:
    """Lambda's retry of a first invocation carries the original event: its CreateDataset repeats the token."""
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    event = requests.event("Create", resource_type=kind, properties=dataset_properties())
    first = requests.send(event)
    requests.invoke(event)  # the same event again

    answers = requests.endpoint.responses(event["RequestId"])
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"], answers
    assert {a["PhysicalResourceId"] for a in answers} == {first["PhysicalResourceId"]} == {f"{PROJECT}/train"}
    creates = emulator.calls_of("CreateDataset")
    assert [c.ok for c in creates] == [True, True]
    assert len({c.client_token for c in creates}) == 1


def test_dataset_delete_waits_for_a_training_model(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.backend.create_model(PROJECT, output_config={"S3Location": {"Bucket": "out"}})
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")

    def release_after_a_conflict() -> None:  # training ends once DeleteDataset was refused
        for _ in range(500):
            if any(c.error_code == "ConflictException" for c in emulator.calls_of("DeleteDataset")):
                break
            time.sleep(0.01)
        emulator.backend.release_status(PROJECT, "1")

    releaser = threading.Thread(target=release_after_a_conflict)
    releaser.start()
    kind = consts.DATASET_RESOURCE_TYPE
    response = requests.request("Delete", resource_type=kind, physical_id=f"{PROJECT}/train")
    releaser.join()

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert "ConflictException" in {c.error_code for c in emulator.calls_of("DeleteDataset")}
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}


def test_dataset_update_of_the_source_replaces_it_under_the_same_id(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    old = dataset_properties()
    create = requests.request("Create", resource_type=kind, properties=old)
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": "manifests", "Key": "v2.manifest"}}}
    new = dataset_properties(DatasetSource=source)

    update = requests.request(
        "Update", resource_type=kind, physical_id=create["PhysicalResourceId"], properties=new, old_properties=old
    )

    assert update["Status"] == "SUCCESS", update["Reason"]
    assert update["PhysicalResourceId"] == create["PhysicalResourceId"]
    assert [c.operation for c in emulator.calls if c.operation in MUTATING] == [
        "CreateDataset",
        "DeleteDataset",
        "CreateDataset",
    ]


def test_dataset_update_to_another_type_gets_a_new_id(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    old = dataset_properties()
    create = requests.request("Create", resource_type=kind, properties=old)
    new = dataset_properties(DatasetType="test")
    update = requests.request(
        "Update", resource_type=kind, physical_id=create["PhysicalResourceId"], properties=new, old_properties=old
    )
    assert update["PhysicalResourceId"] == f"{PROJECT}/test"
    assert set(emulator.backend.inventory()[PROJECT]["datasets"]) == {"train", "test"}


def test_a_dataset_in_a_missing_project_fails_at_once(requests: Requests, emulator: Emulator) -> None:
    kind = consts.DATASET_RESOURCE_TYPE
    response = requests.request("Create", resource_type=kind, properties=dataset_properties())
    assert response["Status"] == "FAILED"
    assert "CreateDataset: ResourceNotFoundException" in response["Reason"]
    assert len(emulator.calls_of("CreateDataset")) == 1


def test_bad_dataset_properties_fail_before_any_call(requests: Requests, emulator: Emulator) -> None:
    kind = consts.DATASET_RESOURCE_TYPE
    response = requests.request("Create", resource_type=kind, properties=dataset_properties(DatasetType="valid"))
    assert response["Status"] == "FAILED"
    assert "DatasetType" in response["Reason"]
    assert emulator.calls == []


# -- logs -----------------------------------------------------------------------------------------


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
