"""``python -m localcloud demo`` (``make demo``): the real AWS CDK CLI deploys and destroys the example app locally.

It starts ``python -m localcloud serve`` on a free port with a fresh state directory, runs
``cdk bootstrap``, ``cdk deploy`` and ``cdk destroy`` of the example app through
``python -m localcloud cdk`` (the CLI prints its own progress), then asks the local cloud what the
destroyed stack left behind: it exits 1 if anything is left, or if any step failed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from localcloud.cdk_cli import run_cdk
from localcloud.cloudformation.assembly import CloudAssembly
from localcloud.serve import ACCOUNT_ID, REGION, ServeProcess, leftovers


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
                code = run_cdk(args, endpoint_url=served.endpoint_url, cdk_home=state / "cdk-home", cwd=root).returncode
                if code != 0:
                    print(f"\nFAILED: cdk {args[0]} exited {code}; the local cloud's log:\n{served.tail()}")
                    return 1
            names = CloudAssembly.read(root / "cdk.out").stack_names
            report = leftovers(served.endpoint_url, names)
            print_leftovers(report)
    verdict = "OK: bootstrap, deploy, destroy" if report["clean"] else "FAILED: something was left behind"
    print(f"\n{verdict} ({time.monotonic() - started:.0f} s)")
    return 0 if report["clean"] else 1
