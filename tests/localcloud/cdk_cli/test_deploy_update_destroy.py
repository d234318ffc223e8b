"""The pinned AWS CDK CLI against ``serve``: bootstrap → deploy → inspection → update (hosting) → deploy with no
change → destroy.

After each step the test looks at what the CLI could not tell: the emulator's model versions and
the calls made to it, the stack as the CloudFormation API describes it, the asset in the bootstrap
bucket, and finally the local cloud's check that the destroyed stack left nothing behind. The
deployed model is the one README's inspection client asks (DetectAnomalies) while it is hosted,
and that DetectAnomalies refuses once an update has stopped it.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_localcloud.sample_dataset import sample_image
from tests.localcloud.cdk_cli.apps import synth
from tests.localcloud.cdk_cli.cli_cloud import CliCloud
from tests.localcloud.cdk_cli.inspection import run_inspection_client

STACK = "CliInspection"
PROJECT = "cli-inspection"


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same app twice: its model hosted on one inference unit, then not hosted."""
    return {
        "hosted": synth(tmp_path_factory.mktemp("hosted"), {STACK: (PROJECT, 1)}),
        "unhosted": synth(tmp_path_factory.mktemp("unhosted"), {STACK: (PROJECT, None)}),
    }


def emulator_operations(cloud: CliCloud) -> list[str]:
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(f"{cloud.endpoint_url}/_emulator/calls", timeout=10) as answer:
        return [call["operation"] for call in json.loads(answer.read())]


def stack_of(cloud: CliCloud, name: str) -> dict[str, Any]:
    return dict(cloud.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0])


def assert_provider_logs_in_cloudwatch_logs(cloud: CliCloud, since: int, timeout: float = 20.0) -> None:
    """The provider's invocations are in its log group (what `aws logs tail` reads), a stream per execution
    environment named as Lambda names it in a group the function's LoggingConfig names, each line timestamped."""
    resources = cloud.client("cloudformation").describe_stack_resources(StackName=STACK)["StackResources"]
    [group] = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Logs::LogGroup"]
    [function] = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Lambda::Function"]
    deadline = time.monotonic() + timeout
    while True:  # the last invocation's END and REPORT lines may still be on their way
        events = cloud.client("logs").filter_log_events(logGroupName=group)["events"]
        messages = [event["message"] for event in events]
        started = [m for m in messages if m.startswith("START RequestId:")]
        if started and len(started) == len([m for m in messages if m.startswith("REPORT RequestId:")]):
            break
        assert time.monotonic() < deadline, messages
        time.sleep(0.1)
    assert any("Create Custom::LookoutVisionModel Model" in message for message in messages)  # the provider's own
    assert any("answering SUCCESS" in message for message in messages)
    stream = rf"\d{{4}}/\d{{2}}/\d{{2}}/{function}\[\$LATEST\][0-9a-f]{{32}}"
    assert all(re.fullmatch(stream, event["logStreamName"]) for event in events)
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps) and since <= timestamps[0] and timestamps[-1] <= time.time() * 1000


def test_bootstrap_creates_what_deploy_needs(bootstrapped: CliCloud) -> None:
    toolkit = stack_of(bootstrapped, "CDKToolkit")
    assert toolkit["StackStatus"] == "CREATE_COMPLETE"
    outputs = {output["OutputKey"]: output["OutputValue"] for output in toolkit["Outputs"]}
    assert outputs["BucketName"] == "cdk-hnb659fds-assets-123456789012-us-east-1"
    bootstrapped.client("s3").head_bucket(Bucket=outputs["BucketName"])
    version = bootstrapped.client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
    assert version["Value"] == outputs["BootstrapVersion"]
    roles = {role["RoleName"] for role in bootstrapped.client("iam").list_roles()["Roles"]}
    assert "cdk-hnb659fds-deploy-role-123456789012-us-east-1" in roles


def detect_anomalies(cloud: CliCloud, body: bytes, content_type: str) -> dict[str, Any]:
    """DetectAnomalies on the deployed model: its answer, or the error botocore raised."""
    lookout = cloud.client("lookoutvision")
    try:
        answer = lookout.detect_anomalies(ProjectName=PROJECT, ModelVersion="1", ContentType=content_type, Body=body)
    except lookout.exceptions.ClientError as error:
        return dict(error.response)
    return dict(answer)


def test_deploy_update_no_change_and_destroy(bootstrapped: CliCloud, assemblies: dict[str, Path]) -> None:
    cloud = bootstrapped
    cfn = cloud.client("cloudformation")

    cloud.upload_datasets(assemblies["hosted"])
    started = int(time.time() * 1000)
    deployed = cloud.cdk("deploy", "--app", str(assemblies["hosted"]), "--require-approval", "never")
    assert deployed.returncode == 0, deployed.stdout
    assert f"✅  {STACK}" in deployed.stdout
    assert "CREATE_COMPLETE" in deployed.stdout  # the CLI's own progress, read from the stack's events
    [model] = cloud.models(PROJECT)
    assert (model["ModelVersion"], model["Status"]) == ("1", "HOSTED")
    datasets = cloud.client("lookoutvision").describe_project(ProjectName=PROJECT)["ProjectDescription"]["Datasets"]
    assert [d["DatasetType"] for d in datasets] == ["train"]
    assert stack_of(cloud, STACK)["StackStatus"] == "CREATE_COMPLETE"
    # The function's code is the object the CLI published to the bootstrap bucket.
    template = cfn.get_template(StackName=STACK)["TemplateBody"]
    [code] = [r["Properties"]["Code"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    bucket = "cdk-hnb659fds-assets-123456789012-us-east-1"
    assert cloud.client("s3").head_object(Bucket=bucket, Key=code["S3Key"])["ContentLength"] > 0
    assert_provider_logs_in_cloudwatch_logs(cloud, since=started)

    # README's inspection client, as a user runs it in serve's environment, on images like the dataset's.
    images = {"part-1.png": sample_image(50, anomalous=False), "part-2.png": sample_image(51, anomalous=True)}
    inspected = run_inspection_client(cloud.endpoint_url, cloud.workdir / "inspection", PROJECT, "1", images)
    assert inspected.returncode == 0, inspected.stderr
    assert inspected.stdout.splitlines() == [
        "part-1.png: normal (confidence 1.00)",
        "part-2.png: anomalous (confidence 0.79)",
    ]
    refused = detect_anomalies(cloud, images["part-1.png"], "image/gif")
    assert refused["Error"]["Code"] == "ValidationException"
    assert refused["Error"]["Message"].startswith("ContentType 'image/gif' is not one DetectAnomalies accepts")
    refused = detect_anomalies(cloud, b"%PDF-1.7 not an image", "image/png")
    assert refused["Error"]["Code"] == "ValidationException"
    assert refused["Error"]["Message"] == (
        "Body is not an image the service can analyze: it is not a PNG or JPEG image."
    )
    calls = len(emulator_operations(cloud))

    updated = cloud.cdk("deploy", "--app", str(assemblies["unhosted"]), "--require-approval", "never")
    assert updated.returncode == 0, updated.stdout
    [model] = cloud.models(PROJECT)
    assert (model["ModelVersion"], model["Status"]) == ("1", "TRAINED")  # stopped in place: the same version
    not_hosted = detect_anomalies(cloud, images["part-2.png"], "image/png")
    assert (not_hosted["Error"]["Code"], not_hosted["ResourceType"]) == ("ConflictException", "MODEL")
    assert not_hosted["Error"]["Message"].startswith(f"Model version 1 of project {PROJECT} is TRAINED, not HOSTED")
    since = emulator_operations(cloud)[calls:]
    assert since.count("StopModel") == 1 and "CreateModel" not in since and "DeleteModel" not in since
    stack = stack_of(cloud, STACK)
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    model_events = [e["ResourceStatus"] for e in events if e["ResourceType"] == "Custom::LookoutVisionModel"]
    assert model_events[:2] == ["UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"]

    for extra in ([], ["--force"]):  # skipped by the CLI; forced: a change set that changes nothing
        again = cloud.cdk("deploy", "--app", str(assemblies["unhosted"]), "--require-approval", "never", *extra)
        assert again.returncode == 0, again.stdout
        assert f"✅  {STACK} (no changes)" in again.stdout
    assert stack_of(cloud, STACK)["LastUpdatedTime"] == stack["LastUpdatedTime"]
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == []
    [model] = cloud.models(PROJECT)
    assert model["Status"] == "TRAINED"

    destroyed = cloud.cdk("destroy", "--app", str(assemblies["unhosted"]), "--force", STACK)
    assert destroyed.returncode == 0, destroyed.stdout
    assert f"{STACK}: destroyed" in destroyed.stdout
    assert PROJECT not in cloud.projects()
    report = cloud.leftovers(STACK)
    assert report["clean"], report
    assert report["stacks"][STACK]["status"] == "DELETE_COMPLETE"
