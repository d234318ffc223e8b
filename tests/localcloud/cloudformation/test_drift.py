"""Drift detection through ``serve``'s CloudFormation API: what each resource type is checked for, and what the
stack, its resources and the detection describe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lookoutvision_localcloud.serve import LocalCloudServer
from tests.fixtures.local_cloud import local_client
from tests.fixtures.stack_api import TIME_SCALE, error_of, settled, stepper, upload_stepper


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudServer]:
    with LocalCloudServer(state_dir=tmp_path_factory.mktemp("serve"), port=0, time_scale=TIME_SCALE) as served:
        upload_stepper(served)
        yield served


def drifts(cfn: Any, stack: str, **filters: Any) -> dict[str, dict[str, Any]]:
    found = cfn.describe_stack_resource_drifts(StackName=stack, **filters)["StackResourceDrifts"]
    return {drift["LogicalResourceId"]: drift for drift in found}


def detected(cfn: Any, stack: str, **options: Any) -> dict[str, Any]:
    detection_id = cfn.detect_stack_drift(StackName=stack, **options)["StackDriftDetectionId"]
    status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
    assert status["DetectionStatus"] == "DETECTION_COMPLETE"
    return dict(status)


def test_drift_is_checked_as_each_type_allows_and_a_deleted_resource_drifts(server: LocalCloudServer) -> None:
    cfn = local_client(server.endpoint_url, "cloudformation")
    template = json.loads(stepper("1", "/Drifting/switch"))
    template["Resources"]["Project"] = {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "drift"}}
    template["Resources"]["CDKMetadata"] = {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}}
    spare = {"Name": "/Drifting/spare", "Type": "String", "Value": "spare"}
    template["Resources"]["Spare"] = {"Type": "AWS::SSM::Parameter", "Properties": spare}
    cfn.create_stack(StackName="Drifting", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    assert settled(cfn, "Drifting", timeout=120)["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.describe_stacks(StackName="Drifting")["Stacks"][0]["DriftInformation"] == {
        "StackDriftStatus": "NOT_CHECKED"
    }

    status = detected(cfn, "Drifting")

    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("UNKNOWN", 0)
    found = drifts(cfn, "Drifting")
    assert set(found) == {"Project", "Switch", "Spare", "Role", "Stepper"}  # no custom resource nor metadata
    assert found["Project"]["StackResourceDriftStatus"] == "IN_SYNC"
    assert json.loads(found["Project"]["ActualProperties"]) == {"ProjectName": "drift"}
    for logical_id in ("Switch", "Spare", "Role", "Stepper"):
        assert found[logical_id]["StackResourceDriftStatus"] == "UNKNOWN"
        assert (
            found[logical_id]["DriftStatusReason"]
            == "The local cloud checks that this resource exists, not its properties"
        )
    stack = cfn.describe_stacks(StackName="Drifting")["Stacks"][0]
    assert stack["DriftInformation"]["StackDriftStatus"] == "UNKNOWN"
    assert "LastCheckTimestamp" in stack["DriftInformation"]
    resources = {
        r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="Drifting")["StackResources"]
    }
    assert resources["Step"]["DriftInformation"] == {"StackResourceDriftStatus": "NOT_CHECKED"}
    assert resources["Project"]["DriftInformation"]["StackResourceDriftStatus"] == "IN_SYNC"

    local_client(server.endpoint_url, "lookoutvision").delete_project(ProjectName="drift")
    local_client(server.endpoint_url, "ssm").delete_parameter(Name="/Drifting/spare")
    status = detected(cfn, "Drifting")

    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 2)
    assert set(drifts(cfn, "Drifting", StackResourceDriftStatusFilters=["DELETED"])) == {"Project", "Spare"}
    assert "ActualProperties" not in drifts(cfn, "Drifting")["Project"]
    only = detected(cfn, "Drifting", LogicalResourceIds=["Stepper"])
    assert only["StackDriftStatus"] == "UNKNOWN" and set(drifts(cfn, "Drifting")) == {"Stepper"}

    cfn.delete_stack(StackName="Drifting")  # what is gone counts as deleted
    assert settled(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


def test_drift_detection_errors_name_what_is_wrong(server: LocalCloudServer) -> None:
    cfn = local_client(server.endpoint_url, "cloudformation")
    with pytest.raises(ClientError) as caught:
        cfn.detect_stack_drift(StackName="NoSuchStack")
    assert error_of(caught) == ("ValidationError", 400, "Stack with id NoSuchStack does not exist")
    with pytest.raises(ClientError) as caught:
        cfn.describe_stack_drift_detection_status(StackDriftDetectionId="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert "No drift detection 0f8fad5b-d9cb-469f-a165-70867728950e was found" in error_of(caught)[2]
    cfn.create_stack(
        StackName="Plain", TemplateBody=json.dumps({"Resources": {"Meta": {"Type": "AWS::CDK::Metadata"}}})
    )
    assert settled(cfn, "Plain")["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        cfn.detect_stack_drift(StackName="Plain", LogicalResourceIds=["Missing"])
    assert error_of(caught)[2] == "LogicalResourceIds [Missing]: no such resource in stack Plain"
    status = detected(cfn, "Plain")  # nothing checked: nothing drifted
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    assert drifts(cfn, "Plain") == {}
