"""The example app's template (synthesized once per session by the example_assembly fixture)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from lookoutvision_cdk.project_policy import UNSCOPED_ACTIONS
from lookoutvision_cdk_provider import consts
from tests.cdk_app.policy import lookout_arn_suffix, policy_statements, resource_refs
from tests.fixtures.assembly import EXAMPLE_CONTEXT, Assembly

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def template(example_assembly: Assembly) -> Template:
    return Template.from_json(example_assembly.template)


def _only(assembly: Assembly, resource_type: str) -> tuple[str, dict[str, Any]]:
    resources = assembly.resources_of_type(resource_type)
    assert len(resources) == 1, f"expected one {resource_type}, found {sorted(resources)}"
    return next(iter(resources.items()))


def test_resource_counts(template: Template) -> None:
    template.resource_count_is("AWS::S3::Bucket", 0)  # the data bucket exists before the stack
    template.resource_count_is(consts.MODEL_RESOURCE_TYPE, 1)
    template.resource_count_is(consts.DATASET_RESOURCE_TYPE, 1)
    template.resource_count_is("AWS::LookoutVision::Project", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.resource_count_is("AWS::Logs::LogGroup", 1)


def test_model_properties(template: Template, example_assembly: Assembly) -> None:
    project_id, _ = _only(example_assembly, "AWS::LookoutVision::Project")
    data_bucket = EXAMPLE_CONTEXT["dataBucket"]
    template.has_resource_properties(
        consts.MODEL_RESOURCE_TYPE,
        {
            consts.PROJECT_NAME: {"Ref": project_id},
            consts.OUTPUT_CONFIG: {"S3Location": {"Bucket": data_bucket, "Prefix": "model-output/"}},
            consts.DESCRIPTION: "Example-model-trained-by-cdk",
            consts.TAGS: [{"Key": "project", "Value": "cdk-example"}],
            consts.HOSTING: {consts.MIN_INFERENCE_UNITS: 1},
            consts.SERVICE_TIMEOUT: "3600",
            "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("^LookoutVisionProviderFunction"), "Arn"]},
        },
    )


def test_dataset_properties(template: Template, example_assembly: Assembly) -> None:
    project_id, _ = _only(example_assembly, "AWS::LookoutVision::Project")
    template.has_resource_properties(
        consts.DATASET_RESOURCE_TYPE,
        {
            consts.PROJECT_NAME: {"Ref": project_id},
            consts.DATASET_TYPE: "train",
            consts.DATASET_SOURCE: {
                "GroundTruthManifest": {
                    "S3Object": {
                        "Bucket": EXAMPLE_CONTEXT["dataBucket"],
                        "Key": "datasets/train/train.manifest",
                    }
                }
            },
        },
    )


def test_destroy_order_is_model_then_dataset_then_project(example_assembly: Assembly) -> None:
    project_id, _ = _only(example_assembly, "AWS::LookoutVision::Project")
    dataset_id, dataset = _only(example_assembly, consts.DATASET_RESOURCE_TYPE)
    _, model = _only(example_assembly, consts.MODEL_RESOURCE_TYPE)
    # CloudFormation deletes a resource before whatever it depends on (DependsOn, Ref, GetAtt).
    assert dataset_id in model["DependsOn"]
    assert model["Properties"][consts.PROJECT_NAME] == {"Ref": project_id}
    assert dataset["Properties"][consts.PROJECT_NAME] == {"Ref": project_id}
    assert model["DeletionPolicy"] == dataset["DeletionPolicy"] == "Delete"


def test_custom_resources_outlive_nothing_of_the_provider(example_assembly: Assembly) -> None:
    """Every custom resource depends on the provider's role, both policies and log group (deleted after it)."""
    policies = set(example_assembly.resources_of_type("AWS::IAM::Policy"))
    assert len(policies) == 2  # the function's own and the project's
    role_id, _ = _only(example_assembly, "AWS::IAM::Role")
    log_group_id, _ = _only(example_assembly, "AWS::Logs::LogGroup")
    function_id, _ = _only(example_assembly, "AWS::Lambda::Function")
    for resource_type in (consts.MODEL_RESOURCE_TYPE, consts.DATASET_RESOURCE_TYPE):
        _, resource = _only(example_assembly, resource_type)
        assert {*policies, role_id, log_group_id} <= set(resource["DependsOn"])
        assert resource["Properties"]["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}


def test_provider_function(example_assembly: Assembly) -> None:
    log_group_id, log_group = _only(example_assembly, "AWS::Logs::LogGroup")
    _, function = _only(example_assembly, "AWS::Lambda::Function")
    properties = function["Properties"]
    assert properties["Handler"] == "lookoutvision_cdk_provider.handler.handler"
    assert properties["Runtime"] == "python3.13"
    assert properties["Timeout"] == 900
    assert properties["MemorySize"] >= 256
    assert "Environment" not in properties  # in particular nothing endpoint-related
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    assert log_group["Properties"]["RetentionInDays"] > 0
    assert log_group["DeletionPolicy"] == "Delete"


def test_policy_has_no_wildcard_action_and_only_unscoped_lookout_actions_on_star(example_assembly: Assembly) -> None:
    statements = policy_statements(example_assembly.template)
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        services = {action.split(":")[0] for action in actions}
        assert "*" not in actions and not any(action.endswith(":*") for action in actions), statement
        if "*" in resources:
            assert resources == ["*"], statement
            assert set(actions) == set(UNSCOPED_ACTIONS), statement
        if services & {"lambda", "events"}:
            assert "*" not in resources, statement
    assert not any(a.startswith("events:") for s in statements for a in _list(s["Action"]))


def test_lookout_actions_only_on_the_declared_project(example_assembly: Assembly) -> None:
    suffixes = {
        lookout_arn_suffix(resource)
        for statement in policy_statements(example_assembly.template)
        if any(a.startswith("lookoutvision:") for a in _list(statement["Action"]))
        for resource in _list(statement["Resource"])
    }
    assert suffixes == {"*", ":model/cdk-example/*"}


def test_lambda_logs_and_s3_scoped_to_their_own_resources(example_assembly: Assembly) -> None:
    function_id, _ = _only(example_assembly, "AWS::Lambda::Function")
    log_group_id, _ = _only(example_assembly, "AWS::Logs::LogGroup")
    by_service: dict[str, list[Any]] = {}
    for statement in policy_statements(example_assembly.template):
        for action in _list(statement["Action"]):
            by_service.setdefault(action.split(":")[0], []).extend(_list(statement["Resource"]))
    assert by_service["lambda"] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    assert all(r == {"Fn::GetAtt": [log_group_id, "Arn"]} for r in by_service["logs"])
    bucket_arn = f"arn:<partition>:s3:::{EXAMPLE_CONTEXT['dataBucket']}"
    assert {_s3_arn(r) for r in by_service["s3"]} == {
        bucket_arn,
        f"{bucket_arn}/datasets/train/train.manifest",
        f"{bucket_arn}/datasets/train/*",  # the images the manifest lists, beside it
        f"{bucket_arn}/model-output/*",
    }
    assert resource_refs(by_service["s3"]) == set()


@pytest.mark.parametrize(
    ("context", "message"),
    [
        (
            {},
            "the example app needs an existing S3 bucket for its manifest, images and training output: "
            "pass its name with -c dataBucket=BUCKET",
        ),
        (
            {"dataBucket": "Example_Data"},
            "invalid context value dataBucket='Example_Data': Bucket name must only contain lowercase characters",
        ),
    ],
)
def test_the_data_bucket_is_a_context_value_checked_at_synth(context: dict[str, Any], message: str) -> None:
    from example_app.app import ContextError, build_app  # noqa: PLC0415 (starts jsii only when used)

    with pytest.raises(ContextError) as raised:
        build_app(context=context)
    assert str(raised.value).startswith(message)


def test_template_is_env_agnostic(example_assembly: Assembly) -> None:
    text = json.dumps(example_assembly.template)
    assert "123456789012" not in text and "us-east-1" not in text
    manifest = json.loads((example_assembly.directory / "manifest.json").read_text())
    stack = manifest["artifacts"][example_assembly.stack_name]
    assert stack["environment"] == "aws://unknown-account/unknown-region"


def test_cfn_lint_reports_no_error(example_assembly: Assembly) -> None:
    from cfnlint.api import lint_file  # noqa: PLC0415 (slow import, this test only)

    matches = lint_file(Path(example_assembly.template_path))
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def test_cdk_nag_acknowledgments_each_carry_a_reason(example_assembly: Assembly) -> None:
    """AwsSolutions ran (synth fails on an unacknowledged error); every acknowledgment says why."""
    acknowledged = {
        rule["id"]: rule["reason"]
        for resource in example_assembly.template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    bucket = EXAMPLE_CONTEXT["dataBucket"]
    assert set(acknowledged) == {
        "AwsSolutions-L1",
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lookoutvision:<AWS::Region>:<AWS::AccountId>"
        ":model/cdk-example/*]",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/model-output/*]",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/datasets/train/*]",
    }
    assert all(len(reason) > 20 for reason in acknowledged.values())
    report = example_assembly.directory / "validation-report.json"
    if report.exists():  # written only when some plugin has something to say
        for plugin in json.loads(report.read_text())["pluginReports"]:
            assert plugin["violations"] == [], plugin["pluginName"]


def _s3_arn(value: Any) -> str:
    """An S3 ARN as the template builds it (``arn:`` + partition + the rest), with ``<partition>`` for the Ref."""
    if isinstance(value, str):
        return value
    parts = value["Fn::Join"][1]
    assert parts[1] == {"Ref": "AWS::Partition"}, value
    return "".join(part if isinstance(part, str) else "<partition>" for part in parts)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
