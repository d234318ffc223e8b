"""The pinned AWS CDK CLI against ``serve`` (IAM enforced), one stack through a sequence of its app's versions.

Two inspection lines are deployed; one is retired; the other's model moves to a new project, first
with a training that fails (the update rolls back), then again with one that succeeds; then the
stack is destroyed. Each line's resources depend on its project's policy, so every Delete in an
update's cleanup, a rollback's cleanup and the stack's deletion keeps its rights. After each step
the emulator holds exactly what the app's deployed version declares, and no Delete failed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.localcloud.cdk_cli.apps import synth_lines
from tests.localcloud.cdk_cli.cli_cloud import CliCloud

STACK = "CliLines"
PREFIX = "cli-line-"
VERSIONS = {
    "two lines": {"ModelA": f"{PREFIX}a", "ModelB": f"{PREFIX}b"},
    "retired": {"ModelA": f"{PREFIX}a"},  # line b (its model, dataset and project) leaves the app
    "moved": {"ModelA": f"{PREFIX}c"},  # model A trains in a new project with its own dataset; project a leaves
}

# Project name → its datasets' (type, status) and its model versions' statuses.
Holdings = dict[str, dict[str, list[Any]]]


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        version: synth_lines(tmp_path_factory.mktemp(version.replace(" ", "-")), STACK, lines)
        for version, lines in VERSIONS.items()
    }


def declared(assembly: Path) -> Holdings:
    """What the app's stack declares: each project with its datasets and its models, hosted where hosting is set."""
    resources = json.loads((assembly / f"{STACK}.template.json").read_text())["Resources"]
    names = {
        logical_id: r["Properties"]["ProjectName"]
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::LookoutVision::Project"
    }
    holdings: Holdings = {name: {"datasets": [], "models": []} for name in names.values()}
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "Custom::LookoutVisionDataset":  # its Create ends once the service imported it
            holdings[names[properties["ProjectName"]["Ref"]]]["datasets"].append(
                (properties["DatasetType"], "CREATE_COMPLETE")
            )
        elif resource["Type"] == "Custom::LookoutVisionModel":
            status = "HOSTED" if "Hosting" in properties else "TRAINED"
            holdings[names[properties["ProjectName"]["Ref"]]]["models"].append(status)
    return {name: {kind: sorted(items) for kind, items in held.items()} for name, held in holdings.items()}


def held(cloud: CliCloud) -> Holdings:
    """What the emulator holds of the app's projects: their datasets (as DescribeDataset tells them) and models."""
    lookout = cloud.client("lookoutvision")
    holdings: Holdings = {}
    for project in (name for name in cloud.projects() if name.startswith(PREFIX)):
        listed = lookout.describe_project(ProjectName=project)["ProjectDescription"]["Datasets"]
        datasets = [
            (kind, lookout.describe_dataset(ProjectName=project, DatasetType=kind)["DatasetDescription"]["Status"])
            for kind in (d["DatasetType"] for d in listed)
        ]
        holdings[project] = {"datasets": sorted(datasets), "models": sorted(m["Status"] for m in cloud.models(project))}
    return holdings


def stack_events(cloud: CliCloud, stack_id: str) -> list[dict[str, Any]]:
    pages = cloud.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack_id)
    return [event for page in pages for event in page["StackEvents"]]


def assert_holds_what_is_declared(cloud: CliCloud, assembly: Path, stack_id: str) -> None:
    """The emulator holds exactly what ``assembly`` declares, the stack's models are its versions, no Delete failed."""
    holdings = held(cloud)
    assert holdings == declared(assembly)
    models = {
        r["PhysicalResourceId"]
        for r in cloud.client("cloudformation").describe_stack_resources(StackName=stack_id)["StackResources"]
        if r["ResourceType"] == "Custom::LookoutVisionModel"
    }
    assert models == {m["ModelArn"] for project in holdings for m in cloud.models(project)}
    failed = [e for e in stack_events(cloud, stack_id) if e["ResourceStatus"] == "DELETE_FAILED"]
    assert not failed, failed


def deploy(cloud: CliCloud, assembly: Path) -> subprocess.CompletedProcess[str]:
    return cloud.cdk("deploy", "--app", str(assembly), "--require-approval", "never")


def test_lines_retired_moved_rolled_back_moved_and_destroyed(
    bootstrapped: CliCloud, assemblies: dict[str, Path]
) -> None:
    cloud = bootstrapped
    cfn = cloud.client("cloudformation")
    for assembly in assemblies.values():
        cloud.upload_datasets(assembly)

    # 1. Two lines, each a project with its train dataset and a hosted model.
    deployed = deploy(cloud, assemblies["two lines"])
    assert deployed.returncode == 0, deployed.stdout
    stack_id = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    assert sorted(held(cloud)) == [f"{PREFIX}a", f"{PREFIX}b"]
    assert_holds_what_is_declared(cloud, assemblies["two lines"], stack_id)

    # 2. Line b retired: its model (stopped first), dataset, project and policy are deleted in the cleanup.
    retired = deploy(cloud, assemblies["retired"])
    assert retired.returncode == 0, retired.stdout
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert_holds_what_is_declared(cloud, assemblies["retired"], stack_id)
    [before_move] = cloud.models(f"{PREFIX}a")

    # 3. Model A moved to project c, whose training fails: the update rolls back, project c goes with it.
    cloud.emulator_settings(training_outcome="TRAINING_FAILED")
    try:
        failed = deploy(cloud, assemblies["moved"])
    finally:
        cloud.emulator_settings(training_outcome="TRAINED")
    assert failed.returncode != 0, failed.stdout
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    [failure] = [e for e in stack_events(cloud, stack_id) if e["ResourceStatus"] in {"CREATE_FAILED", "UPDATE_FAILED"}]
    assert failure["LogicalResourceId"].startswith("ModelA")
    reason = failure["ResourceStatusReason"]
    provider_message = reason.split("Message returned: ", 1)[1].split(" (RequestId:", 1)[0]
    assert "training" in provider_message.lower()
    assert provider_message in failed.stdout  # the CLI shows the provider's own reason
    assert f"❌  {STACK} failed to deploy" in failed.stdout
    resources = cfn.describe_stack_resources(StackName=stack_id)["StackResources"]
    [group] = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Logs::LogGroup"]
    logs = failed.stdout.split(f"Logs from {group}:", 1)[1]  # and the provider's logs, read from CloudWatch Logs
    assert f"Update {failure['LogicalResourceId']}: answering FAILED" in logs
    assert_holds_what_is_declared(cloud, assemblies["retired"], stack_id)
    assert cloud.models(f"{PREFIX}a") == [before_move]  # the same version, still hosted, untouched

    # 4. The same move, trained: the cleanup deletes model A's old version, then project a's dataset, project, policy.
    moved = deploy(cloud, assemblies["moved"])
    assert moved.returncode == 0, moved.stdout
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert_holds_what_is_declared(cloud, assemblies["moved"], stack_id)

    # 5. Destroyed: nothing of the stack is left.
    destroyed = cloud.cdk("destroy", "--app", str(assemblies["moved"]), "--force", STACK)
    assert destroyed.returncode == 0, destroyed.stdout
    assert held(cloud) == {}
    assert not [e for e in stack_events(cloud, stack_id) if e["ResourceStatus"] == "DELETE_FAILED"]
    report = cloud.leftovers(STACK)
    assert report["clean"], report
    assert report["stacks"][STACK]["status"] == "DELETE_COMPLETE"
