"""A second app, two stacks each using the constructs, deployed and destroyed together by the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.localcloud.cdk_cli.apps import synth
from tests.localcloud.cdk_cli.cli_cloud import CliCloud

STACKS = {"CliPairA": ("cli-pair-a", None), "CliPairB": ("cli-pair-b", None)}


def test_two_stacks_deploy_and_destroy_together(bootstrapped: CliCloud, tmp_path: Path) -> None:
    cloud = bootstrapped
    app = synth(tmp_path / "pair", STACKS)
    cloud.upload_datasets(app)

    deployed = cloud.cdk("deploy", "--app", str(app), "--all", "--require-approval", "never")
    assert deployed.returncode == 0, deployed.stdout
    cfn = cloud.client("cloudformation")
    functions = set()
    for stack, (project, _) in STACKS.items():
        assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
        [model] = cloud.models(project)
        assert model["Status"] == "TRAINED"
        resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
        functions |= {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Lambda::Function"}
    assert len(functions) == 2  # one provider function per stack

    destroyed = cloud.cdk("destroy", "--app", str(app), "--all", "--force")
    assert destroyed.returncode == 0, destroyed.stdout
    assert not {project for project, _ in STACKS.values()} & set(cloud.projects())
    report = cloud.leftovers(*STACKS)
    assert report["clean"], report
