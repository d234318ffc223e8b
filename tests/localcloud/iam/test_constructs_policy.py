"""The constructs' provider policy, as the example app synthesizes it, judged by the local cloud as AWS judges it.

The policy grants the dataset operations and ListModels on the project ARN; the service authorization
reference gives those actions no resource type, so IAM evaluates them against ``*`` and refuses them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.cloudformation.cloud import LocalCloud
from localcloud.cloudformation.intrinsics import Resolver
from tests.fixtures.assembly import Assembly

pytestmark = pytest.mark.synth

PROJECT = "cdk-example"


def provider_policy(assembly: Assembly, cloud: LocalCloud) -> str:
    """The example stack's AWS::IAM::Policy document, its references resolved as a deployment in ``cloud`` would."""
    [policy] = assembly.resources_of_type("AWS::IAM::Policy").values()
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
    return json.dumps(resolver.resolve(policy["Properties"]["PolicyDocument"]))


def test_the_constructs_policy_is_refused_the_actions_without_resource_type(
    example_assembly: Assembly, iam_cloud: LocalCloud, role_function: Any
) -> None:
    function = role_function(provider_policy(example_assembly, iam_cloud))
    principal = f"arn:aws:sts::123456789012:assumed-role/{function.role_name}/{function.name}"
    calls = {
        "ListModels": {"ProjectName": PROJECT},
        "CreateDataset": {"ProjectName": PROJECT, "DatasetType": "train"},
        "DescribeDataset": {"ProjectName": PROJECT, "DatasetType": "train"},
        "DeleteDataset": {"ProjectName": PROJECT, "DatasetType": "train"},
    }
    for operation, params in calls.items():
        answer = function.call("lookoutvision", operation, **params)
        assert answer["error"]["code"] == "AccessDeniedException", (operation, answer)
        assert answer["error"]["message"] == (
            f"User: {principal} is not authorized to perform: lookoutvision:{operation} on resource: * "
            f"because no identity-based policy allows the lookoutvision:{operation} action"
        )
    # The model operations name the version, which the policy's model/<project>/* covers: past IAM.
    described = function.call("lookoutvision", "DescribeModel", ProjectName=PROJECT, ModelVersion="1")
    assert described["error"]["code"] == "ResourceNotFoundException"
