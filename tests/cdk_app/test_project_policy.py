"""One IAM policy per project: what it grants, that it outlives every Delete that needs it, and that
IAM would allow each call as AWS's service authorization reference says (parliament, policy_sentry).

One app, synthesized once for the module, with three stacks built from the same lines, so that
logical ids compare across them as across two deploys of one stack: ``Lines`` (project ``alpha``
as a CfnProject with a KMS-encrypted bucket and key, project ``beta`` by name with its images in
another bucket), ``Retired`` (alpha's line left out) and ``Moved`` (alpha's model trains in beta;
alpha keeps its dataset); and a fourth, ``Referenced``, whose models train on datasets the stack
does not own (project ``gamma``: a referenced train dataset and a declared test dataset; project
``delta``: both referenced).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import parliament.statement
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from parliament import analyze_policy_string
from policy_sentry.querying.actions import get_action_data

from lookoutvision_cdk import LookoutVisionDataset, LookoutVisionModel, LookoutVisionProvider
from lookoutvision_cdk.project_policy import MODEL_ACTIONS, UNSCOPED_ACTIONS
from lookoutvision_cdk_provider import consts
from tests.cdk_app.cloudformation import as_cloudformation_sends, sample_values
from tests.cdk_app.policy import lookout_arn_suffix
from tests.fixtures.assembly import SKIP_BUNDLING, Assembly

pytestmark = pytest.mark.synth

MODEL = consts.MODEL_RESOURCE_TYPE
DATASET = consts.DATASET_RESOURCE_TYPE


def _alpha(stack: Stack, *, model_in_beta: LookoutVisionDataset | None = None) -> None:
    """Project alpha: an encrypted bucket in the stack, a versioned manifest, a model encrypted with a key."""
    key = kms.Key(stack, "AlphaKey")
    bucket = s3.Bucket(stack, "AlphaData", encryption=s3.BucketEncryption.KMS, encryption_key=key)
    project = lookoutvision.CfnProject(stack, "Alpha", project_name="alpha")
    train = LookoutVisionDataset(
        stack,
        "AlphaTrain",
        project=project,
        dataset_type="train",
        manifest_bucket=bucket,
        manifest_key="alpha/train.manifest",
        manifest_version="v3",
    )
    LookoutVisionModel(
        stack,
        "AlphaModel",
        project="beta" if model_in_beta else project,
        training_dataset=model_in_beta or train,
        output_bucket=bucket,
        output_prefix="alpha/output/",
        kms_key=key,
    )


def _beta(stack: Stack) -> LookoutVisionDataset:
    """Project beta, by name: an imported bucket, the images in another one, output at the bucket's root."""
    bucket = s3.Bucket.from_bucket_name(stack, "BetaData", "beta-data")
    images = s3.Bucket.from_bucket_name(stack, "BetaImages", "beta-images")
    train = LookoutVisionDataset(
        stack,
        "BetaTrain",
        project="beta",
        dataset_type="train",
        manifest_bucket=bucket,
        manifest_key="train.manifest",
        images_bucket=images,
        images_prefix="camera-1/",
    )
    LookoutVisionModel(stack, "BetaModel", project="beta", training_dataset=train, output_bucket=bucket)
    return train


def _referenced(stack: Stack) -> None:
    """Gamma's train dataset and delta's two exist outside the stack; their images are in gamma-images."""
    data = s3.Bucket.from_bucket_name(stack, "GammaData", "gamma-data")
    images = s3.Bucket.from_bucket_name(stack, "GammaImages", "gamma-images")
    train = LookoutVisionDataset.from_dataset_attributes(
        stack, "GammaTrain", project="gamma", dataset_type="train", images_bucket=images, images_prefix="line-3/"
    )
    test = LookoutVisionDataset(
        stack,
        "GammaTest",
        project="gamma",
        dataset_type="test",
        manifest_bucket=data,
        manifest_key="test/gamma.manifest",
    )
    LookoutVisionModel(
        stack,
        "GammaModel",
        project="gamma",
        training_dataset=train,
        test_dataset=test,
        output_bucket=data,
        output_prefix="gamma-output/",
    )
    delta = {
        dataset_type: LookoutVisionDataset.from_dataset_attributes(
            stack,
            f"Delta-{dataset_type}",
            project="delta",
            dataset_type=dataset_type,
            images_bucket=images,
            images_prefix=f"delta/{dataset_type}/",
        )
        for dataset_type in ("train", "test")
    }
    LookoutVisionModel(
        stack,
        "DeltaModel",
        project="delta",
        training_dataset=delta["train"],
        test_dataset=delta["test"],
        output_bucket=data,
        output_prefix="delta-output/",
    )


@dataclass
class Deploys:
    """The three stacks' templates, and the policies' logical ids in ``Lines``."""

    lines: dict[str, Any]
    retired: dict[str, Any]
    moved: dict[str, Any]
    referenced: dict[str, Any]
    own: str  # the function's own policy
    alpha: str
    beta: str
    gamma: str  # in Referenced
    delta: str  # in Referenced


@pytest.fixture(scope="module")
def deploys(tmp_path_factory: pytest.TempPathFactory) -> Deploys:
    app = App(outdir=str(tmp_path_factory.mktemp("project-policy")), context=SKIP_BUNDLING)
    lines, retired, moved = Stack(app, "Lines"), Stack(app, "Retired"), Stack(app, "Moved")
    referenced = Stack(app, "Referenced")
    _alpha(lines)
    _beta(lines)
    _beta(retired)
    _alpha(moved, model_in_beta=_beta(moved))
    _referenced(referenced)
    provider = LookoutVisionProvider.of(lines)
    ids = {
        name: lines.get_logical_id(policy.node.default_child)
        for name, policy in (
            ("own", provider.policy),
            ("alpha", provider.project_policy("alpha").policy),
            ("beta", provider.project_policy("beta").policy),
        )
    }
    for name in ("gamma", "delta"):
        policy = LookoutVisionProvider.of(referenced).project_policy(name).policy
        ids[name] = referenced.get_logical_id(policy.node.default_child)
    assembly = app.synth()
    names = ("Lines", "Retired", "Moved", "Referenced")
    templates = {name: assembly.get_stack_by_name(name).template for name in names}
    return Deploys(*(templates[name] for name in names), **ids)


def _policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Policy"}


def _statements(template: dict[str, Any], policy_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = template["Resources"][policy_id]["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- the dependency design ----------------------------------------------------------------------


def test_one_policy_per_project_beside_the_functions_own(deploys: Deploys) -> None:
    Template.from_json(deploys.lines).resource_count_is("AWS::IAM::Policy", 3)
    role = next(k for k, v in deploys.lines["Resources"].items() if v["Type"] == "AWS::IAM::Role")
    for policy_id in (deploys.own, deploys.alpha, deploys.beta):
        assert _policies(deploys.lines)[policy_id]["Properties"]["Roles"] == [{"Ref": role}]


@pytest.mark.parametrize("resource_type", [MODEL, DATASET])
def test_each_resource_depends_on_its_projects_policy_and_not_on_anothers(deploys: Deploys, resource_type: str) -> None:
    template = Template.from_json(deploys.lines)
    alpha_project = next(k for k, v in deploys.lines["Resources"].items() if v["Type"] == "AWS::LookoutVision::Project")
    for project_name, own, other in (
        ({"Ref": alpha_project}, deploys.alpha, deploys.beta),
        ("beta", deploys.beta, deploys.alpha),
    ):
        found = template.find_resources(
            resource_type,
            {
                "Properties": {consts.PROJECT_NAME: project_name},
                "DependsOn": Match.array_with(sorted([own, deploys.own])),
            },  # DependsOn is sorted
        )
        assert len(found) == 1, (resource_type, project_name)
        [resource] = found.values()
        assert other not in resource["DependsOn"]


def test_retiring_a_line_removes_its_projects_policy_and_only_it(deploys: Deploys) -> None:
    before, after = _policies(deploys.lines), _policies(deploys.retired)
    assert set(before) - set(after) == {deploys.alpha}
    assert set(after) <= set(before)
    # What stays is unchanged, so the update leaves it alone: the retired line's Deletes, in the cleanup,
    # still find beta's and the function's own rights as they were.
    for policy_id in after:
        assert after[policy_id] == before[policy_id], policy_id
    # ... and alpha's, because in the template they come from they depend on alpha's policy.
    retired = [k for k, v in deploys.lines["Resources"].items() if k not in deploys.retired["Resources"]]
    custom = [k for k in retired if deploys.lines["Resources"][k]["Type"] in (MODEL, DATASET)]
    assert len(custom) == 2
    assert all(deploys.alpha in deploys.lines["Resources"][k]["DependsOn"] for k in custom)


def test_a_project_that_keeps_a_resource_keeps_its_model_rights(deploys: Deploys) -> None:
    """A model moved to beta: its old version, deleted in the update's cleanup, is still alpha's."""
    assert deploys.alpha in _policies(deploys.moved)
    model_rights = [
        s for s in _statements(deploys.moved, deploys.alpha) if set(_list(s["Action"])) == set(MODEL_ACTIONS)
    ]
    assert [lookout_arn_suffix(s["Resource"]) for s in model_rights] == [":model/alpha/*"]
    # The moved model's new version (in beta) depends on beta's policy, deleted after it in a rollback's cleanup.
    moved_model = next(v for k, v in deploys.moved["Resources"].items() if v["Type"] == MODEL and "Alpha" in k)
    assert moved_model["Properties"][consts.PROJECT_NAME] == "beta"
    assert deploys.beta in moved_model["DependsOn"] and deploys.alpha not in moved_model["DependsOn"]


# -- the statements per project -----------------------------------------------------------------


def _by_actions(statements: list[dict[str, Any]]) -> dict[tuple[str, ...], list[Any]]:
    grouped: dict[tuple[str, ...], list[Any]] = {}
    for statement in statements:
        grouped.setdefault(tuple(sorted(_list(statement["Action"]))), []).append(statement)
    return grouped


VIA_SERVICE = {"Bool": {"aws:ViaAWSService": "true"}}


def test_alphas_policy(deploys: Deploys) -> None:
    resources = deploys.lines["Resources"]
    bucket_arn = {"Fn::GetAtt": [next(k for k in resources if k.startswith("AlphaData")), "Arn"]}
    key_arn = {"Fn::GetAtt": [next(k for k in resources if k.startswith("AlphaKey")), "Arn"]}
    grouped = _by_actions(_statements(deploys.lines, deploys.alpha))
    assert [s["Resource"] for s in grouped[tuple(sorted(UNSCOPED_ACTIONS))]] == ["*"]
    assert [lookout_arn_suffix(s["Resource"]) for s in grouped[tuple(sorted(MODEL_ACTIONS))]] == [":model/alpha/*"]

    def s3(actions: tuple[str, ...], resource: Any) -> None:
        assert grouped.pop(actions) == [
            {"Action": _one(actions), "Condition": VIA_SERVICE, "Effect": "Allow", "Resource": resource}
        ]

    s3(("s3:GetObject", "s3:GetObjectVersion"), {"Fn::Join": ["", [bucket_arn, "/alpha/train.manifest"]]})
    s3(("s3:GetBucketLocation",), bucket_arn)
    s3(("s3:GetObject",), {"Fn::Join": ["", [bucket_arn, "/alpha/*"]]})  # the images: the manifest's folder
    s3(("s3:PutObject",), {"Fn::Join": ["", [bucket_arn, "/alpha/output/*"]]})
    via_s3 = {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}}}
    assert grouped.pop(("kms:Decrypt",)) == [
        {"Action": "kms:Decrypt", "Condition": via_s3, "Effect": "Allow", "Resource": key_arn}
    ]
    assert grouped.pop(("kms:Decrypt", "kms:GenerateDataKey")) == [
        {"Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Condition": via_s3, "Effect": "Allow", "Resource": key_arn}
    ]
    assert grouped.pop(("kms:DescribeKey",))[0]["Resource"] == key_arn
    [grant] = grouped.pop(("kms:CreateGrant",))
    assert grant["Resource"] == key_arn
    assert grant["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["lookoutvision.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        },
    }
    assert set(grouped) == {tuple(sorted(UNSCOPED_ACTIONS)), tuple(sorted(MODEL_ACTIONS))}


def test_betas_policy(deploys: Deploys) -> None:
    grouped = _by_actions(_statements(deploys.lines, deploys.beta))
    assert [lookout_arn_suffix(s["Resource"]) for s in grouped[tuple(sorted(MODEL_ACTIONS))]] == [":model/beta/*"]
    s3 = {
        actions: [_s3_arn(s["Resource"]) for s in statements]
        for actions, statements in grouped.items()
        if actions[0].startswith("s3:")
    }
    assert s3 == {
        ("s3:GetObject",): ["beta-data/train.manifest", "beta-images/camera-1/*"],
        ("s3:GetBucketLocation",): ["beta-data"],  # the manifest's bucket and the output bucket
        ("s3:PutObject",): ["beta-data/*"],
    }
    assert all(
        s["Condition"] == VIA_SERVICE for key, group in grouped.items() if key[0].startswith("s3:") for s in group
    )
    assert not [a for a in grouped if a[0].startswith("kms:")]


def _s3_statements(template: dict[str, Any], policy_id: str) -> dict[tuple[str, ...], list[str]]:
    """Each S3 statement's actions → its resources as bucket/key (every one granted through the service only)."""
    grouped = _by_actions(_statements(template, policy_id))
    s3_only = {actions: statements for actions, statements in grouped.items() if actions[0].startswith("s3:")}
    assert all(s["Condition"] == VIA_SERVICE for statements in s3_only.values() for s in statements)
    return {actions: [_s3_arn(s["Resource"]) for s in statements] for actions, statements in s3_only.items()}


def test_a_referenced_datasets_images_are_readable_by_the_models_project_policy(deploys: Deploys) -> None:
    """Gamma: a referenced train dataset (images in gamma-images/line-3/) and a declared test dataset; no
    manifest of the referenced one is read (CreateDataset is never called for it)."""
    assert _s3_statements(deploys.referenced, deploys.gamma) == {
        ("s3:GetObject",): ["gamma-data/test/gamma.manifest", "gamma-data/test/*", "gamma-images/line-3/*"],
        ("s3:GetBucketLocation",): ["gamma-data"],  # the test manifest's bucket and the output bucket
        ("s3:PutObject",): ["gamma-data/gamma-output/*"],
    }
    grouped = _by_actions(_statements(deploys.referenced, deploys.gamma))
    assert [lookout_arn_suffix(s["Resource"]) for s in grouped[tuple(sorted(MODEL_ACTIONS))]] == [":model/gamma/*"]


def test_a_model_on_referenced_datasets_only_reads_their_images_and_writes_its_output(deploys: Deploys) -> None:
    assert _s3_statements(deploys.referenced, deploys.delta) == {
        ("s3:GetObject",): ["gamma-images/delta/train/*", "gamma-images/delta/test/*"],
        ("s3:PutObject",): ["gamma-data/delta-output/*"],
        ("s3:GetBucketLocation",): ["gamma-data"],
    }


def _one(actions: tuple[str, ...]) -> Any:
    return actions[0] if len(actions) == 1 else list(actions)


def _s3_arn(resource: Any) -> str:
    """arn:<partition>:s3:::<rest> → <rest>."""
    first, partition, rest = resource["Fn::Join"][1]
    assert [first, partition] == ["arn:", {"Ref": "AWS::Partition"}] and rest.startswith(":s3:::"), resource
    return str(rest).removeprefix(":s3:::")


# -- against AWS's service authorization reference ------------------------------------------------


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """parliament 1.6.4's table of global condition keys lacks aws:ViaAWSService, which AWS lists among its
    global condition context keys (a Bool; parliament's own community auditor names it): added, so that the
    S3 statements' condition is checked as any other global key instead of reported as unknown."""
    monkeypatch.setitem(parliament.statement.GLOBAL_CONDITION_KEYS, "aws:ViaAWSService", "Bool")


def _findings(template: dict[str, Any]) -> dict[str, list[str]]:
    """parliament's findings for every AWS::IAM::Policy, with Ref / GetAtt / Join resolved to sample ARNs."""
    values = sample_values(template)
    findings: dict[str, list[str]] = {}
    for policy_id, policy in _policies(template).items():
        document = as_cloudformation_sends(policy["Properties"]["PolicyDocument"], values)
        text = json.dumps(document)
        assert "Fn::" not in text and '"Ref"' not in text, text
        analyzed = analyze_policy_string(text, include_community_auditors=True)
        findings[policy_id] = [f"{f.issue}: {f.detail}" for f in analyzed.findings]
    return findings


@pytest.mark.usefixtures("reference")
def test_parliament_finds_nothing_in_the_example_stacks_policies(example_assembly: Assembly) -> None:
    findings = _findings(example_assembly.template)
    assert len(findings) == 2
    assert findings == {policy_id: [] for policy_id in findings}


@pytest.mark.usefixtures("reference")
def test_parliament_finds_nothing_in_a_stack_of_two_projects(deploys: Deploys) -> None:
    findings = _findings(deploys.lines)
    assert set(findings) == {deploys.own, deploys.alpha, deploys.beta}
    # Its community auditors ask for a review of any permissions-management action: alpha's kms:CreateGrant,
    # which CreateModel needs for a customer managed key (AWS's page on using your own KMS key with Lookout
    # for Vision), the only such action of the three policies.
    assert findings == {deploys.own: [], deploys.alpha: ["PERMISSIONS_MANAGEMENT_ACTIONS: "], deploys.beta: []}
    management = {
        action
        for policy_id in findings
        for statement in _statements(deploys.lines, policy_id)
        for action in _list(statement["Action"])
        if _access_level(action) == "Permissions management"
    }
    assert management == {"kms:CreateGrant"}


@pytest.mark.usefixtures("reference")
def test_parliament_finds_nothing_in_a_stack_of_referenced_datasets(deploys: Deploys) -> None:
    findings = _findings(deploys.referenced)
    assert len(findings) == 3  # the function's own, gamma's and delta's
    assert {deploys.gamma, deploys.delta} < set(findings)
    assert findings == {policy_id: [] for policy_id in findings}


def _access_level(action: str) -> str:
    service, name = action.split(":")
    [level] = {row["access_level"] for row in get_action_data(service, name)[service]}
    return str(level)


def test_parliament_would_find_the_dataset_actions_on_the_project_arn() -> None:
    """The check above can fail: the dataset actions and ListModels on the project ARN, as granted before."""
    project = "arn:aws:lookoutvision:us-east-1:123456789012:project/alpha"
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(UNSCOPED_ACTIONS), "Resource": project}],
    }
    [finding] = analyze_policy_string(json.dumps(document)).findings
    assert finding.issue == "RESOURCE_MISMATCH"
    assert {d["action"] for d in finding.detail} == set(UNSCOPED_ACTIONS)


def _resource_formats(action: str) -> set[str]:
    service, name = action.split(":")
    return {row["resource_arn_format"] for row in get_action_data(service, name)[service]}


@pytest.mark.parametrize("action", UNSCOPED_ACTIONS)
def test_the_actions_on_star_have_no_resource_type(action: str) -> None:
    assert _resource_formats(action) == {"*"}


@pytest.mark.parametrize("action", MODEL_ACTIONS)
def test_the_model_actions_are_authorized_on_the_model_version(action: str) -> None:
    model = "arn:${Partition}:lookoutvision:${Region}:${Account}:model/${ProjectName}/${ModelVersion}"
    assert model in _resource_formats(action)
