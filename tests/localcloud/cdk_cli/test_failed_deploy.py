"""A deploy whose model fails to train: CloudFormation rolls back, and the CLI exits non-zero with the reason."""

from __future__ import annotations

from pathlib import Path

from tests.localcloud.cdk_cli.apps import synth
from tests.localcloud.cdk_cli.cli_cloud import CliCloud

STACK = "CliFails"
PROJECT = "cli-fails"


def test_a_failed_deploy_rolls_back_and_the_cli_says_why(bootstrapped: CliCloud, tmp_path: Path) -> None:
    cloud = bootstrapped
    app = synth(tmp_path / "fails", {STACK: (PROJECT, None)})
    cloud.upload_datasets(app)
    cloud.emulator_settings(training_outcome="TRAINING_FAILED")
    try:
        failed = cloud.cdk("deploy", "--app", str(app), "--require-approval", "never")
    finally:
        cloud.emulator_settings(training_outcome="TRAINED")
    assert failed.returncode != 0, failed.stdout
    cfn = cloud.client("cloudformation")
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    [failure] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failure["ResourceType"] == "Custom::LookoutVisionModel"
    reason = failure["ResourceStatusReason"]
    assert "training" in reason.lower()
    provider_message = reason.split("Message returned: ", 1)[1].split(" (RequestId:", 1)[0]
    assert provider_message in failed.stdout  # the CLI shows the provider's own reason
    assert "ROLLBACK_COMPLETE" in failed.stdout
    assert PROJECT not in cloud.projects()  # the rollback deleted the model, the dataset and the project

    destroyed = cloud.cdk("destroy", "--app", str(app), "--force", STACK)
    assert destroyed.returncode == 0, destroyed.stdout
    report = cloud.leftovers(STACK)
    assert report["clean"], report
