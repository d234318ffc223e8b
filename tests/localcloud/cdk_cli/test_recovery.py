"""Recovery as a CDK user reaches for it, with the pinned CLI against ``serve``.

One stack goes through it: a replacing update of its model is cut off by a stop of ``serve``
while the new version trains (a second ``cdk deploy`` meanwhile fails with CloudFormation's text
for a deployment in progress); when ``serve`` is back, the update rolls back, and its rollback
Update — the provider then deletes the version CloudFormation never learnt of — fails while that
version still trains: ``cdk rollback`` continues the rollback (and fails again, for the same
reason), ``cdk rollback --orphan`` skips the model, and the next ``cdk deploy``, an update in place,
deletes the version left; ``cdk drift`` reports the custom resources unchecked; ``cdk destroy``
leaves nothing behind. And a change set the local cloud cannot play fails with its reason alone.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.localcloud.cdk_cli.apps import synth, synth_queue
from tests.localcloud.cdk_cli.cli_cloud import CliCloud

STACK = "CliRecovery"
PROJECT = "cli-recovery"
MODEL_ID = "Model0301700E"
# The model's ServiceTimeout before the update and during its rollback: 450 s of service time (2.25 s at the tests'
# time scale), whose deadline (405 s) comes before the provider's first invocation (900 s, keeping the last 400 s
# for a hand-over's sockets at this scale) would hand over: the rollback's Update fails at its deadline while
# waiting for version 2's training, and says so.
SHORT = 450


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The app before the update (its model's deadline short), the update (a new description: a new version), and
    the app before it with the model hosted (an update in place)."""
    stacks = {STACK: (PROJECT, None)}
    return {
        "before": synth(tmp_path_factory.mktemp("before"), stacks, service_timeout=SHORT),
        "replacing": synth(tmp_path_factory.mktemp("replacing"), stacks, description="second"),
        "hosted": synth(tmp_path_factory.mktemp("hosted"), {STACK: (PROJECT, 1)}, service_timeout=SHORT),
    }


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {timeout:g} s for {what}"
        time.sleep(0.1)
    return found


def stack_of(cloud: CliCloud) -> dict[str, Any]:
    return dict(cloud.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0])


def settled(cloud: CliCloud) -> dict[str, Any]:
    return dict(
        wait_for(
            lambda: (s := stack_of(cloud))["StackStatus"].endswith(("_COMPLETE", "_FAILED")) and s,
            "the stack to settle",
        )
    )


def versions(cloud: CliCloud) -> dict[str, str]:
    return {model["ModelVersion"]: model["Status"] for model in cloud.models(PROJECT)}


def test_an_update_cut_off_by_a_stop_of_serve_is_rolled_back_and_nothing_is_left(
    bootstrapped: CliCloud, assemblies: dict[str, Path], tmp_path: Path
) -> None:
    cloud = bootstrapped
    cloud.upload_datasets(assemblies["before"])
    deployed = cloud.cdk("deploy", "--app", str(assemblies["before"]), "--require-approval", "never")
    assert deployed.returncode == 0, deployed.stdout
    assert versions(cloud) == {"1": "TRAINED"}

    # The replacing update trains version 2, which stays TRAINING (held) through the stop of serve.
    cloud.emulator("hold", project_name=PROJECT, model_version="2", status="TRAINING")
    replacing = cloud.cdk_in_background(
        "deploy", "--app", str(assemblies["replacing"]), "--require-approval", "never", log=tmp_path / "replacing.log"
    )
    try:
        wait_for(lambda: versions(cloud).get("2") == "TRAINING", "version 2 to train")
        second = cloud.cdk("deploy", "--app", str(assemblies["before"]), "--require-approval", "never")
        assert second.returncode != 0, second.stdout
        assert "An operation on this ChangeSet is currently in progress." in second.stdout, second.stdout
        cloud.restart()
    finally:
        replacing.terminate()
        replacing.wait(timeout=60)

    # Back: the update rolls back; its rollback Update fails while version 2 trains (the model's deadline is short).
    stack = settled(cloud)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_FAILED", stack
    events = cloud.client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"]
    failures = [e.get("ResourceStatusReason") or "" for e in events if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert "the local cloud stopped before a response" in failures[-1]  # the cut-off Update, the first failure
    assert "model 2 of project cli-recovery is still TRAINING" in failures[0], failures  # the rollback's Update
    assert "newer than version 1" in failures[0]

    again = cloud.cdk("rollback", "--app", str(assemblies["before"]), STACK)
    assert again.returncode != 0, again.stdout
    assert "still TRAINING" in again.stdout and "--orphan" in again.stdout, again.stdout
    orphaned = cloud.cdk("rollback", "--app", str(assemblies["before"]), "--orphan", MODEL_ID, STACK)
    assert orphaned.returncode == 0, orphaned.stdout
    assert stack_of(cloud)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert versions(cloud) == {"1": "TRAINED", "2": "TRAINING"}

    # Training ends: the next update in place (the model hosted) deletes the version no update answered.
    cloud.emulator("hold", method="DELETE", project_name=PROJECT, model_version="2")
    hosted = cloud.cdk("deploy", "--app", str(assemblies["hosted"]), "--require-approval", "never")
    assert hosted.returncode == 0, hosted.stdout
    assert versions(cloud) == {"1": "HOSTED"}

    drift = cloud.cdk("drift", "--app", str(assemblies["hosted"]), STACK)
    assert drift.returncode == 0, drift.stdout
    assert "No drift detected" in drift.stdout, drift.stdout
    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "lookoutvision_localcloud",
            "status",
            "--state-dir",
            str(cloud.serve.state_dir),
            "--stack",
            STACK,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"{STACK}  UPDATE_COMPLETE" in status.stdout, status.stdout

    destroyed = cloud.cdk("destroy", "--app", str(assemblies["hosted"]), "--force", STACK)
    assert destroyed.returncode == 0, destroyed.stdout
    report = cloud.leftovers(STACK)
    assert report["clean"], report


def test_a_change_set_the_local_cloud_cannot_play_fails_with_its_reason(bootstrapped: CliCloud, tmp_path: Path) -> None:
    app = synth_queue(tmp_path / "queue", "CliQueue")
    failed = bootstrapped.cdk("deploy", "--app", str(app), "--require-approval", "never")
    assert failed.returncode != 0, failed.stdout
    assert "The local cloud cannot play these resource types: [AWS::SQS::Queue (Queue4A7E3555)]" in failed.stdout
    assert "Could not retrieve additional details" not in failed.stdout, failed.stdout
