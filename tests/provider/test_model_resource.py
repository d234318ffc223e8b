"""Custom::LookoutVisionModel's requests and guarantees, through the handler, botocore, HTTP and the emulator.

Gone means gone: a Delete answers SUCCESS only once DescribeModel no longer finds the version and
ListModels no longer lists it, however ListModels lags. Transient failures (5xx, lost answers)
never end a request before its deadline. A resource acts only on the versions it created: never on
one kept by RETAIN from an earlier life of the same logical id.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.continuation import request_signed_at
from lookoutvision_cdk_provider.handler import make_handler
from lookoutvision_cdk_provider.identifiers import OWNER_TAG_KEY, UnconfirmedModelCreate, owner_tag_value
from lookoutvision_cdk_provider.lifecycle import ModelStatus
from lookoutvision_cdk_provider.timing import UnansweredCreateTimings
from lookoutvision_localcloud.awslambda import LambdaContext
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.awslambda import local_function
from tests.fixtures.clock import session_clock
from tests.fixtures.emulator import requests_of
from tests.fixtures.provider import (
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


def _version(arn: str) -> str:
    return arn.rsplit("/", 1)[1]


def _tokens(emulator: Emulator, operation: str) -> set[str | None]:
    return {call.client_token for call in emulator.calls_of(operation)}


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
    emulator.configure(list_models_lag_after_create=SLOW_LISTING, training=6000.0)
    emulator.faults.add(Fault(kind="internal_error", operations={"CreateModel"}, after_action=True))
    event = requests.event("Create", properties=model_properties(ServiceTimeout="240"))  # retried until then

    create = requests.send(event)
    emulator.faults.clear()

    assert create["Status"] == "FAILED"
    assert "ServiceTimeout (240 s) reached" in create["Reason"], create["Reason"]
    assert "CreateModel answered InternalServerException" in create["Reason"], create["Reason"]
    assert create["PhysicalResourceId"] == UnconfirmedModelCreate(PROJECT, event["RequestId"]).physical_id
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
    emulator.clock.advance(timeout + UnansweredCreateTimings().margin + 600.0)  # created before the new Create began
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

    response = requests.request("Delete", physical_id=UnconfirmedModelCreate(PROJECT, "the-create").physical_id)

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


def test_a_continuation_that_starts_past_the_deadline_names_what_the_invocation_before_saw(
    requests: Requests, emulator: Emulator
) -> None:
    """The hand-over took so long that the next invocation meets the deadline before it looks: its reason still
    says the model is TRAINING and why it could not be seen since, from the record the hand-over wrote."""
    requests.use_clock(session_clock(0.1))  # the 30 s between the deadline and CloudFormation's: 3 real seconds
    project_with_dataset(emulator)
    arn = _training_model(emulator)
    event = requests.event("Delete", physical_id=arn)
    started = requests.clock.now() - 3585  # the deadline (ServiceTimeout less 30 s) passed 15 s ago
    event["ResponseURL"] = requests.endpoint.response_url(event["RequestId"], signed_at=started)
    wait = {"Subject": "model 1 of project proj", "Status": "TRAINING", "Failing": "DescribeModel got no answer"}
    event[consts.CONTINUATION] = {
        "Started": request_signed_at(event["ResponseURL"]),
        "Invocation": 2,
        "Progress": {"FleetFirstCallAnswered": True},
        "Wait": wait,
    }

    response = requests.send(event)

    reason: Any = response["Reason"]
    assert response["Status"] == "FAILED"
    expected = "Delete Model: model 1 of project proj is still TRAINING: ServiceTimeout (3600 s) reached; DescribeModel"
    assert reason.startswith(expected), reason
    assert "cannot be deleted while it trains: delete again once training has ended" in reason, reason
    assert not emulator.calls, "nothing is called past the deadline"


# -- Delete (through the handler) ---------------------------------------------------------------


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

    response = requests.request(
        "Delete", physical_id=arn, properties=model_properties(Hosting={"MinInferenceUnits": "1"})
    )

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
    response = requests.request("Delete", physical_id=arn, properties=model_properties(ServiceTimeout="240"))

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (240 s) reached" in response["Reason"]
    assert "ListTagsForResource" in response["Reason"]  # the Delete's first call, the owner check
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
    assert [c.params["ModelVersion"] for c in requests_of(emulator, "DeleteModel")] == ["1"]


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
    [create] = requests_of(emulator, "CreateModel")
    assert create.client_token and create.client_token.startswith("create-")
    assert emulator.calls_of("StartModel") == []


def test_create_with_hosting_starts_the_model(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    hosting = {"MinInferenceUnits": "2", "MaxInferenceUnits": "3"}
    response = requests.request("Create", properties=model_properties(Hosting=hosting))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"][consts.ATTR_STATUS] == "HOSTED"
    [start] = requests_of(emulator, "StartModel")
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
    assert len(requests_of(emulator, "CreateModel")) == 1


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
    assert len(requests_of(emulator, "DeleteModel")) == 1


def test_the_rollback_of_a_failed_replacement_keeps_the_old_version(requests: Requests, emulator: Emulator) -> None:
    """CloudFormation rolls back with an Update to the old ARN, the old properties, the failed ones as old."""
    project_with_dataset(emulator)
    hosting = {"MinInferenceUnits": "1"}
    arn, first = _created(requests, Description="first", Hosting=hosting)
    emulator.configure(training_outcome="TRAINING_FAILED")
    second = model_properties(Description="second", Hosting=hosting)
    failed = requests.request("Update", physical_id=arn, properties=second, old_properties=first)
    emulator.configure(training_outcome="TRAINED")
    creates = len(requests_of(emulator, "CreateModel"))

    rollback = requests.request(
        "Update", physical_id=failed["PhysicalResourceId"], properties=first, old_properties=second
    )

    assert failed["Status"] == "FAILED" and failed["PhysicalResourceId"] == arn
    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == arn
    assert rollback["Data"][consts.ATTR_STATUS] == "HOSTED"
    assert len(requests_of(emulator, "CreateModel")) == creates, "the rollback trains nothing"
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
    assert len(requests_of(emulator, "CreateModel")) == 1


def test_a_rollback_update_deletes_the_version_a_replacing_update_that_never_answered_made(
    requests: Requests, emulator: Emulator
) -> None:
    """CloudFormation stopped waiting for a replacing Update (or never got its answer) and rolls back with an Update
    in place to the version it knows: the newer version carrying this resource's owner tag goes, still training
    when the rollback begins; an earlier life's version (RETAIN) and another resource's newer one stay."""
    project_with_dataset(emulator)
    retained = trained_model(emulator)  # version 1: an earlier life of the logical id, kept by RETAIN
    arn, first = _created(requests, Description="first")  # version 2: the version CloudFormation knows
    second = model_properties(Description="second")
    lost = _training_model(emulator, request_id="the-unanswered-update")  # version 3
    other = trained_model(emulator, logical_id="Another")  # version 4

    rollback = requests.request("Update", physical_id=arn, properties=first, old_properties=second)

    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert rollback["PhysicalResourceId"] == arn
    assert emulator.backend.model_status(PROJECT, _version(lost)) is None
    assert listed_versions(emulator) == [_version(retained), _version(arn), _version(other)]
    assert [c.params["ModelVersion"] for c in requests_of(emulator, "DeleteModel")] == [_version(lost)]
    assert len(requests_of(emulator, "CreateModel")) == 1  # the rollback trains nothing


def test_a_rollback_from_a_move_deletes_the_newer_version_in_the_project_the_update_moved_to(
    requests: Requests, emulator: Emulator
) -> None:
    """OldResourceProperties name the project the failed update moved the model to: there, the versions of this
    resource created after the one kept go; an older one (an earlier life's, kept by RETAIN) stays."""
    project_with_dataset(emulator)
    project_with_dataset(emulator, "moved-to")
    retained = trained_model(emulator, project="moved-to")
    arn, first = _created(requests)
    moved = model_properties(ProjectName="moved-to")
    owner = [{"Key": OWNER_TAG_KEY, "Value": owner_tag_value(STACK_ID, "Model", "the-unanswered-move")}]
    lost = emulator.backend.create_model("moved-to", output_config=OUTPUT, tags=owner)["ModelMetadata"]["ModelArn"]

    rollback = requests.request("Update", physical_id=arn, properties=first, old_properties=moved)

    assert rollback["Status"] == "SUCCESS", rollback["Reason"]
    assert listed_versions(emulator, "moved-to") == [_version(retained)]
    assert emulator.backend.model_status("moved-to", _version(lost)) is None
    assert listed_versions(emulator) == [_version(arn)]


def test_a_newer_version_still_training_at_the_deadline_fails_the_update_naming_it(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn, first = _created(requests)
    lost = _training_model(emulator, request_id="the-unanswered-update")
    emulator.backend.hold_status(PROJECT, _version(lost), "TRAINING")

    rollback = requests.request(
        "Update",
        physical_id=arn,
        properties={**first, "ServiceTimeout": "60"},
        old_properties=model_properties(Description="second"),
    )

    assert rollback["Status"] == "FAILED"
    assert rollback["PhysicalResourceId"] == arn
    reason = rollback["Reason"]
    assert f"model {_version(lost)} of project {PROJECT} is still TRAINING" in reason, reason
    assert "newer than version 1, the one kept" in reason, reason
    assert "retry once training has ended" in reason, reason
    emulator.backend.release_status(PROJECT, _version(lost))
    emulator.clock.advance(emulator.settings.durations.training + 1)
    again = requests.request("Update", physical_id=arn, properties=first, old_properties=first)
    assert again["Status"] == "SUCCESS", again["Reason"]
    assert listed_versions(emulator) == [_version(arn)]


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
    assert len(requests_of(emulator, "CreateModel")) == 1


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
        (
            {"CreateModelAnswered": "arn:aws:lookoutvision:us-east-1:123456789012:model/other-project/1"},
            "not a model version",
        ),
        ({"CreateModelUnanswered": True, "CreateModelAnswered": "not-an-arn"}, "not a model version"),
        (
            {"UnansweredCreateVersionsFound": ["arn:aws:lookoutvision:us-east-1:123456789012:model/other-project/1"]},
            "outside",
        ),
        ({"UnansweredCreateVersionsFound": "all of them"}, "not a list"),
        ({"CreateModelAnswered": None, "StartModelSent": True}, "unknown keys"),
    ],
)
def test_a_record_naming_versions_outside_the_project_is_rejected(
    requests: Requests, emulator: Emulator, progress: dict[str, Any], named: str
) -> None:
    project_with_dataset(emulator)
    emulator.backend.create_project("other-project")
    request_type = "Delete" if "UnansweredCreateVersionsFound" in progress else "Create"
    physical_id = None if request_type == "Create" else "provider-tests-Model-1A2B3C4D"
    event = requests.event(request_type, physical_id=physical_id)
    started = request_signed_at(event["ResponseURL"])  # as the first invocation recorded it
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


def test_a_create_whose_continuation_is_rejected_answers_its_request_so_that_the_delete_removes_its_version(
    requests: Requests, emulator: Emulator
) -> None:
    """A later invocation cannot trust the record: FAILED names the request, whose Delete finds what it made."""
    project_with_dataset(emulator)
    event = requests.event("Create")
    assert requests.send(event)["Status"] == "SUCCESS"  # the request's first invocation made version 1
    later = {**event, consts.CONTINUATION: {"Started": "not a time", "Invocation": 2, "Progress": {}}}

    requests.invoke(later)

    [_, rejected] = requests.endpoint.responses(event["RequestId"])
    assert rejected["Status"] == "FAILED"
    assert "continuation record's Started is not a time" in rejected["Reason"], rejected["Reason"]
    assert rejected["PhysicalResourceId"] == UnconfirmedModelCreate(PROJECT, event["RequestId"]).physical_id
    delete = requests.request("Delete", physical_id=rejected["PhysicalResourceId"])
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    assert listed_versions(emulator) == []
    assert emulator.backend.model_status(PROJECT, "1") is None


def test_an_update_of_the_fleet_alone_is_done_in_place_with_seven_looks(requests: Requests, emulator: Emulator) -> None:
    """What adding a model to the stack costs each model already in it: an in-place Update, no new version."""
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    hosting = {consts.HOSTING: {consts.MIN_INFERENCE_UNITS: "1"}}
    old = model_properties(**hosting, **{consts.FLEET: {consts.FLEET_RANK: "0", consts.FLEET_SIZE: "1"}})
    new = model_properties(**hosting, **{consts.FLEET: {consts.FLEET_RANK: "0", consts.FLEET_SIZE: "2"}})

    response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == arn
    assert response["Data"][consts.ATTR_STATUS] == "HOSTED"
    operations = sorted(c.operation for c in emulator.calls)
    # The version converged (DescribeModel and its owner tag, twice), then the project looked at for a newer version
    # this resource made (ListModels, DescribeModel of "latest" and of the version after the highest listed).
    assert operations == [
        *["DescribeModel"] * 4,
        "ListModels",
        "ListTagsForResource",
        "ListTagsForResource",
    ]
