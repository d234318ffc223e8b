"""The constructs' provider policies, as the example app synthesizes them, judged by the local cloud as AWS judges them.

CreateDataset, DescribeDataset, DeleteDataset and ListModels have no resource type in the service
authorization reference: IAM evaluates them against ``*``, so the policies grant them on ``*``
(granted on the project ARN, IAM would refuse them all). The model operations are granted on the
project's ``model/<project>/*`` only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.cloudformation.intrinsics import Resolver
from tests.fixtures.assembly import Assembly

pytestmark = pytest.mark.synth

PROJECT = "cdk-example"


def provider_policies(assembly: Assembly, cloud: LocalCloud) -> list[str]:
    """The example stack's AWS::IAM::Policy documents, their references resolved as a deployment in ``cloud`` would."""
    resources = assembly.template["Resources"]

    def ref(logical_id: str) -> Any:
        if resources[logical_id]["Type"] == "AWS::LookoutVision::Project":
            return PROJECT
        return logical_id.lower()

    def get_att(logical_id: str, attribute: str) -> Any:
        service = resources[logical_id]["Type"].split("::")[1].lower()
        if service == "s3":
            return f"arn:aws:s3:::{ref(logical_id)}"
        return f"arn:aws:{service}:us-east-1:123456789012:{ref(logical_id)}"

    resolver = Resolver(
        cloud.stack_context(assembly.stack_name), parameters={}, conditions={}, mappings={}, ref=ref, get_att=get_att
    )
    policies = assembly.resources_of_type("AWS::IAM::Policy").values()
    return [json.dumps(resolver.resolve(policy["Properties"]["PolicyDocument"])) for policy in policies]


def test_the_constructs_policies_allow_the_provider_its_calls_and_nothing_beyond(
    example_assembly: Assembly, iam_cloud: LocalCloud, role_function: Any
) -> None:
    first, *others = provider_policies(example_assembly, iam_cloud)
    function = role_function(first)
    for index, document in enumerate(others):
        function.put_policy(document, f"policy{index}")
    dataset = {"ProjectName": PROJECT, "DatasetType": "train"}
    calls: dict[str, dict[str, Any]] = {
        "ListModels": {"ProjectName": PROJECT},
        "CreateDataset": dataset,
        "DescribeDataset": dataset,
        "DeleteDataset": dataset,
        "DescribeModel": {"ProjectName": PROJECT, "ModelVersion": "1"},
        "StopModel": {"ProjectName": PROJECT, "ModelVersion": "1"},
    }
    for operation, params in calls.items():
        answer = function.call("lookoutvision", operation, **params)
        assert answer["error"]["code"] == "ResourceNotFoundException", (operation, answer)  # past IAM
    principal = f"arn:aws:sts::123456789012:assumed-role/{function.role_name}/{function.name}"
    other = function.call("lookoutvision", "DescribeModel", ProjectName="other", ModelVersion="1")
    resource = "arn:aws:lookoutvision:us-east-1:123456789012:model/other/1"
    assert other["error"] == {
        "code": "AccessDeniedException",
        "status": 403,
        "message": f"User: {principal} is not authorized to perform: lookoutvision:DescribeModel on resource: "
        f"{resource} because no identity-based policy allows the lookoutvision:DescribeModel action",
    }
    deleted = function.call("lookoutvision", "DeleteProject", ProjectName=PROJECT)
    assert deleted["error"]["code"] == "AccessDeniedException"  # CloudFormation's own handler deletes the project
