"""Synth-time validation: cross-prop mistakes fail when the construct is created, with a clear message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, RemovalPolicy, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3

from cdk_app import Hosting, LookoutVisionDataset, LookoutVisionModel
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
            manifest_bucket=self.bucket,
            manifest_key=f"{id}/manifest",
            **kwargs,
        )

    def model(self, **overrides: Any) -> LookoutVisionModel:
        props: dict[str, Any] = {"project": self.project, "training_dataset": self.train, "output_bucket": self.bucket}
        return LookoutVisionModel(self.stack, "Model", **{**props, **overrides})


@pytest.fixture
def scene() -> Scene:
    return Scene()


CASES: list[tuple[str, Callable[[Scene], Any], type[Exception], str]] = [
    (
        "max below min",
        lambda s: s.model(hosting=Hosting(min_inference_units=2, max_inference_units=1)),
        ValueError,
        r"max_inference_units \(1\) is less than min_inference_units \(2\)",
    ),
    ("min zero", lambda s: s.model(hosting=Hosting(min_inference_units=0)), ValueError, "min_inference_units"),
    (
        "timeout too long",
        lambda s: s.model(service_timeout=Duration.seconds(3601)),
        ValueError,
        r"service_timeout is 3601 s; CloudFormation accepts whole seconds from 1 s to 3600 s",
    ),
    (
        "timeout zero",
        lambda s: s.model(service_timeout=Duration.seconds(0)),
        ValueError,
        r"service_timeout is 0 s",
    ),
    (
        "timeout not whole seconds",
        lambda s: s.model(service_timeout=Duration.millis(1500)),
        ValueError,
        r"service_timeout is 1.5 s",
    ),
    (
        "dataset timeout too long",
        lambda s: s.dataset("Slow", "train", service_timeout=Duration.hours(2)),
        ValueError,
        r"LookoutVisionDataset Validation/Slow: service_timeout is 7200 s; CloudFormation accepts whole seconds",
    ),
    (
        "dataset timeout not whole seconds",
        lambda s: s.dataset("Slow", "train", service_timeout=Duration.millis(500)),
        ValueError,
        r"service_timeout is 0.5 s",
    ),
    ("test as training", lambda s: s.model(training_dataset=s.test), ValueError, "it must be 'train'"),
    ("train as test", lambda s: s.model(test_dataset=s.train), ValueError, "it must be 'test'"),
    (
        "dataset of another project",
        lambda s: s.model(project="beta"),
        ValueError,
        "belongs to another project",
    ),
    (
        "test dataset of another project",
        lambda s: s.model(test_dataset=s.dataset("Other", "test", project="beta")),
        ValueError,
        "Other belongs to another project",
    ),
    ("description with spaces", lambda s: s.model(description="has spaces"), ValueError, "invalid description"),
    ("bad prefix", lambda s: s.model(output_prefix="/leading-slash"), ValueError, "invalid output_prefix"),
    ("bad dataset type", lambda s: s.dataset("Validation", "validation"), ValueError, "must be 'train' or 'test'"),
    ("bad project name", lambda s: s.dataset("Bad", "train", project="no spaces"), ValueError, "invalid project"),
    ("project of wrong type", lambda s: s.dataset("Bad", "train", project=42), TypeError, "project name"),
    (
        "snapshot removal policy",
        lambda s: s.model(removal_policy=RemovalPolicy.SNAPSHOT),
        ValueError,
        "removal_policy .* does not apply",
    ),
    ("dataset not a dataset", lambda s: s.model(training_dataset="train"), TypeError, "LookoutVisionDataset"),
    (
        "images prefix with a wildcard",
        lambda s: s.dataset("Wild", "train", images_prefix="images/*/"),
        ValueError,
        r"LookoutVisionDataset Validation/Wild: invalid images_prefix 'images/\*/': '\*' is not allowed",
    ),
    (
        "images prefix the service refuses",
        lambda s: s.dataset("Slash", "train", images_prefix="/images/"),
        ValueError,
        r"invalid images_prefix: Value '/images/' at 'images_prefix' failed to satisfy constraint: Member must "
        r"satisfy regular expression pattern",
    ),
    (
        "images prefix too long",
        lambda s: s.dataset("Long", "train", images_prefix="a" * 1025),
        ValueError,
        r"invalid images_prefix: .*length less than or equal to 1024",
    ),
    ("images prefix not a string", lambda s: s.dataset("Num", "train", images_prefix=7), TypeError, "images_prefix"),
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
        "images_prefix is required when manifest_key is known only at deploy time",
    ),
]


@pytest.mark.parametrize(("name", "build", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_mistake_fails_at_synth_time(
    scene: Scene, name: str, build: Callable[[Scene], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build(scene)


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
