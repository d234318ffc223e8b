"""Lookout for Vision judges a local function's calls by its role: the permissions each call needs, and the wire."""

from __future__ import annotations

from typing import Any

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.iam import lookoutvision
from tests.fixtures.role_function import policy

ACCOUNT = "123456789012"
PROJECT = "boards"
PROJECT_ARN = f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:project/{PROJECT}"
MODELS = f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:model/{PROJECT}/*"


def needed(operation: str, **params: Any) -> list[tuple[str, str]]:
    permissions = lookoutvision.permissions(
        operation, params, region="us-east-1", account_id=ACCOUNT, next_model_version=lambda project: "4"
    )
    return [(permission.action, permission.resource) for permission in permissions]


def denied(principal: str, action: str, resource: str) -> str:
    return (
        f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )


def test_each_call_needs_its_action_on_the_resource_the_reference_gives_it() -> None:
    assert needed("ListModels", ProjectName=PROJECT) == [("lookoutvision:ListModels", "*")]
    assert needed("CreateDataset", ProjectName=PROJECT, DatasetType="train") == [("lookoutvision:CreateDataset", "*")]
    assert needed("DeleteProject", ProjectName=PROJECT) == [("lookoutvision:DeleteProject", PROJECT_ARN)]
    assert needed("StopModel", ProjectName=PROJECT, ModelVersion="2") == [
        ("lookoutvision:StopModel", MODELS.replace("*", "2"))
    ]
    arn = MODELS.replace("*", "9")
    assert needed("UntagResource", ResourceArn=arn, TagKeys=["a"]) == [("lookoutvision:UntagResource", arn)]


def test_detect_anomalies_is_a_model_action() -> None:
    params = {"ProjectName": PROJECT, "ModelVersion": "3", "ContentType": "image/png", "Body": b"\x89PNG"}
    assert needed("DetectAnomalies", **params) == [("lookoutvision:DetectAnomalies", MODELS.replace("*", "3"))]


def test_a_functions_detect_anomalies_is_judged_by_its_role_before_the_image(
    iam_cloud: LocalCloud, role_function: Any
) -> None:
    other = "arn:aws:lookoutvision:us-east-1:123456789012:model/other/*"
    function = role_function(policy({"Effect": "Allow", "Action": "lookoutvision:DetectAnomalies", "Resource": other}))
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{function.role_name}/{function.name}"
    call = {"ProjectName": PROJECT, "ModelVersion": "1", "ContentType": "image/png", "Body": "not an image"}
    refused = function.call("lookoutvision", "detect_anomalies", **call)
    assert refused["error"]["message"] == denied(principal, "lookoutvision:DetectAnomalies", MODELS.replace("*", "1"))
    function.put_policy(policy({"Effect": "Allow", "Action": "lookoutvision:DetectAnomalies", "Resource": MODELS}))
    allowed = function.call("lookoutvision", "detect_anomalies", **call)
    assert allowed["error"]["code"] == "ValidationException"  # past IAM: the service looks at the image


def test_create_model_with_tags_also_needs_tag_resource_on_the_new_version() -> None:
    new_version = MODELS.replace("*", "4")
    assert needed("CreateModel", ProjectName=PROJECT) == [("lookoutvision:CreateModel", new_version)]
    tagged = needed("CreateModel", ProjectName=PROJECT, Tags=[{"Key": "k", "Value": "v"}])
    assert tagged == [("lookoutvision:CreateModel", new_version), ("lookoutvision:TagResource", new_version)]


def test_the_service_model_documents_the_tagging_permission_of_create_model() -> None:
    from lookoutvision_cdk_provider import servicemodel  # noqa: PLC0415

    documentation = servicemodel.service_model().operation_model("CreateModel").documentation
    assert "lookoutvision:TagResource" in documentation


def test_a_function_is_refused_what_its_role_does_not_allow_with_the_services_message(
    iam_cloud: LocalCloud, role_function: Any
) -> None:
    iam_cloud.lookoutvision().create_project(ProjectName=PROJECT)
    try:
        function = role_function(
            policy(
                {"Effect": "Allow", "Action": "lookoutvision:DescribeProject", "Resource": PROJECT_ARN},
                {"Effect": "Allow", "Action": "lookoutvision:ListModels", "Resource": PROJECT_ARN},
            )
        )
        described = function.call("lookoutvision", "describe_project", ProjectName=PROJECT)
        assert described["result"]["ProjectDescription"]["ProjectArn"] == PROJECT_ARN
        principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{function.role_name}/{function.name}"
        refused = function.call("lookoutvision", "list_models", ProjectName=PROJECT)
        assert refused["error"] == {
            "code": "AccessDeniedException",
            "status": 403,
            "message": denied(principal, "lookoutvision:ListModels", "*"),
        }
        calls = iam_cloud.emulator.calls_of("ListModels")
        assert calls[-1].error_code == "AccessDeniedException"  # answered by the service, recorded as a call
        function.put_policy(policy({"Effect": "Allow", "Action": "lookoutvision:ListModels", "Resource": "*"}), "lists")
        assert function.call("lookoutvision", "list_models", ProjectName=PROJECT)["result"]["Models"] == []
    finally:
        iam_cloud.lookoutvision().delete_project(ProjectName=PROJECT)


def test_create_model_with_tags_is_refused_without_tag_resource(iam_cloud: LocalCloud, role_function: Any) -> None:
    function = role_function(policy({"Effect": "Allow", "Action": "lookoutvision:CreateModel", "Resource": MODELS}))
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{function.role_name}/{function.name}"
    output = {"S3Location": {"Bucket": "out"}}
    tagged = function.call(
        "lookoutvision", "create_model", ProjectName=PROJECT, OutputConfig=output, Tags=[{"Key": "k", "Value": "v"}]
    )
    assert tagged["error"]["message"] == denied(principal, "lookoutvision:TagResource", MODELS.replace("*", "1"))
    untagged = function.call("lookoutvision", "create_model", ProjectName=PROJECT, OutputConfig=output)
    assert untagged["error"]["code"] == "ResourceNotFoundException"  # past IAM: the project does not exist


def test_the_reference_lists_no_dependent_action_for_the_service() -> None:
    from lookoutvision_localcloud.iam import reference  # noqa: PLC0415

    table = reference.service("lookoutvision")
    assert table.action("CreateModel") is not None
    assert [action.name for action in table.actions.values() if action.dependent_actions] == []
