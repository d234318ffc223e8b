"""End of support: Delete and Update while Lookout for Vision is gone, through botocore → HTTP → the emulator.

"Gone" is the emulator's ``service_gone`` fault: every call answered 403 AccessDeniedException with
the end-of-support message. An ordinary AccessDeniedException (a missing permission) is not
"gone", and neither is no connection (``drop_connection``): an outage is retried and fails as an
outage, it never orphans a resource.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts, errors
from lookoutvision_cdk_provider.errors import END_OF_SUPPORT_DATE
from lookoutvision_cdk_provider.timing import ServiceGoneTimings
from lookoutvision_cdk_provider.unavailable import RETAIN_ADVICE
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from lookoutvision_localcloud.lookoutvision.faults import END_OF_SUPPORT_MESSAGE
from tests.fixtures.provider import (
    PROJECT,
    Requests,
    dataset_properties,
    listed_versions,
    model_properties,
    project_with_dataset,
    trained_model,
)

ORPHAN = consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE
# An id CloudFormation makes up when it never got the Create's answer (a cancelled deploy).
MADE_UP_ID = "provider-tests-Model-1A2B3C4D5E6F"

GONE = ServiceGoneTimings()


def _go(emulator: Emulator, kind: str) -> None:
    emulator.faults.add(Fault(kind=kind))  # type: ignore[arg-type]  # every operation, until cleared


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- which errors mean "gone" ----------------------------------------------------------------------


def test_only_the_end_of_support_denial_is_gone() -> None:
    eos = errors.AccessDenied("DeleteModel", "AccessDeniedException", END_OF_SUPPORT_MESSAGE, status=403)
    policy = errors.AccessDenied(
        "DeleteModel",
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: lookoutvision:DeleteModel",
        status=403,
    )
    unreachable = errors.ServiceUnavailable("DescribeModel", "EndpointConnectionError", "Could not connect")
    assert errors.service_gone(eos) is eos
    assert errors.service_gone(policy) is None
    assert errors.service_gone(unreachable) is None
    # Wrapped as a deadline reached while retrying: the cause still counts.
    try:
        try:
            raise errors.OutOfTime(eos)
        except errors.OutOfTime as exc:
            raise errors.DeadlineExceeded("ServiceTimeout (60 s) reached while retrying") from exc
    except errors.DeadlineExceeded as deadline:
        assert errors.service_gone(deadline) is eos
    assert errors.service_gone(errors.Throttled("DescribeModel", "ThrottlingException", "slow down")) is None


# -- Delete of a model -----------------------------------------------------------------------------


def test_delete_fails_by_default_explaining_end_of_support_and_what_to_do(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    _go(emulator, "service_gone")

    response = requests.request("Delete", physical_id=arn)

    assert response["Status"] == "FAILED"
    reason = response["Reason"]
    assert reason.startswith("Delete Model: "), reason
    # The operation refused: the Delete's first call, the owner check.
    assert "no longer available" in reason and END_OF_SUPPORT_DATE in reason and "ListTagsForResource" in reason, reason
    # A stack whose deletion failed accepts only another deletion: that is the remedy, not a deployment.
    assert reason.endswith(RETAIN_ADVICE), reason
    assert "Delete the stack again" in reason and "--retain-resources" in reason, reason
    assert "orphan_when_service_unavailable" not in reason, reason
    assert response["PhysicalResourceId"] == arn
    emulator.faults.clear()
    assert emulator.backend.model_status(PROJECT, "1") == "TRAINED"


@pytest.mark.parametrize("opt_in", ["true", True])
def test_delete_with_the_opt_in_orphans_the_model_once_the_answer_has_lasted(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture, opt_in: Any
) -> None:
    caplog.set_level(logging.INFO)
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    _go(emulator, "service_gone")

    response = requests.request("Delete", physical_id=arn, properties=model_properties(**{ORPHAN: opt_in}))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == arn
    assert response["Data"][consts.ATTR_ORPHANED].startswith(f"ORPHANED {arn}")
    assert response["Reason"].startswith(f"ORPHANED {arn}")
    warnings = [w for w in _warnings(caplog) if "ORPHANED" in w]
    assert len(warnings) == 1 and arn in warnings[0] and END_OF_SUPPORT_DATE in warnings[0], warnings
    assert "no longer available" in warnings[0]
    # The answer was asked again and again over GONE.confirmation seconds before the model was left
    # (each time by the Delete's first call, the owner check).
    asked = emulator.calls_of("ListTagsForResource")
    assert len(asked) >= 1 + GONE.confirmation // GONE.recheck
    assert asked[-1].time - asked[0].time >= GONE.confirmation
    emulator.faults.clear()
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED", "an orphan is left exactly as it was"


def test_an_outage_never_orphans_even_with_the_opt_in(requests: Requests, emulator: Emulator) -> None:
    """No connection, timeouts and 5xx are ordinary failures: a short outage must not leave a billed model."""
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    _go(emulator, "drop_connection")

    # Retried until the deadline: a short ServiceTimeout keeps the test short.
    properties = model_properties(**{ORPHAN: "true"}, ServiceTimeout="240")
    response = requests.request("Delete", physical_id=arn, properties=properties)

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (240 s) reached" in response["Reason"], response["Reason"]
    assert "could not be reached" in response["Reason"], response["Reason"]
    assert "ORPHANED" not in response["Reason"] and consts.ATTR_ORPHANED not in response["Data"]
    emulator.faults.clear()
    assert emulator.backend.model_status(PROJECT, "1") == "HOSTED"


def test_a_missing_permission_still_fails_with_the_opt_in(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))

    response = requests.request("Delete", physical_id=arn, properties=model_properties(**{ORPHAN: "true"}))

    assert response["Status"] == "FAILED"
    reason = response["Reason"]
    assert "DeleteModel" in reason and "AccessDeniedException" in reason and "not authorized" in reason, reason
    assert "Grant the provider function's role" in reason, reason
    assert "no longer available" not in reason and "ORPHANED" not in caplog.text
    assert listed_versions(emulator) == ["1"]


def test_a_service_that_comes_back_is_deleted_normally_with_the_opt_in(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.faults.add(Fault(kind="drop_connection", count=3))  # within the bounded retries

    response = requests.request("Delete", physical_id=arn, properties=model_properties(**{ORPHAN: "true"}))

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert consts.ATTR_ORPHANED not in response["Data"]
    assert listed_versions(emulator) == []


def test_delete_of_a_cancelled_deploy_fails_by_default_and_orphans_with_the_opt_in(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    project_with_dataset(emulator)
    _go(emulator, "service_gone")

    failed = requests.request("Delete", physical_id=MADE_UP_ID)
    orphaned = requests.request("Delete", physical_id=MADE_UP_ID, properties=model_properties(**{ORPHAN: "true"}))

    assert failed["Status"] == "FAILED" and "ListModels" in failed["Reason"], failed["Reason"]
    assert "no longer available" in failed["Reason"], failed["Reason"]
    assert orphaned["Status"] == "SUCCESS", orphaned["Reason"]
    assert any(MADE_UP_ID in w and f"project {PROJECT}" in w for w in _warnings(caplog) if "ORPHANED" in w)


# -- Delete of a dataset ---------------------------------------------------------------------------


def test_dataset_delete_fails_by_default_and_orphans_with_the_opt_in(
    requests: Requests, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    project_with_dataset(emulator)
    dataset_id = f"{PROJECT}/train"
    _go(emulator, "service_gone")
    kind = consts.DATASET_RESOURCE_TYPE

    failed = requests.request(
        "Delete", resource_type=kind, logical_id="Train", physical_id=dataset_id, properties=dataset_properties()
    )
    orphaned = requests.request(
        "Delete",
        resource_type=kind,
        logical_id="Train",
        physical_id=dataset_id,
        properties=dataset_properties(**{ORPHAN: "true"}),
    )

    assert failed["Status"] == "FAILED"
    assert "DescribeDataset" in failed["Reason"] and "no longer available" in failed["Reason"], failed["Reason"]
    assert orphaned["Status"] == "SUCCESS", orphaned["Reason"]
    assert any(dataset_id in w for w in _warnings(caplog) if "ORPHANED" in w)
    emulator.faults.clear()
    assert emulator.backend.describe_dataset(PROJECT, "train")["DatasetDescription"]["Status"] == "CREATE_COMPLETE"


# -- Update: setting the opt-in once the service is gone ----------------------------------------------


def test_setting_the_opt_in_then_deleting_works_when_the_service_is_gone(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    _go(emulator, "service_gone")
    old = model_properties()
    new = model_properties(**{ORPHAN: "true"}, ServiceTimeout="600")

    update = requests.request("Update", physical_id=arn, properties=new, old_properties=old)
    delete = requests.request("Delete", physical_id=arn, properties=new)

    assert update["Status"] == "SUCCESS", update["Reason"]
    assert update["PhysicalResourceId"] == arn
    assert update["Data"][consts.ATTR_MODEL_ARN] == arn and update["Data"][consts.ATTR_MODEL_VERSION] == "1"
    assert delete["Status"] == "SUCCESS", delete["Reason"]
    looks = {"DescribeModel", "ListTagsForResource"}  # the Update's look, the Delete's owner check
    assert {c.operation for c in emulator.calls} <= looks, "nothing was changed or created"


def test_a_fleet_only_update_is_kept_when_the_service_is_gone(requests: Requests, emulator: Emulator) -> None:
    """A model added to or removed from the stack changes its siblings' Fleet: with the opt-in, no call is needed."""
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    _go(emulator, "service_gone")
    old = model_properties(**{ORPHAN: "true", consts.FLEET: {consts.FLEET_RANK: "0", consts.FLEET_SIZE: "2"}})
    new = model_properties(**{ORPHAN: "true", consts.FLEET: {consts.FLEET_RANK: "0", consts.FLEET_SIZE: "3"}})

    response = requests.request("Update", physical_id=arn, properties=new, old_properties=old)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == arn


@pytest.mark.parametrize(
    ("old_extra", "new_extra"),
    [
        ({}, {ORPHAN: "false"}),  # no opt-in on either side
        ({}, {ORPHAN: "true", "Description": "v2"}),  # a change that needs the service
    ],
)
def test_other_updates_fail_when_the_service_is_gone(
    requests: Requests, emulator: Emulator, old_extra: dict[str, Any], new_extra: dict[str, Any]
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    _go(emulator, "service_gone")

    response = requests.request(
        "Update",
        physical_id=arn,
        properties=model_properties(**new_extra),
        old_properties=model_properties(**old_extra),
    )

    assert response["Status"] == "FAILED"
    assert "no longer available" in response["Reason"] and "orphan_when_service_unavailable" in response["Reason"]
    assert response["PhysicalResourceId"] == arn


def test_a_flag_only_update_checks_the_model_while_the_service_answers(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    response = requests.request(
        "Update", physical_id=arn, properties=model_properties(**{ORPHAN: "true"}), old_properties=model_properties()
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"][consts.ATTR_STATUS] == "TRAINED"


def test_a_dataset_flag_only_update_is_kept_when_the_service_is_gone(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    _go(emulator, "service_gone")
    response = requests.request(
        "Update",
        resource_type=consts.DATASET_RESOURCE_TYPE,
        logical_id="Train",
        physical_id=f"{PROJECT}/train",
        properties=dataset_properties(**{ORPHAN: "true"}),
        old_properties=dataset_properties(),
    )
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"] == {consts.ATTR_PROJECT_NAME: PROJECT, consts.ATTR_DATASET_TYPE: "train"}


def test_an_invalid_opt_in_fails_the_create_with_no_call(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    response = requests.request("Create", properties=model_properties(**{ORPHAN: "yes"}))
    assert response["Status"] == "FAILED"
    assert ORPHAN in response["Reason"] and "boolean" in response["Reason"], response["Reason"]
    assert emulator.calls == []


def test_a_long_logical_id_keeps_the_advice_whole_without_the_subject(requests: Requests, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    _go(emulator, "service_gone")
    # A deep construct path's id (60 characters); from about 65 on, the advice's end is cut (the log has it).
    logical_id = "FactoryInspectionLineSurfaceDefectModelWithLongIdResource1A2"
    assert len(logical_id) == 60

    response = requests.request("Delete", physical_id=arn, logical_id=logical_id)

    assert response["Status"] == "FAILED"
    assert response["Reason"].endswith(RETAIN_ADVICE), response["Reason"]
    assert "no longer available" in response["Reason"] and len(response["Reason"]) <= 256
    assert "of project" not in response["Reason"], "the subject gives way to the advice"


def test_a_denied_list_models_in_the_owner_tag_search_is_reported_not_swallowed(
    requests: Requests, emulator: Emulator
) -> None:
    project_with_dataset(emulator)
    assert requests.request("Create")["Status"] == "SUCCESS"
    emulator.faults.add(Fault(kind="access_denied", operations={"ListModels"}))

    response = requests.request("Delete", physical_id=MADE_UP_ID, properties=model_properties(**{ORPHAN: "true"}))

    assert response["Status"] == "FAILED"
    assert "ListModels" in response["Reason"] and "AccessDeniedException" in response["Reason"], response["Reason"]
    emulator.faults.clear()
    assert listed_versions(emulator) == ["1"]
