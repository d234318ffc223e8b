"""The provider's per-project policies through updates: a project's policy is deleted only after the
last Delete of its models and datasets, in an update's cleanup, in a rollback's cleanup and on destroy.

One stack, four versions of it (synthesized once for the module, its function running the example
assembly's bundled asset): ``lines`` (projects alpha and beta, each a train dataset and a model);
``retired`` (beta only); ``moved`` (alpha keeps its dataset, its model trains in a new project
gamma); ``clash`` (``moved`` plus a project whose Create fails once the moved model is updated, so
the update rolls back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3

from lookoutvision_cdk import LookoutVisionDataset, LookoutVisionModel, LookoutVisionProvider
from lookoutvision_localcloud import driver
from lookoutvision_localcloud.cloudformation.records import Status
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.assembly import SKIP_BUNDLING, Assembly
from tests.fixtures.driver import run_app, write_versions
from tests.fixtures.emulator import requests_of

pytestmark = pytest.mark.synth

STACK = "ProjectPolicies"
VERSIONS = ("lines", "retired", "moved", "clash")


def _line(stack: Stack, bucket: s3.IBucket, name: str, *, model: bool = True) -> LookoutVisionDataset:
    project = lookoutvision.CfnProject(stack, name.capitalize(), project_name=name)
    train = LookoutVisionDataset(
        stack,
        f"{name.capitalize()}Train",
        project=project,
        dataset_type="train",
        manifest_bucket=bucket,
        manifest_key=f"{name}/train.manifest",
    )
    if model:
        LookoutVisionModel(
            stack, f"{name.capitalize()}Model", project=project, training_dataset=train, output_bucket=bucket
        )
    return train


def _stack(app: App, version: str) -> Stack:
    stack = Stack(app, f"{STACK}-{version}", stack_name=STACK)
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "training-data")
    if version != "retired":
        _line(stack, bucket, "alpha", model=version == "lines")
    _line(stack, bucket, "beta")
    if version in ("moved", "clash"):
        gamma = _line(stack, bucket, "gamma", model=False)
        model = LookoutVisionModel(
            stack, "AlphaModel", project=gamma.project, training_dataset=gamma, output_bucket=bucket
        )
        if version == "clash":
            clash = lookoutvision.CfnProject(stack, "Clash", project_name="beta")  # beta exists: Create fails
            clash.node.add_dependency(model)
    return stack


@dataclass
class Versions:
    directories: dict[str, Path]
    policies: dict[str, str]  # project name → its policy's logical id (the same in every version)


@pytest.fixture(scope="module")
def versions(example_assembly: Assembly, tmp_path_factory: pytest.TempPathFactory) -> Versions:
    app = App(outdir=str(tmp_path_factory.mktemp("project-policies.out")), context=SKIP_BUNDLING)
    stacks = {version: _stack(app, version) for version in VERSIONS}
    provider = LookoutVisionProvider.of(stacks["clash"])
    policies = {
        name: stacks["clash"].get_logical_id(provider.project_policy(name).policy.node.default_child)
        for name in ("alpha", "beta", "gamma")
    }
    directories = write_versions(app, stacks, example_assembly, tmp_path_factory)
    return Versions(directories, policies)


def _events(result: driver.RunResult) -> list[tuple[str, Status]]:
    return [(e.logical_id, e.status) for op in result.operations for e in op.events]


def _deleted_before_policy(events: list[tuple[str, Status]], resources: list[str], policy: str) -> None:
    """Each of ``resources`` was deleted, and before ``policy``'s Delete started."""
    policy_deleted = events.index((policy, Status.DELETE_IN_PROGRESS))
    for logical_id in resources:
        assert events.index((logical_id, Status.DELETE_COMPLETE)) < policy_deleted, (logical_id, events)


def _projects(emulator: Emulator) -> set[str]:
    client = boto3.client("lookoutvision", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    return {p["ProjectName"] for p in client.list_projects()["Projects"]}


def _custom_resources_of(directory: Path, project_logical_id: str) -> list[str]:
    template = json.loads((directory / f"{STACK}.template.json").read_text())
    return [
        k
        for k, v in template["Resources"].items()
        if v["Type"].startswith("Custom::") and v["Properties"]["ProjectName"] == {"Ref": project_logical_id}
    ]


def test_a_retired_line_is_deleted_before_its_projects_policy(
    versions: Versions, local_emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    deployed, output = run_app(driver.deploy, versions.directories["lines"], local_emulator, state)
    assert deployed.exit_code == 0, output

    updated, output = run_app(driver.deploy, versions.directories["retired"], local_emulator, state)

    assert updated.exit_code == 0, output
    events = _events(updated)
    assert not [e for e in events if e[1] == Status.DELETE_FAILED], events
    alpha = _custom_resources_of(versions.directories["lines"], "Alpha")
    assert len(alpha) == 2
    _deleted_before_policy(events, alpha, versions.policies["alpha"])
    assert (versions.policies["beta"], Status.UPDATE_IN_PROGRESS) not in events  # beta's rights untouched
    assert _projects(local_emulator) == {"beta"}
    destroyed, output = run_app(driver.destroy, versions.directories["retired"], local_emulator, state)
    assert destroyed.exit_code == 0, output
    assert _projects(local_emulator) == set()


def test_a_moved_model_and_the_rollback_of_its_move_are_deleted_with_their_projects_rights(
    versions: Versions, local_emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    deployed, output = run_app(driver.deploy, versions.directories["lines"], local_emulator, state)
    assert deployed.exit_code == 0, output
    [model] = [k for k in _custom_resources_of(versions.directories["lines"], "Alpha") if k.startswith("AlphaModel")]
    first = deployed.operations[0].state.resources[model].physical_id
    assert first is not None and "/alpha/" in first

    # The move fails later (Clash): the rollback's cleanup deletes the version made in gamma, then gamma's policy.
    rolled_back, output = run_app(driver.deploy, versions.directories["clash"], local_emulator, state)
    assert rolled_back.exit_code == 1, output
    events = _events(rolled_back)
    assert events[-1] == (STACK, Status.UPDATE_ROLLBACK_COMPLETE), events
    assert not [e for e in events if e[1] == Status.DELETE_FAILED], events
    gamma_version = [c for c in requests_of(local_emulator, "DeleteModel") if c.params.get("ProjectName") == "gamma"]
    assert len(gamma_version) == 1, "the new version in gamma is deleted in the rollback's cleanup"
    _deleted_before_policy(events, [model], versions.policies["gamma"])
    assert _projects(local_emulator) == {"alpha", "beta"}
    assert rolled_back.operations[-1].state.resources[model].physical_id == first

    # The move succeeds: the cleanup deletes the old version in alpha, whose policy (alpha keeps its dataset) stays.
    moved, output = run_app(driver.deploy, versions.directories["moved"], local_emulator, state)
    assert moved.exit_code == 0, output
    events = _events(moved)
    assert not [e for e in events if e[1] == Status.DELETE_FAILED], events
    assert (versions.policies["alpha"], Status.DELETE_IN_PROGRESS) not in events
    old_version = first.split("/")[-2:]
    deleted = [
        [c.params.get("ProjectName"), c.params.get("ModelVersion")] for c in local_emulator.calls_of("DeleteModel")
    ]
    assert old_version in deleted, "the old version in alpha is deleted in the cleanup"
    assert "/gamma/" in str(moved.operations[-1].state.resources[model].physical_id)

    destroyed, output = run_app(driver.destroy, versions.directories["moved"], local_emulator, state)
    assert destroyed.exit_code == 0, output
    assert _projects(local_emulator) == set()
