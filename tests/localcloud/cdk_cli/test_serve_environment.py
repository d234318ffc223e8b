"""What ``serve`` prints for a shell: the CDK CLI's home is the absolute one ``python -m lookoutvision_localcloud cdk``
uses."""

from __future__ import annotations

import os
from pathlib import Path

from lookoutvision_localcloud import serve
from tests.localcloud.cdk_cli.cli_cloud import CliCloud


def test_serve_prints_the_absolute_cdk_home_the_cdk_command_uses(cli_cloud: CliCloud) -> None:
    printed = cli_cloud.serve.environment["CDK_HOME"]
    assert Path(printed).is_absolute()
    assert printed == str(
        serve.cdk_home(os.environ)
    )  # what `python -m lookoutvision_localcloud cdk` uses without --cdk-home
