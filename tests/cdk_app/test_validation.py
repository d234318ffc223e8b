"""Synth-time validation: mistakes fail when the construct is created, with a message that names the construct's
path, the prop and the values involved."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, RemovalPolicy, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lookoutvision_cdk import Hosting, ILookoutVisionDataset, LookoutVisionDataset, LookoutVisionModel
from tests.fixtures.assembly import SKIP_BUNDLING


class Scene:
    """A fresh stack with a bucket, a project and its two datasets (no synth)."""

    def __init__(self) -> None:
        self.stack = Stack(App(context=SKIP_BUNDLING), "Validation")
        self.bucket = s3.Bucket(self.stack, "Bucket")
        self.project = lookoutvision.CfnProject(self.stack, "Project", project_name="alpha")
        self.train = self.dataset("Train", "train")
        self.test = self.dataset("Test", "test")

    def dataset(self, id: str, dataset_type: Any, project: Any = None, **kwargs: Any) -> LookoutVisionDataset:
        return LookoutVisionDataset(
            self.stack,
            id,
            project=self.project if project is None else project,
            dataset_type=dataset_type,
            **{"manifest_bucket": self.bucket, "manifest_key": f"{id}/manifest", **kwargs},
        )

    def reference(self, **overrides: Any) -> ILookoutVisionDataset:
        """``Existing``: a train dataset of project alpha that the stack does not own."""
        props: dict[str, Any] = {
            "project": "alpha",
            "dataset_type": "train",
            "images_bucket": self.bucket,
            "images_prefix": "existing/",
        }
        return LookoutVisionDataset.from_dataset_attributes(self.stack, "Existing", **{**props, **overrides})

    def model(self, **overrides: Any) -> LookoutVisionModel:
        props: dict[str, Any] = {"project": self.project, "training_dataset": self.train, "output_bucket": self.bucket}
        return LookoutVisionModel(self.stack, "Model", **{**props, **overrides})


@pytest.fixture
def scene() -> Scene:
    return Scene()


MODEL = "LookoutVisionModel Validation/Model"
REFERENCE = "LookoutVisionDataset.from_dataset_attributes Validation/Existing"

# (case, what builds it, the error, the construct that the message names first, what the message says after it)
CASES: list[tuple[str, Callable[[Scene], Any], type[Exception], str, str]] = [
    (
        "max below min",
        lambda s: s.model(hosting=Hosting(min_inference_units=2, max_inference_units=1)),
        ValueError,
        MODEL,
        r"hosting max_inference_units \(1\) is less than min_inference_units \(2\)",
    ),
    (
        "min zero",
        lambda s: s.model(hosting=Hosting(min_inference_units=0)),
        ValueError,
        MODEL,
        r"invalid min_inference_units: Value 0 at 'MinInferenceUnits' failed to satisfy constraint: Member must have "
        r"value greater than or equal to 1 \(as StartModel would refuse it\)",
    ),
    (
        "hosting not a Hosting",
        lambda s: s.model(hosting=2),
        TypeError,
        MODEL,
        r"hosting must be a Hosting\(min_inference_units=\.\.\.\), not 2",
    ),
    (
        "timeout too long",
        lambda s: s.model(service_timeout=Duration.seconds(3601)),
        ValueError,
        MODEL,
        r"service_timeout is 3601 s; CloudFormation accepts whole seconds from 1 s to 3600 s",
    ),
    (
        "timeout zero",
        lambda s: s.model(service_timeout=Duration.seconds(0)),
        ValueError,
        MODEL,
        r"service_timeout is 0 s",
    ),
    (
        "timeout not whole seconds",
        lambda s: s.model(service_timeout=Duration.millis(1500)),
        ValueError,
        MODEL,
        r"service_timeout is 1.5 s",
    ),
    (
        "timeout not a Duration",
        lambda s: s.model(service_timeout=600),
        TypeError,
        MODEL,
        r"service_timeout must be a Duration, not 600",
    ),
    (
        "dataset timeout too long",
        lambda s: s.dataset("Slow", "train", service_timeout=Duration.hours(2)),
        ValueError,
        "LookoutVisionDataset Validation/Slow",
        r"service_timeout is 7200 s; CloudFormation accepts whole seconds",
    ),
    (
        "dataset timeout not whole seconds",
        lambda s: s.dataset("Slow", "train", service_timeout=Duration.millis(500)),
        ValueError,
        "LookoutVisionDataset Validation/Slow",
        r"service_timeout is 0.5 s",
    ),
    (
        "test as training",
        lambda s: s.model(training_dataset=s.test),
        ValueError,
        MODEL,
        r"training_dataset Validation/Test has dataset_type 'test'; it must be 'train'",
    ),
    (
        "train as test",
        lambda s: s.model(test_dataset=s.train),
        ValueError,
        MODEL,
        r"test_dataset Validation/Train has dataset_type 'train'; it must be 'test'",
    ),
    (
        "dataset of another project",
        lambda s: s.model(project="beta"),
        ValueError,
        MODEL,
        r"training_dataset Validation/Train belongs to project 'alpha' \(Validation/Project\), the model to "
        r"project 'beta' \(a model trains on and is tested with its own project's datasets\)",
    ),
    (
        "test dataset of another project",
        lambda s: s.model(test_dataset=s.dataset("Other", "test", project="beta")),
        ValueError,
        MODEL,
        r"test_dataset Validation/Other belongs to project 'beta', the model to project 'alpha' \(Validation/Project\)",
    ),
    (
        "description with spaces",
        lambda s: s.model(description="has spaces"),
        ValueError,
        MODEL,
        r"invalid description: Value 'has spaces' at 'Description' failed to satisfy constraint",
    ),
    (
        "bad prefix",
        lambda s: s.model(output_prefix="/leading-slash"),
        ValueError,
        MODEL,
        r"invalid output_prefix: Value '/leading-slash' at 'OutputConfig.S3Location.Prefix'",
    ),
    (
        "output bucket by name",
        lambda s: s.model(output_bucket="my-bucket"),
        TypeError,
        MODEL,
        r"output_bucket must be an s3.IBucket \(an s3.Bucket, or s3.Bucket.from_bucket_name\(\.\.\.\)\), "
        r"not 'my-bucket'",
    ),
    (
        "key by id",
        lambda s: s.model(kms_key="1234abcd"),
        TypeError,
        MODEL,
        r"kms_key must be a kms.IKey .*, not '1234abcd'",
    ),
    (
        "tags as a list",
        lambda s: s.model(tags=[("team", "vision")]),
        TypeError,
        MODEL,
        r"tags must be a mapping of tag keys to values, not \[\('team', 'vision'\)\]",
    ),
    (
        "model project of wrong type",
        lambda s: s.model(project=7),
        TypeError,
        MODEL,
        r"project must be a project name \(str\) or a CfnProject, not 7",
    ),
    (
        "bad dataset type",
        lambda s: s.dataset("Validation", "validation"),
        ValueError,
        "LookoutVisionDataset Validation/Validation",
        r"dataset_type must be 'train' or 'test', not 'validation'",
    ),
    (
        "bad project name",
        lambda s: s.dataset("Bad", "train", project="no spaces"),
        ValueError,
        "LookoutVisionDataset Validation/Bad",
        r"invalid project: Value 'no spaces' at 'ProjectName' failed to satisfy constraint",
    ),
    (
        "project of wrong type",
        lambda s: s.dataset("Bad", "train", project=42),
        TypeError,
        "LookoutVisionDataset Validation/Bad",
        r"project must be a project name \(str\) or a CfnProject, not 42",
    ),
    (
        "empty manifest key",
        lambda s: s.dataset("Empty", "train", manifest_key=""),
        ValueError,
        "LookoutVisionDataset Validation/Empty",
        r"invalid manifest_key: Value '' at 'DatasetSource.GroundTruthManifest.S3Object.Key' failed to satisfy "
        r"constraint: Member must have length greater than or equal to 1 \(as CreateDataset would refuse it\)",
    ),
    (
        "no manifest key",
        lambda s: s.dataset("Keyless", "train", manifest_key=None),
        TypeError,
        "LookoutVisionDataset Validation/Keyless",
        r"manifest_key must be a string, not None",
    ),
    (
        "manifest bucket by name",
        lambda s: s.dataset("Named", "train", manifest_bucket="my-bucket"),
        TypeError,
        "LookoutVisionDataset Validation/Named",
        r"manifest_bucket must be an s3.IBucket .*, not 'my-bucket'",
    ),
    (
        "images bucket by name",
        lambda s: s.dataset("Named", "train", images_bucket="my-images"),
        TypeError,
        "LookoutVisionDataset Validation/Named",
        r"images_bucket must be an s3.IBucket .*, not 'my-images'",
    ),
    (
        "snapshot removal policy",
        lambda s: s.model(removal_policy=RemovalPolicy.SNAPSHOT),
        ValueError,
        MODEL,
        "removal_policy RemovalPolicy.SNAPSHOT does not apply; use DESTROY or RETAIN",
    ),
    (
        "dataset not a dataset",
        lambda s: s.model(training_dataset="train"),
        TypeError,
        MODEL,
        r"training_dataset must be a LookoutVisionDataset or LookoutVisionDataset.from_dataset_attributes\(\.\.\.\), "
        r"not 'train'",
    ),
    (
        "images prefix with a wildcard",
        lambda s: s.dataset("Wild", "train", images_prefix="images/*/"),
        ValueError,
        "LookoutVisionDataset Validation/Wild",
        r"invalid images_prefix 'images/\*/': '\*' is not allowed",
    ),
    (
        "images prefix the service refuses",
        lambda s: s.dataset("Slash", "train", images_prefix="/images/"),
        ValueError,
        "LookoutVisionDataset Validation/Slash",
        r"invalid images_prefix: Value '/images/' at 'images_prefix' failed to satisfy constraint: Member must "
        r"satisfy regular expression pattern",
    ),
    (
        "images prefix too long",
        lambda s: s.dataset("Long", "train", images_prefix="a" * 1025),
        ValueError,
        "LookoutVisionDataset Validation/Long",
        r"invalid images_prefix: .*length less than or equal to 1024",
    ),
    (
        "images prefix not a string",
        lambda s: s.dataset("Num", "train", images_prefix=7),
        TypeError,
        "LookoutVisionDataset Validation/Num",
        "images_prefix must be a string, not 7",
    ),
    (
        "images prefix needed for a deploy-time manifest key",
        lambda s: LookoutVisionDataset(
            s.stack,
            "Late",
            project=s.project,
            dataset_type="train",
            manifest_bucket=s.bucket,
            manifest_key=CfnParameter(s.stack, "ManifestKey").value_as_string,
        ),
        ValueError,
        "LookoutVisionDataset Validation/Late",
        "images_prefix is required when manifest_key is known only at deploy time",
    ),
    # A referenced dataset: its props, and a model's use of it.
    (
        "referenced dataset of another type",
        lambda s: s.reference(dataset_type="validation"),
        ValueError,
        REFERENCE,
        r"dataset_type must be 'train' or 'test', not 'validation'",
    ),
    (
        "referenced dataset of a bad project name",
        lambda s: s.reference(project="no spaces"),
        ValueError,
        REFERENCE,
        r"invalid project: Value 'no spaces' at 'ProjectName' failed to satisfy constraint: .* \(as DescribeDataset "
        r"would refuse it\)",
    ),
    (
        "referenced dataset of a project of wrong type",
        lambda s: s.reference(project=None),
        TypeError,
        REFERENCE,
        r"project must be a project name \(str\) or a CfnProject, not None",
    ),
    (
        "referenced dataset's images bucket by name",
        lambda s: s.reference(images_bucket="alpha-images"),
        TypeError,
        REFERENCE,
        r"images_bucket must be an s3.IBucket .*, not 'alpha-images'",
    ),
    (
        "referenced dataset's images prefix with a wildcard",
        lambda s: s.reference(images_prefix="line-*/"),
        ValueError,
        REFERENCE,
        r"invalid images_prefix 'line-\*/': '\*' is not allowed",
    ),
    (
        "referenced dataset's images prefix not given",
        lambda s: s.reference(images_prefix=None),
        TypeError,
        REFERENCE,
        r"images_prefix must be a string, not None",
    ),
    (
        "referenced test dataset as training",
        lambda s: s.model(training_dataset=s.reference(dataset_type="test")),
        ValueError,
        MODEL,
        r"training_dataset Validation/Existing has dataset_type 'test'; it must be 'train'",
    ),
    (
        "referenced dataset of another project",
        lambda s: s.model(test_dataset=s.reference(project="beta", dataset_type="test")),
        ValueError,
        MODEL,
        r"test_dataset Validation/Existing belongs to project 'beta', the model to project 'alpha' "
        r"\(Validation/Project\)",
    ),
]


@pytest.mark.parametrize(("name", "build", "error", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_mistake_fails_at_synth_time_naming_the_construct_and_the_values(
    scene: Scene, name: str, build: Callable[[Scene], Any], error: type[Exception], where: str, message: str
) -> None:
    with pytest.raises(error) as raised:
        build(scene)
    text = str(raised.value)
    assert text.startswith(f"{where}: "), text
    assert re.search(message, text.removeprefix(f"{where}: ")), text


def test_project_by_cfn_project_name_or_ref_is_the_same_project(scene: Scene) -> None:
    scene.model(project="alpha", test_dataset=scene.test)
    LookoutVisionModel(
        scene.stack, "ByRef", project=scene.project.ref, training_dataset=scene.train, output_bucket=scene.bucket
    )


def test_valid_boundaries_are_accepted(scene: Scene) -> None:
    scene.dataset("Quick", "train", service_timeout=Duration.seconds(1))
    scene.dataset("Patient", "test", service_timeout=Duration.hours(1))
    model = scene.model(
        hosting=Hosting(min_inference_units=2, max_inference_units=2),
        service_timeout=Duration.seconds(1),
        description="a-b.c_d",
        tags={"team": "vision"},
    )
    assert model.model_arn


def test_retained_dataset_in_a_deleted_project_is_warned_about(scene: Scene) -> None:
    retained = scene.dataset("Kept", "test", removal_policy=RemovalPolicy.RETAIN)
    kept_in_named_project = scene.dataset("Named", "test", project="beta", removal_policy=RemovalPolicy.RETAIN)
    warnings = [m for m in retained.node.metadata if m.type == "aws:cdk:warning"]
    assert len(warnings) == 1
    assert "Retain the project too" in str(warnings[0].data)
    assert [m for m in kept_in_named_project.node.metadata if m.type == "aws:cdk:warning"] == []


def test_a_referenced_dataset_that_the_stack_declares_too_fails_the_synth() -> None:
    """Checked once the app is built: the reference may come before the dataset it duplicates."""
    app = App(context=SKIP_BUNDLING)
    stack = Stack(app, "Validation")
    bucket = s3.Bucket(stack, "Bucket")
    for project in ("alpha", "beta"):
        LookoutVisionDataset.from_dataset_attributes(
            stack, f"Existing-{project}", project=project, dataset_type="train", images_bucket=bucket, images_prefix=""
        )
    project = lookoutvision.CfnProject(stack, "Project", project_name="alpha")
    LookoutVisionDataset(
        stack, "Train", project=project, dataset_type="train", manifest_bucket=bucket, manifest_key="train.manifest"
    )
    with pytest.raises(RuntimeError) as raised:
        app.synth()
    text = str(raised.value)
    assert text.startswith("ValidationFailedWithErrors: Validation failed with the following errors:"), text
    assert (
        "[Validation/Existing-alpha] LookoutVisionDataset.from_dataset_attributes Validation/Existing-alpha: the train "
        "dataset of project 'alpha' is declared by this stack as Validation/Train: pass that LookoutVisionDataset "
        "instead of a reference"
    ) in text, text
    assert "Existing-beta" not in text  # beta's train dataset is no stack's


def test_a_referenced_dataset_in_a_project_the_stack_deletes_is_warned_about(scene: Scene) -> None:
    in_deleted = scene.reference(project=scene.project, dataset_type="test")
    kept = lookoutvision.CfnProject(scene.stack, "Kept", project_name="kept")
    kept.apply_removal_policy(RemovalPolicy.RETAIN)
    in_retained = LookoutVisionDataset.from_dataset_attributes(
        scene.stack, "InKept", project=kept, dataset_type="train", images_bucket=scene.bucket, images_prefix=""
    )
    [warning] = [str(m.data) for m in in_deleted.node.metadata if m.type == "aws:cdk:warning"]
    assert warning.startswith(
        "The dataset is referenced (the stack does not delete it) but its project Validation/Project is deleted with "
        "the stack"
    ), warning
    assert "Retain the project, or delete the dataset before the stack." in warning
    assert [m for m in in_retained.node.metadata if m.type == "aws:cdk:warning"] == []


def test_a_construct_in_the_providers_place_is_named() -> None:
    stack = Stack(App(context=SKIP_BUNDLING), "Taken")
    Construct(stack, "LookoutVisionProvider")
    bucket = s3.Bucket(stack, "Bucket")
    with pytest.raises(TypeError) as raised:
        LookoutVisionDataset(
            stack, "Train", project="p", dataset_type="train", manifest_bucket=bucket, manifest_key="k"
        )
    assert str(raised.value) == (
        "Taken/LookoutVisionProvider exists and is a Construct, not a LookoutVisionProvider "
        "(the id 'LookoutVisionProvider' is the constructs' at the root of each stack)"
    )
