"""README's own app, word for word, in a fresh folder outside the repository, with nothing but what
``pip install 'path/to/this/repo[local]'`` gives (``tests.fixtures.installed``: a fresh virtual environment, one
per session).

The app's ``app.py`` and ``cdk.json`` and the two shell blocks of "Your own app, locally" are read from
README.md, so README cannot drift from what runs here. The first block (``serve``) runs in the background; the
second runs in bash with the ``export`` and ``unset`` lines that ``serve`` printed, in the app's folder, with the
environment's ``bin`` first on PATH (as an activated virtual environment has it). One substitution is applied to
the ``serve`` line, and asserted to apply: ``--port 0`` (a free port: other local clouds may hold 4599 on the
same machine) and ``--time-scale 0.005`` for README's ``0.01`` (a 60 s training takes 0.3 s). The CDK CLI is the
pinned one, from the user's cache (installed there on first use).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.installed import FreshVenv

README = Path(__file__).resolve().parents[1] / "README.md"
HEADING = "### Your own app, locally"
INSTALL_LINE = "pip install 'path/to/this/repo[local]'"
SERVE_SUBSTITUTION = ("serve --time-scale 0.01", "serve --port 0 --time-scale 0.005")
SERVE_START_TIMEOUT = 60.0  # real seconds for serve to print its environment
COMMANDS_TIMEOUT = 600.0

pytestmark = [pytest.mark.install, pytest.mark.synth]


def _block_after(text: str, marker: str, language: str) -> str:
    start = text.index(f"{marker}\n")
    found = re.compile(rf"```{language}\n(.*?)\n```", re.DOTALL).search(text, start)
    assert found is not None, marker
    return found.group(1) + "\n"


def _section_blocks(text: str, heading: str) -> list[str]:
    """The fenced ``sh`` blocks under ``heading``, up to the next heading of its level or above."""
    start = text.index(f"\n{heading}\n")
    following = re.compile(r"^#{2,3} ", re.M).search(text, start + len(heading) + 2)
    section = text[start : following.start() if following else len(text)]
    return [block + "\n" for block in re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)]


def _user_environment(venv: FreshVenv) -> dict[str, str]:
    """A shell with the environment active and none of this session's AWS, CDK or Python settings."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "CDK_", "PYTHON", "LOOKOUTVISION_")) and name != "VIRTUAL_ENV"
    }
    kept["PATH"] = f"{venv.bin}{os.pathsep}{kept.get('PATH', '')}"
    kept["VIRTUAL_ENV"] = str(venv.bin.parent)
    return kept


def _read_environment(serve: subprocess.Popen[str], printed: list[str]) -> list[str]:
    """The ``export``/``unset`` lines serve prints once it serves, read within SERVE_START_TIMEOUT."""
    ready = threading.Event()

    def read() -> None:
        assert serve.stdout is not None
        for line in serve.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("unset "):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(SERVE_START_TIMEOUT), "serve printed no environment:\n" + "\n".join(printed)
    return [line for line in printed if line.startswith(("export ", "unset "))]


def test_readme_s_own_app_deploys_and_destroys_from_a_plain_install(
    fresh_venv_with_local: FreshVenv, tmp_path: Path
) -> None:
    text = README.read_text()
    assert INSTALL_LINE in text  # what fresh_venv_with_local ran, with the path of a copy of this checkout
    serve_block, commands = _section_blocks(text, HEADING)
    assert serve_block.count(SERVE_SUBSTITUTION[0]) == 1, serve_block
    serve_block = serve_block.replace(*SERVE_SUBSTITUTION)

    app = tmp_path / "inspection-app"
    app.mkdir()
    (app / "app.py").write_text(_block_after(text, "`app.py`:", "python"))
    (app / "cdk.json").write_text(_block_after(text, "`cdk.json`:", "json"))
    env = _user_environment(fresh_venv_with_local)

    started = time.monotonic()
    printed: list[str] = []
    serve = subprocess.Popen(
        ["bash", "-c", serve_block],
        cwd=app,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        exports = _read_environment(serve, printed)
        script = "\n".join(["set -euo pipefail", *exports, commands])
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=app,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMANDS_TIMEOUT,
            check=False,
        )
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    output = done.stdout
    assert done.returncode == 0, output[-6000:] + "\nserve:\n" + "\n".join(printed[-40:])
    print(f"README's own app: {time.monotonic() - started:.1f} s from serve to the leftover check")

    assert re.search(r"uploaded 31 files from dataset to s3://my-inspection-images/", output)
    assert "Environment aws://123456789012/us-east-1 bootstrapped" in output
    assert re.search(r"InspectionStack \| +\d+/\d+ \| .* CREATE_COMPLETE +\| AWS::CloudFormation::Stack", output)
    assert "InspectionStack: destroyed" in output
    assert "Left behind by InspectionStack (DELETE_COMPLETE)" in output
    assert "  nothing: no project, dataset or model" in output
    # The installed package ran, not this checkout: the CLI came from node_modules of its version or the cache.
    assert not (app / "node_modules").exists()
