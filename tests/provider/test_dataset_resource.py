"""Custom::LookoutVisionDataset's requests, through the handler, botocore, HTTP and the emulator."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.emulator import requests_of
from tests.fixtures.provider import PROJECT, Requests, dataset_properties, project_with_dataset

MUTATING = {"CreateModel", "StartModel", "StopModel", "DeleteModel", "CreateDataset", "DeleteDataset"}


def test_dataset_create_and_delete(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    create = requests.request("Create", resource_type=kind, logical_id="Train", properties=dataset_properties())

    assert create["Status"] == "SUCCESS", create["Reason"]
    assert create["PhysicalResourceId"] == f"{PROJECT}/train"
    assert create["Data"] == {"ProjectName": PROJECT, "DatasetType": "train", "Status": "CREATE_COMPLETE"}
    [call] = requests_of(emulator, "CreateDataset")
    assert call.client_token and call.client_token.startswith("create-dataset-")

    delete = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}
    again = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])
    assert again["Status"] == "SUCCESS"
    assert len(requests_of(emulator, "DeleteDataset")) == 1


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
    create = requests.request("Create", resource_type=kind, properties=dataset_properties(ServiceTimeout="240"))
    emulator.faults.clear()
    assert create["Status"] == "FAILED"
    assert "CreateDataset" in create["Reason"], create["Reason"]
    assert "ServiceTimeout (240 s) reached" in create["Reason"], create["Reason"]
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
        properties=dataset_properties(ProjectName="other-project", ServiceTimeout="240"),
        old_properties=dataset_properties(),
    )

    assert update["Status"] == "FAILED"
    assert update["PhysicalResourceId"] == create["PhysicalResourceId"]
    reason = update["Reason"]
    assert reason.startswith("Update Model: the new train dataset of project other-project may have been created"), (
        reason
    )
    assert "(delete it if so); ServiceTimeout (240 s) reached; CreateDataset got no answer" in reason, reason
    assert "could not be reached" in reason, reason


def test_dataset_create_adopts_no_existing_dataset(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)  # a train dataset made outside the stack
    kind = consts.DATASET_RESOURCE_TYPE

    create = requests.request("Create", resource_type=kind, properties=dataset_properties())
    delete = requests.request("Delete", resource_type=kind, physical_id=create["PhysicalResourceId"])

    assert create["Status"] == "FAILED"
    assert "already has a train dataset that this stack did not create" in create["Reason"], create["Reason"]
    assert (
        "delete it, or reference it (LookoutVisionDataset.from_dataset_attributes) instead of declaring it, "
        "then deploy again" in create["Reason"]
    ), create["Reason"]
    assert create["PhysicalResourceId"] != f"{PROJECT}/train"  # a failed Create's id: the Delete makes no call
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
    assert len(requests_of(emulator, "CreateDataset")) == 1


def test_bad_dataset_properties_fail_before_any_call(requests: Requests, emulator: Emulator) -> None:
    kind = consts.DATASET_RESOURCE_TYPE
    response = requests.request("Create", resource_type=kind, properties=dataset_properties(DatasetType="valid"))
    assert response["Status"] == "FAILED"
    assert "DatasetType" in response["Reason"]
    assert emulator.calls == []


def test_a_dataset_create_whose_continuation_is_rejected_answers_its_request_so_that_the_delete_removes_it(
    requests: Requests, emulator: Emulator
) -> None:
    """A later invocation cannot trust the record: FAILED names the request, whose Delete removes what it made."""
    emulator.backend.create_project(PROJECT)
    kind = consts.DATASET_RESOURCE_TYPE
    event = requests.event("Create", resource_type=kind, properties=dataset_properties())
    assert requests.send(event)["Status"] == "SUCCESS"  # the request's first invocation made the dataset
    later = {**event, consts.CONTINUATION: {"Started": "not a time", "Invocation": 2, "Progress": {}}}

    requests.invoke(later)

    [_, rejected] = requests.endpoint.responses(event["RequestId"])
    assert rejected["Status"] == "FAILED"
    assert rejected["PhysicalResourceId"] == f"{PROJECT}/train/CreateDataset-unconfirmed-{event['RequestId']}"
    delete = requests.request(
        "Delete", resource_type=kind, physical_id=rejected["PhysicalResourceId"], properties=dataset_properties()
    )
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {}
