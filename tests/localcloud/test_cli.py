"""``python -m lookoutvision_localcloud``: exit codes, output and state between separate deploy and destroy runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_localcloud import cli
from tests.fixtures.driver import custom, write_assembly, write_stack
from tests.fixtures.state import saved_stack


def stack_documents(state_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((state_dir / "stacks").glob("*.json"))]


def projects_on_disk(state_dir: Path) -> list[str]:
    saved = json.loads((state_dir / "lookoutvision.json").read_text())
    return [project["name"] for project in saved["projects"]]


def test_deploy_then_destroy_in_separate_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two processes, as a user runs them: the second one finds the stack and the emulator on disk."""
    app = write_stack(
        tmp_path / "cdk.out",
        {
            "Project": {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "cli-project"}},
            "Thing": custom(Value={"Ref": "Project"}),
        },
    )
    state_dir = tmp_path / "state"
    common = ["--state-dir", str(state_dir)]
    deploy = subprocess.run(
        [
            sys.executable,
            "-m",
            "lookoutvision_localcloud",
            "deploy",
            "--app",
            str(app),
            "--time-scale",
            "0.01",
            *common,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert "CREATE_COMPLETE       AWS::CloudFormation::Stack" in deploy.stdout
    [document] = stack_documents(state_dir)  # the stack's document, as the CloudFormation API keeps one too
    saved = document["State"]
    assert (saved["StackName"], saved["TimeScale"]) == ("S", 0.01)
    assert saved["Resources"]["Project"]["physical_id"] == "cli-project"
    assert json.loads(document["template_body"])["Resources"]["Project"]["Properties"] == {"ProjectName": "cli-project"}
    assert projects_on_disk(state_dir) == ["cli-project"]
    assert cli.main(["status", *common]) == 0
    status = capsys.readouterr().out
    assert "S  CREATE_COMPLETE  (time scale 0.01" in status
    assert "cli-project" in status and "AWS::LookoutVision::Project" in status

    destroy = subprocess.run(
        [sys.executable, "-m", "lookoutvision_localcloud", "destroy", *common],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert "time scale 0.01" in destroy.stdout  # the deployed stack's pace
    assert "DeleteProject" in destroy.stdout
    assert "nothing: no project, dataset or model" in destroy.stdout
    assert stack_documents(state_dir) == []
    assert projects_on_disk(state_dir) == []
    assert cli.main(["status", *common]) == 0
    assert "no stack deployed locally" in capsys.readouterr().out


def test_up_fails_when_a_resource_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = write_stack(tmp_path / "cdk.out", {"Bad": custom("fail")})
    code = cli.main(["up", "--app", str(app), "--time-scale", "0.01", "--state-dir", str(tmp_path / "state")])
    assert code == 1
    output = capsys.readouterr().out
    assert "CREATE_FAILED" in output
    assert "ROLLBACK_COMPLETE" in output
    assert output.rstrip().endswith("FAILED: ROLLBACK_COMPLETE")


def test_emulator_settings_reach_the_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "quota"}}
    app = write_stack(tmp_path / "cdk.out", {"Project": project})
    argv = ["up", "--app", str(app), "--state-dir", str(tmp_path / "state"), "--time-scale", "0.01"]
    assert cli.main([*argv, "--emulator-setting", "max_projects=0"]) == 1
    assert "ServiceQuotaExceededException" in capsys.readouterr().out


def test_a_sample_dataset_uploaded_before_the_deploy_is_in_its_bucket(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``sample-dataset`` writes the files, ``up --upload`` puts them in the bucket the stack then uses."""
    assert cli.main(["sample-dataset", str(tmp_path / "data"), "--bucket", "cli-data"]) == 0
    assert "wrote datasets/train/train.manifest and 30 images" in capsys.readouterr().out
    assert (tmp_path / "data" / "datasets" / "train" / "images" / "anomaly-10.png").is_file()
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"}],
    }
    resources = {
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "cli-data", "PolicyDocument": policy}}
    }
    app = write_assembly(tmp_path / "cdk.out", "S", {"Resources": resources})
    argv = ["up", "--app", str(app), "--state-dir", str(tmp_path / "state"), "--time-scale", "0.01"]
    assert cli.main([*argv, "--upload", f"{tmp_path / 'data'}=s3://cli-data"]) == 0
    assert "Uploaded 31 objects to s3://cli-data" in capsys.readouterr().out
    assert cli.main([*argv]) == 1  # without the upload, the bucket does not exist
    assert "CREATE_FAILED" in capsys.readouterr().out


def test_a_deploy_whose_cleanup_cannot_delete_the_replaced_bucket_fails_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The update completes (UPDATE_COMPLETE), but the old bucket, holding data, is left: exit status 1."""
    state = ["--state-dir", str(tmp_path / "state"), "--time-scale", "0.01"]
    for version, name in (("v1", "cleanup-old"), ("v2", "cleanup-new")):
        bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}
        write_assembly(tmp_path / version, "S", {"Resources": {"Data": bucket}})
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kept.txt").write_text("a bucket holding an object cannot be deleted")
    assert cli.main(["deploy", "--app", str(tmp_path / "v1"), *state]) == 0
    capsys.readouterr()

    upload = f"{tmp_path / 'data'}=s3://cleanup-old"
    assert cli.main(["deploy", "--app", str(tmp_path / "v2"), "--upload", upload, *state]) == 1
    output = capsys.readouterr().out
    assert "DELETE_FAILED         AWS::S3::Bucket                  Data" in output
    assert (
        "UPDATE_COMPLETE       AWS::CloudFormation::Stack       S  Update successful. One or more resources" in output
    )
    assert "LEFT: AWS::S3::Bucket cleanup-old, removed from the stack by an update's cleanup" in output
    assert output.rstrip().endswith("FAILED: UPDATE_COMPLETE")
    saved = saved_stack(tmp_path / "state", "S")
    assert saved is not None
    assert saved["StackStatus"] == "UPDATE_COMPLETE"
    assert saved["Resources"]["Data"]["physical_id"] == "cleanup-new"
    assert cli.main(["destroy", *state[:2]]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--app", "/nonexistent/cdk.out"], "point --app at the directory `cdk synth` writes"),
        (["destroy"], "nothing to destroy"),
        (["up", "--time-scale", "0"], "--time-scale must be positive"),
        (["up", "--parameter", "novalue"], "expected KEY=VALUE"),
        (["up", "--emulator-setting", "colour=blue"], "unknown emulator setting"),
        (["up", "--upload", "data"], "expected FOLDER=s3://BUCKET[/PREFIX]"),
        (["up", "--upload", "data=bucket"], "not an S3 location"),
        (["up", "--upload", "/nonexistent=s3://bucket"], "/nonexistent is not a folder"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*argv, "--state-dir", str(tmp_path / "state")]) == 2
    assert message in capsys.readouterr().err
