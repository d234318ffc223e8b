"""One ``python -m lookoutvision_localcloud serve`` (a child process) for the CLI tests of this package, bootstrapped
once."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from lookoutvision_localcloud.cloud import ACCOUNT_ID, REGION
from lookoutvision_localcloud.serve import ServeProcess
from tests.localcloud.cdk_cli.cli_cloud import TIME_SCALE, CliCloud


@pytest.fixture(scope="package")
def cli_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliCloud]:
    state = tmp_path_factory.mktemp("serve")
    log = tmp_path_factory.mktemp("serve-log") / "serve.log"
    with ServeProcess(state, TIME_SCALE, log) as served:
        yield CliCloud(served, state / "cdk-home", tmp_path_factory.mktemp("cli-workdir"))


@pytest.fixture(scope="package")
def bootstrap(cli_cloud: CliCloud) -> subprocess.CompletedProcess[str]:
    """``cdk bootstrap`` of the local account and region, once for the package."""
    ran = cli_cloud.cdk("bootstrap", f"aws://{ACCOUNT_ID}/{REGION}")
    assert ran.returncode == 0, ran.stdout
    return ran


@pytest.fixture
def bootstrapped(cli_cloud: CliCloud, bootstrap: subprocess.CompletedProcess[str]) -> CliCloud:
    return cli_cloud
