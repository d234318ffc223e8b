"""The served local cloud of the CLI tests (``python -m lookoutvision_localcloud serve``), and how a test talks to it.

Every test drives it with the pinned AWS CDK CLI (``python -m lookoutvision_localcloud cdk``'s environment) and
looks at the result through the services' own APIs on the same endpoint (botocore), the local
cloud's leftover check and the emulator's control API.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookoutvision_localcloud.cdk_cli import cdk_command, run_cdk
from lookoutvision_localcloud.s3_upload import upload
from lookoutvision_localcloud.serve import ServeProcess, leftovers
from tests.fixtures.assembly import datasets_of_app
from tests.fixtures.local_cloud import local_client

# 0.005 real s per service s: a 60 s training takes 0.3 s, starting hosting 0.15 s.
TIME_SCALE = 0.005


@dataclass
class CliCloud:
    """The served local cloud, and how a test talks to it."""

    serve: ServeProcess
    cdk_home: Path
    workdir: Path

    @property
    def endpoint_url(self) -> str:
        return self.serve.endpoint_url

    def cdk(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``cdk ARGS`` with the pinned CLI, output captured (stdout and stderr together)."""
        return run_cdk(
            list(args),
            endpoint_url=self.endpoint_url,
            cdk_home=self.cdk_home,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=240,
        )

    def client(self, service: str) -> Any:
        return local_client(self.endpoint_url, service)

    def upload_datasets(self, app: Path) -> None:
        """Put what the app's datasets read into the local S3, as a user does before ``cdk deploy``."""
        upload(self.client("s3"), datasets_of_app(app))

    def cdk_in_background(self, *args: str, log: Path) -> subprocess.Popen[str]:
        """``cdk ARGS`` started, not waited for (its output in ``log``)."""
        command = cdk_command(list(args), endpoint_url=self.endpoint_url, cdk_home=self.cdk_home, cwd=self.workdir)
        with log.open("w") as out:
            return subprocess.Popen(command.argv, cwd=self.workdir, env=command.env, stdout=out, stderr=out, text=True)

    def restart(self) -> None:
        """Stop ``serve`` (as Ctrl-C or SIGTERM stops it) and start it again on the same state directory."""
        self.serve.__exit__(None, None, None)
        self.serve.__enter__()

    def emulator(self, path: str, method: str = "POST", **body: Any) -> Any:
        """A call to the emulator's control API (``/_emulator/<path>``)."""
        request = urllib.request.Request(
            f"{self.endpoint_url}/_emulator/{path}", data=json.dumps(body).encode(), method=method
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def emulator_settings(self, **changes: Any) -> None:
        """Change the emulator's settings through its control API."""
        self.emulator("settings", **changes)

    def leftovers(self, *stack_names: str) -> dict[str, Any]:
        return leftovers(self.endpoint_url, list(stack_names))

    def models(self, project: str) -> list[dict[str, Any]]:
        """The project's model versions as DescribeModel tells them."""
        lookout = self.client("lookoutvision")
        versions = [m["ModelVersion"] for m in lookout.list_models(ProjectName=project)["Models"]]
        return [
            lookout.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]
            for version in versions
        ]

    def projects(self) -> list[str]:
        return sorted(p["ProjectName"] for p in self.client("lookoutvision").list_projects()["Projects"])
