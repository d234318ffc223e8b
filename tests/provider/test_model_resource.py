"""The model resource's guarantees, through the handler, botocore, HTTP and the emulator.

Gone means gone: a Delete answers SUCCESS only once DescribeModel no longer finds the version and
ListModels no longer lists it, however ListModels lags. Transient failures (5xx, lost answers)
never end a request before its deadline. A resource acts only on the versions it created: never on
one kept by RETAIN from an earlier life of the same logical id.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.lookoutvision import Emulator, Fault
from provider import consts
from provider.identifiers import OWNER_TAG_KEY, owner_tag_value, unconfirmed_model_id
from provider.lifecycle import UNANSWERED_CREATE_MARGIN
from tests.provider.conftest import (
    OUTPUT,
    PROJECT,
    STACK_ID,
    Requests,
    dataset_properties,
    listed_versions,
    model_properties,
    project_with_dataset,
    trained_model,
)

MUTATING = {"CreateModel", "StartModel", "StopModel", "DeleteModel", "TagResource", "UntagResource"}
# A ListModels that lists a new version only long after CreateModel: longer than any Delete here polls.
SLOW_LISTING = 100_000.0


def _training_model(emulator: Emulator, request_id: str = "a-create-of-model") -> str:
    """A version of the resource ``Model`` still TRAINING, made by the Create ``request_id``; its ARN."""
    owner = [{"Key": OWNER_TAG_KEY, "Value": owner_tag_value(STACK_ID, "Model", request_id)}]
    return str(emulator.backend.create_model(PROJECT, output_config=OUTPUT, tags=owner)["ModelMetadata"]["ModelArn"])


def _mutations(emulator: Emulator, version: str) -> list[str]:
    return [c.operation for c in emulator.calls if c.operation in MUTATING and c.params.get("ModelVersion") == version]


# -- gone means gone -------------------------------------------------------------------------------


def test_a_delete_soon_after_create_waits_while_describe_model_finds_the_version(
    requests: Requests, emulator: Emulator
) -> None:
    """ListModels does not list the new version yet: that is no proof it is gone. Training ends, then it is deleted."""
    project_with_dataset(emulator)
    emulator.configure(list_models_lag_after_create=SLOW_LISTING)
    arn = _training_model(emulator)

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") is None, "deleted, not left training"
    assert [c.ok for c in emulator.calls_of("DeleteModel")][-1]
    assert listed_versions(emulator) == []


def test_the_delete_of_an_unanswered_create_finds_a_version_not_listed_yet(
    requests: Requests, emulator: Emulator
) -> None:
    """Every CreateModel acted, every answer was a 5xx: the Create answers an id naming its request, and its
    Delete finds the version by DescribeModel although ListModels does not list it yet."""
    project_with_dataset(emulator)
    emulator.configure(list_models_lag_after_create=SLOW_LISTING, training=600.0)
    emulator.faults.add(Fault(kind="internal_error", operations={"CreateModel"}, after_action=True))
    event = requests.event("Create", properties=model_properties(ServiceTimeout="60"))  # retried until then

    create = requests.send(event)
    emulator.faults.clear()

    assert create["Status"] == "FAILED"
    assert "ServiceTimeout (60 s) reached" in create["Reason"], create["Reason"]
    assert "CreateModel answered InternalServerException" in create["Reason"], create["Reason"]
    assert create["PhysicalResourceId"] == unconfirmed_model_id(PROJECT, event["RequestId"])
    assert emulator.backend.model_status(PROJECT, "1") == "TRAINING"
    assert listed_versions(emulator) == []

    delete = requests.request("Delete", physical_id=create["PhysicalResourceId"])

    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") is None
    assert len({c.client_token for c in emulator.calls_of("CreateModel")}) == 1, "one token: one version"


# -- transient failures ----------------------------------------------------------------------------


def test_a_5xx_outage_longer_than_a_few_polls_does_not_fail_a_delete(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    for operation in ("DescribeModel", "ListModels"):
        emulator.faults.add(Fault(kind="internal_error", operations={operation}, count=12))
    emulator.faults.add(Fault(kind="internal_error", operations={"StopModel"}, count=14))  # two calls' retries

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") is None
    assert len([c for c in emulator.calls if c.status == 500]) == 12 + 12 + 14
    assert len({c.client_token for c in emulator.calls_of("StopModel")}) == 1


def test_a_5xx_outage_during_training_does_not_fail_a_create(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="internal_error", operations={"CreateModel"}, count=8))
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeModel"}, count=40))

    response = requests.request("Create")

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"][consts.ATTR_STATUS] == "TRAINED"
    assert len(emulator.calls_of("DescribeModel")) > 40
    assert emulator.backend.inventory()[PROJECT]["models"] == {"1": "TRAINED"}, "one version for all the retries"


def test_a_5xx_outage_does_not_fail_a_dataset_create(requests: Requests, emulator: Emulator) -> None:
    emulator.backend.create_project(PROJECT)
    emulator.faults.add(Fault(kind="internal_error", operations={"CreateDataset"}, count=8, after_action=True))
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeDataset"}, count=40))
    kind = consts.DATASET_RESOURCE_TYPE

    response = requests.request("Create", resource_type=kind, logical_id="Train", properties=dataset_properties())

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert emulator.backend.inventory()[PROJECT]["datasets"] == {"train": "CREATE_COMPLETE"}


def test_a_refusal_still_ends_the_request_at_once(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeModel"}, count=3))
    emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "FAILED"
    assert "DeleteModel: AccessDeniedException" in response["Reason"], response["Reason"]
    assert len(emulator.calls_of("DeleteModel")) == 1


# -- only its own versions -------------------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["AccessDeniedException", "ServiceQuotaExceededException"])
def test_a_refused_create_model_leaves_a_retained_version_of_the_same_logical_id_untouched(
    requests: Requests, emulator: Emulator, refusal: str
) -> None:
    """A model kept by RETAIN; a later resource of the same logical id, whose CreateModel is refused, rolls back."""
    project_with_dataset(emulator)
    retained = requests.request("Create")
    assert retained["Status"] == "SUCCESS", retained["Reason"]
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    if refusal == "AccessDeniedException":
        emulator.faults.add(Fault(kind="access_denied", operations={"CreateModel"}))
    else:
        emulator.configure(max_models_per_project=1)

    create = requests.request("Create")
    emulator.faults.clear()
    delete = requests.request("Delete", physical_id=create["PhysicalResourceId"])

    assert create["Status"] == "FAILED"
    assert refusal in create["Reason"], create["Reason"]
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"
    assert _mutations(emulator, "1") == []


def test_the_delete_of_a_made_up_id_spares_a_retained_version_and_deletes_the_new_one(
    requests: Requests, emulator: Emulator
) -> None:
    """CloudFormation never got the new Create's answer: its Delete deletes what that Create can have made (created
    since it began), not the version an earlier life of the same logical id left with RETAIN."""
    project_with_dataset(emulator)
    trained_model(emulator)  # the earlier life's, version 1
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    timeout = 600.0
    emulator.clock.advance(timeout + UNANSWERED_CREATE_MARGIN + 600.0)  # created before the new Create began
    _training_model(emulator, request_id="the-new-create")  # version 2

    response = requests.request(
        "Delete",
        physical_id="provider-tests-Model-1A2B3C4D5E6F",
        properties=model_properties(ServiceTimeout=str(int(timeout))),
    )

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"
    assert _mutations(emulator, "1") == []
    assert emulator.backend.model_status(PROJECT, "2") is None


def test_the_delete_of_an_unconfirmed_id_deletes_only_that_requests_versions(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    _training_model(emulator, request_id="an-earlier-create")  # kept by RETAIN, however recent
    _training_model(emulator, request_id="the-create")

    response = requests.request("Delete", physical_id=unconfirmed_model_id(PROJECT, "the-create"))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert emulator.backend.model_status(PROJECT, "1") is not None
    assert _mutations(emulator, "1") == []
    assert emulator.backend.model_status(PROJECT, "2") is None


def test_a_replacing_update_tags_its_version_with_its_own_request(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    created = requests.request("Create")
    update = requests.event(
        "Update",
        physical_id=created["PhysicalResourceId"],
        properties=model_properties(Description="second"),
        old_properties=model_properties(),
    )

    response = requests.send(update)

    assert response["Status"] == "SUCCESS", response["Reason"]
    tags = {
        t["Key"]: t["Value"] for t in emulator.backend.list_tags_for_resource(response["PhysicalResourceId"])["Tags"]
    }
    assert tags[OWNER_TAG_KEY] == owner_tag_value(STACK_ID, "Model", update["RequestId"])
    delete_old = requests.request("Delete", physical_id=created["PhysicalResourceId"])
    assert delete_old["Status"] == "SUCCESS", delete_old["Reason"]


# -- reasons ---------------------------------------------------------------------------------------


def test_a_model_still_training_at_the_deadline_says_to_delete_again_after_training(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = _training_model(emulator)
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")

    response = requests.request("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="120"))

    reason: Any = response["Reason"]
    assert response["Status"] == "FAILED"
    assert reason.startswith("Delete Model: model 1 of project proj is still TRAINING"), reason
    assert "cannot be deleted while it trains: delete again once training has ended" in reason, reason
    assert len(reason) <= 256
