"""``python -m localcloud demo`` (``make demo``): the real AWS CDK CLI deploys and destroys the example app locally.

It starts ``python -m localcloud serve`` on a free port with a fresh state directory, runs
``cdk bootstrap``, ``cdk deploy`` and ``cdk destroy`` of the example app through
``python -m localcloud cdk`` (the CLI prints its own progress), then asks the local cloud what the
destroyed stack left behind: it exits 1 if anything is left, or if any step failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from localcloud.cdk_cli import run_cdk
from localcloud.cloudformation.assembly import CloudAssembly
from localcloud.cloudformation.errors import LocalCloudFormationError
from localcloud.serve import ACCOUNT_ID, CONTROL_PREFIX, REGION

SERVE_START_TIMEOUT = 60.0  # real seconds for `serve` to print its endpoint


class ServeProcess:
    """``python -m localcloud serve`` in a child process; its output goes to ``log``. A context manager."""

    def __init__(self, state_dir: Path, time_scale: float, log: Path) -> None:
        self.state_dir = state_dir
        self._command = [
            sys.executable,
            "-m",
            "localcloud",
            "serve",
            "--port",
            "0",
            "--time-scale",
            repr(time_scale),
            "--state-dir",
            str(state_dir),
        ]
        self._log_path = log
        self._log: IO[str] | None = None
        self._process: subprocess.Popen[str] | None = None
        self.environment: dict[str, str] = {}

    @property
    def endpoint_url(self) -> str:
        return self.environment["AWS_ENDPOINT_URL"]

    def __enter__(self) -> ServeProcess:
        self._log = self._log_path.open("w")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self._command, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1
        )
        assert self._process.stdout is not None
        ready = threading.Event()
        threading.Thread(target=self._read, args=(self._process.stdout, ready), daemon=True).start()
        if not ready.wait(SERVE_START_TIMEOUT):
            self.__exit__(None, None, None)
            raise LocalCloudFormationError(
                f"`serve` printed no endpoint within {SERVE_START_TIMEOUT:g} s: {self.tail()}"
            )
        return self

    def _read(self, stream: IO[str], ready: threading.Event) -> None:
        for line in stream:
            assert self._log is not None
            self._log.write(line)
            self._log.flush()
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                self.environment[name] = value
            elif line.startswith("unset "):
                ready.set()

    def tail(self, lines: int = 30) -> str:
        text = self._log_path.read_text() if self._log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *exc_info: Any) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()


def leftovers(endpoint_url: str, stack_names: list[str]) -> dict[str, Any]:
    """What the local cloud says the named stacks left behind (``/_localcloud/leftovers``)."""
    query = urlencode([("stack", name) for name in stack_names])
    with urllib.request.urlopen(f"{endpoint_url}{CONTROL_PREFIX}leftovers?{query}", timeout=60) as answer:  # noqa: S310
        report: dict[str, Any] = json.loads(answer.read())
    return report


def print_leftovers(report: dict[str, Any]) -> None:
    for name, entry in report["stacks"].items():
        print(f"\nLeft behind by {name} ({entry['status']})")
        for item in entry["problems"]:
            print(f"  LEFT: {item}")
        for item in entry["retained"]:
            print(f"  retained (DeletionPolicy Retain): {item}")
        if entry["clean"]:
            print("  nothing: no project, dataset or model, no function, role or log group, no pending invocation")


def run_demo(root: Path, time_scale: float, state_dir: Path | None = None) -> int:
    """Bootstrap, deploy and destroy the app in ``root`` with the real CLI against ``serve``; 0 if nothing is left."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as temporary:
        state = state_dir or Path(temporary) / "state"
        log = Path(temporary) / "serve.log"
        print(f"$ python -m localcloud serve --port 0 --time-scale {time_scale:g} --state-dir {state}", flush=True)
        with ServeProcess(state, time_scale, log) as served:
            print(f"  serving every service on {served.endpoint_url}\n", flush=True)
            steps = [
                ["bootstrap", f"aws://{ACCOUNT_ID}/{REGION}"],
                ["deploy", "--require-approval", "never"],
                ["destroy", "--force"],
            ]
            for args in steps:
                print(f"$ python -m localcloud cdk -- {' '.join(args)}", flush=True)
                code = run_cdk(args, endpoint_url=served.endpoint_url, cdk_home=state / "cdk-home", cwd=root)
                if code != 0:
                    print(f"\nFAILED: cdk {args[0]} exited {code}; the local cloud's log:\n{served.tail()}")
                    return 1
            names = CloudAssembly.read(root / "cdk.out").stack_names
            report = leftovers(served.endpoint_url, names)
            print_leftovers(report)
    verdict = "OK: bootstrap, deploy, destroy" if report["clean"] else "FAILED: something was left behind"
    print(f"\n{verdict} ({time.monotonic() - started:.0f} s)")
    return 0 if report["clean"] else 1
