"""``python -m lookoutvision_localcloud demo`` (``make demo``): the real AWS CDK CLI deploys and destroys the example
app locally.

It starts ``python -m lookoutvision_localcloud serve`` on a free port with a fresh state directory, creates the
example's data bucket and uploads a small Ground Truth dataset into it (the manifest and the images
it lists, through the local S3 API, as a user does with ``aws s3``), runs ``cdk bootstrap``,
``cdk deploy`` and ``cdk destroy`` of the example app through ``python -m lookoutvision_localcloud cdk`` (the CLI
prints its own progress), then asks the local cloud what the destroyed stack left behind: it exits
1 if anything is left, or if any step failed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from lookoutvision_localcloud.cdk_cli import run_cdk
from lookoutvision_localcloud.cloud import ACCOUNT_ID, REGION
from lookoutvision_localcloud.cloudformation.assembly import CloudAssembly
from lookoutvision_localcloud.s3_upload import upload
from lookoutvision_localcloud.sample_dataset import SampleDataset
from lookoutvision_localcloud.serve import ServeProcess, leftovers, local_client

# The example app's data: an existing bucket (context value dataBucket) holding its manifest and images.
DATA_BUCKET = "lookoutvision-example-data"
MANIFEST_KEY = "datasets/train/train.manifest"  # the example's default manifestKey


def print_leftovers(report: dict[str, Any]) -> None:
    for name, entry in report["stacks"].items():
        print(f"\nLeft behind by {name} ({entry['status']})")
        for item in entry["problems"]:
            print(f"  LEFT: {item}")
        for item in entry["retained"]:
            print(f"  retained (DeletionPolicy Retain): {item}")
        if entry["clean"]:
            print(
                "  nothing: no project, dataset or model of the stack, no function, role or log group, "
                "no pending invocation"
            )


def seed_data_bucket(endpoint_url: str) -> None:
    """Create the example's data bucket and upload its dataset through the S3 API at ``endpoint_url``."""
    dataset = SampleDataset(bucket=DATA_BUCKET, manifest_key=MANIFEST_KEY)
    s3 = local_client(endpoint_url, "s3")
    print(f"The data bucket, as `aws s3 mb s3://{DATA_BUCKET}` and `aws s3 sync` make it (CreateBucket, PutObject):")
    count = upload(s3, {DATA_BUCKET: dataset.objects()})
    print(
        f"  s3://{DATA_BUCKET}: {count} objects, {MANIFEST_KEY} and the {count - 1} PNG images it lists "
        f"({dataset.normal} normal, {dataset.anomalous} anomalous) under {dataset.folder}images/\n",
        flush=True,
    )


def run_demo(root: Path, time_scale: float, state_dir: Path | None = None) -> int:
    """Bootstrap, deploy and destroy the app in ``root`` with the real CLI against ``serve``; 0 if nothing is left."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as temporary:
        state = state_dir or Path(temporary) / "state"
        log = Path(temporary) / "serve.log"
        print(
            f"$ python -m lookoutvision_localcloud serve --port 0 --time-scale {time_scale:g} --state-dir {state}",
            flush=True,
        )
        with ServeProcess(state, time_scale, log) as served:
            print(f"  serving every service on {served.endpoint_url}\n", flush=True)
            seed_data_bucket(served.endpoint_url)
            data = ["-c", f"dataBucket={DATA_BUCKET}"]  # every command synthesizes the app
            steps = [
                ["bootstrap", *data, f"aws://{ACCOUNT_ID}/{REGION}"],
                ["deploy", *data, "--require-approval", "never"],
                ["destroy", *data, "--force"],
            ]
            for args in steps:
                print(f"$ python -m lookoutvision_localcloud cdk -- {' '.join(args)}", flush=True)
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
