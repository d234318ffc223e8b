"""README's inspection client, run as a user runs it against the local cloud: ``python inspect_images.py ...``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from lookoutvision_localcloud.cdk_cli import cli_environment

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_inspection_client() -> str:
    """The Python block README shows under "Inspect images with the hosted model"."""
    section = README.read_text().split("### Inspect images with the hosted model", 1)[1]
    [client] = re.findall(r"```python\n(.*?)```", section.split("\n### ", 1)[0], flags=re.DOTALL)
    return client


def run_inspection_client(
    endpoint_url: str, workdir: Path, project: str, version: str, images: Mapping[str, bytes]
) -> subprocess.CompletedProcess[str]:
    """README's client on ``images`` (file name → bytes, written into ``workdir``), in the environment ``serve``
    prints and nothing else; its output captured."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "inspect_images.py").write_text(readme_inspection_client())
    for name, body in images.items():
        (workdir / name).write_bytes(body)
    return subprocess.run(
        [sys.executable, "inspect_images.py", project, version, *images],
        cwd=workdir,
        env=cli_environment(endpoint_url, workdir / "home", os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
