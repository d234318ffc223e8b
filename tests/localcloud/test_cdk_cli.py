"""``python -m lookoutvision_localcloud cdk``: the CLI's environment reaches the local cloud and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookoutvision_localcloud import cli
from lookoutvision_localcloud.cdk_cli import UnsafeEndpointError, cli_environment


def test_the_environment_names_the_local_cloud_only(tmp_path: Path) -> None:
    inherited = {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "production",
        "AWS_SESSION_TOKEN": "token",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
        "CDK_DEFAULT_ACCOUNT": "999999999999",
        "HTTPS_PROXY": "http://proxy:3128",
        "AWS_ENDPOINT_URL_LOOKOUTVISION": "http://127.0.0.1:8123",
    }
    env = cli_environment("http://127.0.0.1:4599", tmp_path / "home", inherited)
    assert env["PATH"] == "/usr/bin"
    for removed in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "CDK_DEFAULT_ACCOUNT"):
        assert removed not in env
    assert "HTTPS_PROXY" not in env
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert env["AWS_ENDPOINT_URL_LOOKOUTVISION"] == "http://127.0.0.1:8123"  # a local one the user set is kept
    assert env["CDK_HOME"] == str(tmp_path / "home")
    assert Path(env["AWS_CONFIG_FILE"]).read_text() == ""  # no profile, no configured endpoint
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_REGION"]) == ("localcloud", "us-east-1")


@pytest.mark.parametrize(
    ("endpoint", "inherited"),
    [
        ("https://cloudformation.us-east-1.amazonaws.com", {}),
        ("http://127.0.0.1:4599", {"AWS_ENDPOINT_URL_S3": "https://s3.amazonaws.com"}),
        ("http://10.0.0.5:4599", {}),
    ],
)
def test_an_endpoint_that_is_not_local_is_refused(tmp_path: Path, endpoint: str, inherited: dict[str, str]) -> None:
    with pytest.raises(UnsafeEndpointError, match="not a local endpoint"):
        cli_environment(endpoint, tmp_path, inherited)


def test_the_command_refuses_before_running_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cdk", "--endpoint", "https://cloudformation.us-east-1.amazonaws.com", "--cdk-home", str(tmp_path)]
    assert cli.main([*argv, "--", "deploy"]) == 2
    assert "refusing to run the CDK CLI: not a local endpoint" in capsys.readouterr().err


def test_nothing_listening_locally_is_refused_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cdk", "--endpoint", "http://127.0.0.1:9", "--cdk-home", str(tmp_path), "--", "deploy"]
    assert cli.main(argv) == 2
    assert "the local cloud does not answer at http://127.0.0.1:9" in capsys.readouterr().err


def test_the_cli_runs_with_the_cdk_home_serve_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CDK_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    home = tmp_path / "cache" / "lookoutvision-cdk" / "cdk-home"
    with pytest.raises(SystemExit):
        cli.main(["cdk", "--help"])
    assert str(home) in capsys.readouterr().out.replace("\n", "").replace(" ", "")
    assert cli.main(["cdk", "--endpoint", "http://127.0.0.1:9", "--", "deploy"]) == 2  # not run: nothing answers
    assert (home / "no-aws-config").is_file()  # the CLI's environment was built there


def test_upload_refuses_an_endpoint_that_is_not_local(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["upload", str(tmp_path), "s3://data", "--endpoint", "https://s3.us-east-1.amazonaws.com"]
    assert cli.main(argv) == 2
    assert "refusing to use https://s3.us-east-1.amazonaws.com: not a local endpoint" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "message"),
    [("data", "not an S3 location: 'data'"), ("s3://data", "is not a folder")],
)
def test_upload_names_what_is_wrong_with_its_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    assert cli.main(["upload", str(tmp_path / "missing"), target, "--endpoint", "http://127.0.0.1:9"]) == 2
    assert message in capsys.readouterr().err


def test_leftovers_needs_the_local_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["leftovers", "InspectionStack", "--endpoint", "http://127.0.0.1:9"]) == 2
    assert "the local cloud does not answer at http://127.0.0.1:9" in capsys.readouterr().err
