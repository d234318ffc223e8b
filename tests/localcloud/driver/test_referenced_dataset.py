"""A model trained on a dataset that exists before the deploy, deployed and destroyed by the local driver, IAM
enforced: the stack references the project's train dataset (``LookoutVisionDataset.from_dataset_attributes``)
and declares its test dataset. The deploy trains the model, reading the referenced dataset's images with the
provider's role; the destroy deletes the model and the declared dataset, and leaves the referenced one.

One app, two versions of the stack (synthesized once for the module, its function running the example
assembly's bundled asset): ``referenced``, whose reference says where the images are, and ``misplaced``,
whose reference names another prefix, so that the provider's role may not read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from lookoutvision_cdk import LookoutVisionDataset, LookoutVisionModel
from lookoutvision_localcloud import driver
from lookoutvision_localcloud.lookoutvision import Emulator
from lookoutvision_localcloud.lookoutvision.manifest import DatasetImport, parse
from lookoutvision_localcloud.sample_dataset import SampleDataset
from tests.fixtures.assembly import SKIP_BUNDLING, Assembly, datasets_of_app
from tests.fixtures.driver import run_command, write_versions
from tests.fixtures.emulator import requests_of

pytestmark = pytest.mark.synth

STACK = "ReferencedDataset"
PROJECT = "existing-line"
BUCKET = "line-images"
# The train dataset made outside the stack: its manifest and images under existing/.
EXISTING = SampleDataset(bucket=BUCKET, manifest_key="existing/train.manifest")
PREFIXES = {"referenced": EXISTING.folder, "misplaced": "elsewhere/"}


def _stack(app: App, version: str) -> Stack:
    stack = Stack(app, f"{STACK}-{version}", stack_name=STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Images", BUCKET)
    train = LookoutVisionDataset.from_dataset_attributes(
        stack,
        "Existing",
        project=PROJECT,
        dataset_type="train",
        images_bucket=bucket,
        images_prefix=PREFIXES[version],
    )
    test = LookoutVisionDataset(
        stack, "Test", project=PROJECT, dataset_type="test", manifest_bucket=bucket, manifest_key="test/test.manifest"
    )
    LookoutVisionModel(
        stack,
        "Model",
        project=PROJECT,
        training_dataset=train,
        test_dataset=test,
        output_bucket=bucket,
        output_prefix="output/",
    )
    return stack


@dataclass
class Versions:
    directories: dict[str, Path]


@pytest.fixture(scope="module")
def versions(example_assembly: Assembly, tmp_path_factory: pytest.TempPathFactory) -> Versions:
    app = App(outdir=str(tmp_path_factory.mktemp("referenced-dataset.out")), context=SKIP_BUNDLING)
    stacks = {version: _stack(app, version) for version in PREFIXES}
    directories = write_versions(app, stacks, example_assembly, tmp_path_factory)
    return Versions(directories)


def _existing_train_dataset(emulator: Emulator) -> None:
    """The project and its train dataset as someone made them before the deploy, the manifest read."""
    emulator.backend.create_project(PROJECT)
    location = {"Bucket": BUCKET, "Key": EXISTING.manifest_key}
    emulator.backend.create_dataset(
        PROJECT,
        "train",
        dataset_source={"GroundTruthManifest": {"S3Object": location}},
        dataset_import=DatasetImport(images=parse(EXISTING.manifest())),
    )
    emulator.clock.advance(emulator.settings.durations.creating_dataset + 1)


def _run(command: Any, app: Path, emulator: Emulator, state: Path) -> tuple[driver.RunResult, str]:
    """``command`` with the bucket as the user filled it: the existing dataset's objects and the test dataset's."""
    objects = datasets_of_app(app)
    objects[BUCKET] = {**objects.get(BUCKET, {}), **EXISTING.objects()}
    return run_command(command, app, emulator, state, s3_objects=objects)


def _project(emulator: Emulator) -> dict[str, Any]:
    return dict(emulator.backend.inventory().get(PROJECT, {}))


def test_a_model_trains_on_a_dataset_that_exists_before_the_deploy_and_the_destroy_leaves_it(
    versions: Versions, local_emulator: Emulator, tmp_path: Path
) -> None:
    _existing_train_dataset(local_emulator)
    state = tmp_path / "state"

    deployed, output = _run(driver.deploy, versions.directories["referenced"], local_emulator, state)

    assert deployed.exit_code == 0, output
    assert _project(local_emulator) == {
        "datasets": {"train": "CREATE_COMPLETE", "test": "CREATE_COMPLETE"},
        "models": {"1": "TRAINED"},
    }
    created = [
        (c.params.get("ProjectName"), c.params.get("DatasetType")) for c in requests_of(local_emulator, "CreateDataset")
    ]
    assert created == [(PROJECT, "test")]  # the stack creates the test dataset only
    client = boto3.client("lookoutvision", endpoint_url=local_emulator.endpoint_url, region_name="us-east-1")
    train = client.describe_dataset(ProjectName=PROJECT, DatasetType="train")["DatasetDescription"]
    assert train["ImageStats"]["Total"] == len(EXISTING.image_keys())

    destroyed, output = _run(driver.destroy, versions.directories["referenced"], local_emulator, state)

    assert destroyed.exit_code == 0, output
    assert _project(local_emulator) == {"datasets": {"train": "CREATE_COMPLETE"}, "models": {}}
    # The summary speaks of the stack's own things: the dataset it never owned is still there.
    assert "nothing: no project, dataset or model of the stack in the emulator" in output, output
    deleted = [
        (c.params.get("ProjectName"), c.params.get("DatasetType")) for c in requests_of(local_emulator, "DeleteDataset")
    ]
    assert deleted == [(PROJECT, "test")]


def test_the_images_a_reference_does_not_name_are_not_readable_by_training(
    versions: Versions, local_emulator: Emulator, tmp_path: Path
) -> None:
    """The check above can fail: a reference naming another prefix grants the wrong objects, and training fails."""
    _existing_train_dataset(local_emulator)

    deployed, output = _run(driver.deploy, versions.directories["misplaced"], local_emulator, tmp_path / "state")

    assert deployed.exit_code == 1, output
    assert "ROLLBACK_COMPLETE" in output, output
    model = [c.status for c in local_emulator.backend.history(PROJECT, "1", "MODEL")]
    assert model[:2] == ["TRAINING", "TRAINING_FAILED"], model
    assert f"Failed to read image s3://{BUCKET}/{EXISTING.image_keys()[0][0]} of the train dataset" in output, output
    assert "AccessDenied on s3:GetObject" in output, output
    # Rolled back: the model and the declared test dataset are gone, the referenced train dataset stays.
    assert _project(local_emulator) == {"datasets": {"train": "CREATE_COMPLETE"}, "models": {}}
