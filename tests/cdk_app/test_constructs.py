"""LookoutVisionModel / LookoutVisionDataset in a stack of three models (one synth for the module)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnOutput, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from lookoutvision_cdk import (
    Hosting,
    ILookoutVisionDataset,
    LookoutVisionDataset,
    LookoutVisionModel,
    LookoutVisionProvider,
)
from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.fleet_pace import Fleet
from lookoutvision_cdk_provider.properties import parse_dataset, parse_model
from tests.cdk_app.cloudformation import as_cloudformation_sends, sample_values
from tests.cdk_app.policy import lookout_arn_suffix, policy_statements
from tests.fixtures.assembly import SKIP_BUNDLING

pytestmark = pytest.mark.synth


@dataclass
class ThreeModels:
    stack: Stack
    template: Template
    raw: dict[str, Any]
    constructs: dict[str, Any]

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.get_logical_id(construct.node.default_child))

    def resource(self, construct: Any) -> dict[str, Any]:
        return dict(self.raw["Resources"][self.logical_id(construct)])


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> ThreeModels:
    app = App(outdir=str(tmp_path_factory.mktemp("three-models")), context=SKIP_BUNDLING)
    stack = Stack(app, "ThreeModels")
    bucket = s3.Bucket(stack, "Bucket")
    key = kms.Key(stack, "Key")
    alpha = lookoutvision.CfnProject(stack, "Alpha", project_name="alpha")
    alpha_train = LookoutVisionDataset(
        stack, "AlphaTrain", project=alpha, dataset_type="train", manifest_bucket=bucket, manifest_key="a/train"
    )
    alpha_test = LookoutVisionDataset(
        stack,
        "AlphaTest",
        project=alpha,
        dataset_type="test",
        manifest_bucket=bucket,
        manifest_key="a/test",
        service_timeout=Duration.minutes(10),
        orphan_when_service_unavailable=True,
    )
    retained = LookoutVisionModel(
        stack,
        "Retained",
        project=alpha,
        training_dataset=alpha_train,
        test_dataset=alpha_test,
        output_bucket=bucket,
        output_prefix="alpha/",
        kms_key=key,
        tags={"b": "2", "a": "1"},
        hosting=Hosting(min_inference_units=1, max_inference_units=3),
        service_timeout=Duration.minutes(30),
        removal_policy=RemovalPolicy.RETAIN,
    )
    second = LookoutVisionModel(
        stack,
        "Second",
        project="alpha",
        training_dataset=alpha_train,
        output_bucket=bucket,
        output_prefix="alpha/",
        orphan_when_service_unavailable=True,
    )
    beta_train = LookoutVisionDataset(
        stack,
        "BetaTrain",
        project="beta",
        dataset_type="train",
        manifest_bucket=bucket,
        manifest_key="b/train",
        manifest_version="v1",
        removal_policy=RemovalPolicy.RETAIN,
    )
    third = LookoutVisionModel(stack, "Third", project="beta", training_dataset=beta_train, output_bucket=bucket)
    CfnOutput(stack, "RetainedArn", value=retained.model_arn)
    CfnOutput(stack, "RetainedVersion", value=retained.model_version)
    CfnOutput(stack, "RetainedStatus", value=retained.status)
    CfnOutput(stack, "RetainedF1", value=retained.f1_score)
    template = Template.from_stack(stack)
    constructs = {
        "retained": retained,
        "second": second,
        "third": third,
        "alpha_train": alpha_train,
        "alpha_test": alpha_test,
        "beta_train": beta_train,
        "key": key,
        "bucket": bucket,
    }
    return ThreeModels(stack, template, dict(template.to_json()), constructs)


def _c(three: ThreeModels, name: str) -> Any:
    return three.constructs[name]


def test_one_provider_function_for_three_models(three: ThreeModels) -> None:
    three.template.resource_count_is(consts.MODEL_RESOURCE_TYPE, 3)
    three.template.resource_count_is(consts.DATASET_RESOURCE_TYPE, 3)
    three.template.resource_count_is("AWS::Lambda::Function", 1)
    three.template.resource_count_is("AWS::IAM::Policy", 3)  # the function's own, alpha's and beta's
    tokens = {
        str(r["Properties"]["ServiceToken"])
        for r in three.raw["Resources"].values()
        if r["Type"] in (consts.MODEL_RESOURCE_TYPE, consts.DATASET_RESOURCE_TYPE)
    }
    assert len(tokens) == 1
    assert LookoutVisionProvider.of(three.stack) is LookoutVisionProvider.of(_c(three, "third"))


def test_retain_gives_deletion_policy_retain(three: ThreeModels) -> None:
    retained = three.resource(_c(three, "retained"))
    assert retained["DeletionPolicy"] == "Retain"
    assert retained["UpdateReplacePolicy"] == "Retain"
    assert three.resource(_c(three, "second"))["DeletionPolicy"] == "Delete"
    assert three.resource(_c(three, "beta_train"))["DeletionPolicy"] == "Retain"
    assert three.resource(_c(three, "alpha_train"))["DeletionPolicy"] == "Delete"


def test_retained_model_in_a_deleted_project_is_warned_about(three: ThreeModels) -> None:
    annotations = Annotations.from_stack(three.stack)
    annotations.has_warning("/ThreeModels/Retained", Match.string_like_regexp("Retain the project too"))
    assert annotations.find_warning("/ThreeModels/Second", Match.any_value()) == []


def test_all_model_properties(three: ThreeModels) -> None:
    properties = three.resource(_c(three, "retained"))["Properties"]
    assert properties[consts.SERVICE_TIMEOUT] == "1800"
    assert properties[consts.HOSTING] == {consts.MIN_INFERENCE_UNITS: 1, consts.MAX_INFERENCE_UNITS: 3}
    assert properties[consts.TAGS] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert properties[consts.KMS_KEY_ID] == {"Fn::GetAtt": [three.logical_id(_c(three, "key")), "Arn"]}
    assert properties[consts.OUTPUT_CONFIG]["S3Location"]["Prefix"] == "alpha/"
    third = three.resource(_c(three, "third"))["Properties"]
    assert third[consts.PROJECT_NAME] == "beta"
    assert third[consts.SERVICE_TIMEOUT] == "3600"
    assert set(third) == {
        "ServiceToken",
        consts.SERVICE_TIMEOUT,
        consts.PROJECT_NAME,
        consts.OUTPUT_CONFIG,
        consts.FLEET,
    }
    assert "Prefix" not in third[consts.OUTPUT_CONFIG]["S3Location"]


def test_orphan_when_service_unavailable_renders_only_when_set(three: ThreeModels) -> None:
    orphan = consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE
    assert three.resource(_c(three, "second"))["Properties"][orphan] is True
    assert three.resource(_c(three, "alpha_test"))["Properties"][orphan] is True
    for name in ("retained", "third", "alpha_train", "beta_train"):
        assert orphan not in three.resource(_c(three, name))["Properties"], name


@pytest.mark.parametrize("value", ["true", 1, None])
def test_orphan_when_service_unavailable_must_be_a_bool(value: Any) -> None:
    stack = Stack(App(context=SKIP_BUNDLING), "NotBool")  # refused while constructing: no synth
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(TypeError, match="orphan_when_service_unavailable must be True or False"):
        LookoutVisionDataset(
            stack,
            "Train",
            project="p",
            dataset_type="train",
            manifest_bucket=bucket,
            manifest_key="k",
            orphan_when_service_unavailable=value,
        )


def test_dataset_with_manifest_version(three: ThreeModels) -> None:
    properties = three.resource(_c(three, "beta_train"))["Properties"]
    assert properties[consts.DATASET_SOURCE]["GroundTruthManifest"]["S3Object"]["VersionId"] == "v1"
    assert properties[consts.PROJECT_NAME] == "beta"
    statements = [s for s in policy_statements(three.raw) if "s3:GetObjectVersion" in _list(s["Action"])]
    assert len(statements) == 1
    assert statements[0]["Resource"]["Fn::Join"][1][1] == "/b/train"


def test_model_depends_on_train_and_test_datasets(three: ThreeModels) -> None:
    depends = three.resource(_c(three, "retained"))["DependsOn"]
    assert {three.logical_id(_c(three, "alpha_train")), three.logical_id(_c(three, "alpha_test"))} <= set(depends)
    assert three.logical_id(_c(three, "beta_train")) in three.resource(_c(three, "third"))["DependsOn"]


def test_attributes_are_getatts_of_the_data_keys(three: ThreeModels) -> None:
    model_id = three.logical_id(_c(three, "retained"))
    outputs = three.raw["Outputs"]
    assert outputs["RetainedArn"]["Value"] == {"Fn::GetAtt": [model_id, consts.ATTR_MODEL_ARN]}
    assert outputs["RetainedVersion"]["Value"] == {"Fn::GetAtt": [model_id, consts.ATTR_MODEL_VERSION]}
    assert outputs["RetainedStatus"]["Value"] == {"Fn::GetAtt": [model_id, consts.ATTR_STATUS]}
    assert outputs["RetainedF1"]["Value"] == {"Fn::GetAtt": [model_id, consts.ATTR_F1_SCORE]}


def test_lookout_access_per_declared_project_once(three: ThreeModels) -> None:
    resources = [
        lookout_arn_suffix(resource)
        for statement in policy_statements(three.raw)
        if any(a.startswith("lookoutvision:") for a in _list(statement["Action"]))
        for resource in _list(statement["Resource"])
    ]
    assert sorted(resources) == sorted(["*", ":model/alpha/*", "*", ":model/beta/*"])
    actions = {a for s in policy_statements(three.raw) for a in _list(s["Action"]) if a.startswith("lookoutvision:")}
    assert actions == {
        f"lookoutvision:{operation}"
        for operation in (
            "CreateDataset",
            "DescribeDataset",
            "DeleteDataset",
            "ListModels",
            "CreateModel",
            "DescribeModel",
            "StartModel",
            "StopModel",
            "DeleteModel",
            "TagResource",
            "UntagResource",
            "ListTagsForResource",
        )
    }


def test_kms_only_on_the_given_key(three: ThreeModels) -> None:
    key_arn = {"Fn::GetAtt": [three.logical_id(_c(three, "key")), "Arn"]}
    kms_statements = [s for s in policy_statements(three.raw) if any(a.startswith("kms:") for a in _list(s["Action"]))]
    assert kms_statements
    assert all(s["Resource"] == key_arn for s in kms_statements)
    grant = next(s for s in kms_statements if "kms:CreateGrant" in _list(s["Action"]))
    assert grant["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["lookoutvision.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        },
    }


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_construct_findings_are_acknowledged_for_imported_bucket_and_project_ref(tmp_path: Path) -> None:
    """cdk-nag's AwsSolutions pack finds nothing unacknowledged in what the constructs add.

    The acknowledgments name exact findings, so this checks that they match what cdk-nag reports
    for an imported bucket (an ARN built by Fn::Join) and a project known only by its Ref.
    """
    app = App(outdir=str(tmp_path), context=SKIP_BUNDLING)
    stack = Stack(app, "Nagged")
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "some-existing-bucket")
    project = lookoutvision.CfnProject(stack, "Project", project_name="gamma")
    train = LookoutVisionDataset(
        stack, "Train", project=project.ref, dataset_type="train", manifest_bucket=bucket, manifest_key="m"
    )
    LookoutVisionModel(stack, "Model", project=project.ref, training_dataset=train, output_bucket=bucket)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    app.synth()  # raises on any unacknowledged error finding

    template = json.loads((tmp_path / "Nagged.template.json").read_text())
    acknowledged = sorted(
        rule["id"]
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    )
    assert acknowledged == [
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lookoutvision:<AWS::Region>:<AWS::AccountId>"
        ":model/<Project>/*]",
        # The images (the manifest "m" sits at the root) and the output (no prefix): one finding, one acknowledgment.
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::some-existing-bucket/*]",
        "AwsSolutions-L1",
    ]
    report = tmp_path / "validation-report.json"
    if report.exists():
        assert all(plugin["violations"] == [] for plugin in json.loads(report.read_text())["pluginReports"])


def test_the_provider_accepts_every_resource_of_the_stack(three: ThreeModels) -> None:
    """Every prop combination above (KMS key, tags, scaling, versions, no prefix) parses in the provider."""
    values = sample_values(three.raw)
    parsed: dict[str, Any] = {}
    for logical_id, resource in three.raw["Resources"].items():
        if resource["Type"] == consts.MODEL_RESOURCE_TYPE:
            parsed[logical_id] = parse_model(as_cloudformation_sends(resource["Properties"], values))
        elif resource["Type"] == consts.DATASET_RESOURCE_TYPE:
            parsed[logical_id] = parse_dataset(as_cloudformation_sends(resource["Properties"], values))
    assert len(parsed) == 6
    retained = parsed[three.logical_id(_c(three, "retained"))]
    assert retained.hosting is not None and retained.hosting.max_inference_units == 3
    assert retained.kms_key_id is not None and retained.kms_key_id.startswith("arn:aws:kms:")
    assert retained.service_timeout == 1800
    assert retained.orphan_when_service_unavailable is False
    assert parsed[three.logical_id(_c(three, "second"))].orphan_when_service_unavailable is True
    assert parsed[three.logical_id(_c(three, "alpha_test"))].orphan_when_service_unavailable is True
    assert parsed[three.logical_id(_c(three, "alpha_test"))].service_timeout == 600
    assert parsed[three.logical_id(_c(three, "alpha_train"))].service_timeout == 3600
    assert parsed[three.logical_id(_c(three, "third"))].fleet == Fleet(rank=1, size=2)
    assert retained.fleet is None


def test_each_model_the_stack_deletes_carries_its_place_among_them(three: ThreeModels) -> None:
    """Its rank among the stack's models in declaration order, every project's, and their number; none when retained."""
    fleets = {
        name: three.resource(_c(three, name))["Properties"].get(consts.FLEET)
        for name in ("retained", "second", "third")
    }
    assert fleets == {
        "retained": None,  # CloudFormation sends it no Delete
        "second": {consts.FLEET_RANK: 0, consts.FLEET_SIZE: 2},  # project alpha
        "third": {consts.FLEET_RANK: 1, consts.FLEET_SIZE: 2},  # project beta: the quota is the account's
    }


def test_more_models_than_a_fleet_is_paced_for_fail_at_synth() -> None:
    stack = Stack(App(context=SKIP_BUNDLING), "Big")
    provider = LookoutVisionProvider.of(stack)
    members = [Construct(stack, f"M{i}") for i in range(consts.FLEET_SIZE_MAX + 1)]
    for member in members:
        provider.join_fleet(member)
    with pytest.raises(ValueError, match=f"declares {consts.FLEET_SIZE_MAX + 1} Lookout for Vision models"):
        provider.fleet_place(members[0])


def test_a_dataset_carries_its_service_timeout(three: ThreeModels) -> None:
    assert three.resource(_c(three, "alpha_test"))["Properties"][consts.SERVICE_TIMEOUT] == "600"
    assert three.resource(_c(three, "alpha_train"))["Properties"][consts.SERVICE_TIMEOUT] == "3600"


def test_a_referenced_dataset_is_no_resource_and_the_model_depends_on_the_declared_one_only(tmp_path: Path) -> None:
    """A model trains on a train dataset that exists outside the stack and is tested with one the stack declares."""
    app = App(outdir=str(tmp_path), context=SKIP_BUNDLING)
    stack = Stack(app, "Referencing")
    bucket = s3.Bucket.from_bucket_name(stack, "Images", "line-images")
    existing = LookoutVisionDataset.from_dataset_attributes(
        stack, "Existing", project="gamma", dataset_type="train", images_bucket=bucket, images_prefix="camera-2/"
    )
    test = LookoutVisionDataset(
        stack, "Test", project="gamma", dataset_type="test", manifest_bucket=bucket, manifest_key="test/test.manifest"
    )
    model = LookoutVisionModel(
        stack, "Model", project="gamma", training_dataset=existing, test_dataset=test, output_bucket=bucket
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
    app.synth()  # raises on any unacknowledged cdk-nag finding (the images prefix's wildcard is acknowledged)

    template = json.loads((tmp_path / "Referencing.template.json").read_text())
    assert isinstance(existing, ILookoutVisionDataset) and isinstance(test, ILookoutVisionDataset)
    assert not existing.node.children  # nothing in the template stands for it
    [dataset_id] = [k for k, v in template["Resources"].items() if v["Type"] == consts.DATASET_RESOURCE_TYPE]
    assert dataset_id == stack.get_logical_id(test.node.default_child)
    model_resource = template["Resources"][stack.get_logical_id(model.node.default_child)]
    custom = {k for k, v in template["Resources"].items() if v["Type"].startswith("Custom::")}
    assert custom & set(model_resource["DependsOn"]) == {dataset_id}
    assert model_resource["Properties"][consts.PROJECT_NAME] == "gamma"
    acknowledged = {
        rule["id"]
        for resource in template["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }
    assert "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::line-images/camera-2/*]" in acknowledged
