"""Cold start as Lambda runs it: the first Lookout for Vision call ÷ a bare boto3 function's, and the asset's size.

Measured: a fresh process of the runtime's Python (CPython 3.13, ``-I -S -B``: its standard
library compiled as installed, nothing else importable, nothing written), the asset exactly as
``cdk synth`` bundles it first on ``sys.path`` (``lookoutvision_cdk.lambda_asset``: its bytecode compiled
for 3.13), then the runtime's boto3. It imports ``lookoutvision_cdk_provider.handler`` and runs the production
handler (``make_handler`` with the production settings, but for the local response endpoint it
may answer to) on a Delete of a TRAINED model: crhelper's clients, the Lookout client, its first
call (the owner check, ListTagsForResource), then the rest of the Delete.

Baseline: a bare function in the same kind of process doing the same call with the runtime's
boto3 (``lookoutvision_localcloud.awslambda.runtimes``: the same boto3 version installed for 3.13 and compiled,
as Lambda's runtime ships it precompiled) and the Lookout for Vision model on ``AWS_DATA_PATH``:
``import boto3``, a client, ``describe_model``.

Each figure runs from the process's first statement (interpreter start-up, the same for both, is
not counted) to the moment the emulator answered the process's first call (its call record, at time
scale 1, read on the wall clock): one round trip each. The two alternate in the same run; the
medians are compared. The asset is zipped as the CDK CLI zips it (yazl: deflate at zlib's default
level) and measured beside.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore

from bench.results import Figure, Section, median
from lookoutvision_cdk import lambda_asset
from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.identifiers import OWNER_TAG_KEY, owner_tag_value
from lookoutvision_localcloud.awslambda.runtimes import Runtime, local_runtime
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Durations, Emulator, Settings

TARGET_RATIO = 1.3
ZIP_BUDGET = 2_000_000  # bytes: the asset's budget
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
PROJECT = "bench-cold"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/0"
LOGICAL_ID = "Model"
# The RequestId of the Create that the arranged model versions are tagged as made by.
ARRANGED_CREATE = "0b0e0c00-0000-4000-8000-00000000c4ea"
OUTPUT = {"S3Location": {"Bucket": "bench-data", "Prefix": "output/"}}
MANIFEST = {"GroundTruthManifest": {"S3Object": {"Bucket": "bench-data", "Key": "train.manifest"}}}
# The provider function: its handler, as deployed but for the local response endpoint it may answer to
# (``extra_response_hosts``, as the local Lambda names it), on a Delete request (argv: sys.path entries,
# the event, the endpoint's host).
_PROVIDER = """
import time
began = time.time()
import json, sys
sys.path[:0] = sys.argv[1].split(":")
import lookoutvision_cdk_provider.handler
from lookoutvision_cdk_provider.config import ProviderConfig
handler = lookoutvision_cdk_provider.handler.make_handler(ProviderConfig(extra_response_hosts=(sys.argv[3],)))
class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-cold-start"
    aws_request_id = "bench"
    function_name = "bench-cold-start"
    deadline = time.time() + 900
    def get_remaining_time_in_millis(self):
        return int((self.deadline - time.time()) * 1000)
handler(json.loads(sys.argv[2]), Context())
print(json.dumps(began))
"""
# The bare function: the runtime's boto3, one client, one call (argv: sys.path entries, project, version).
_BARE = """
import time
began = time.time()
import json, sys
sys.path[:0] = sys.argv[1].split(":")
import boto3
boto3.client("lookoutvision").describe_model(ProjectName=sys.argv[2], ModelVersion=sys.argv[3])
print(json.dumps(began))
"""


@dataclass(frozen=True)
class Options:
    runs: int = 11


def run(options: Options) -> Section:
    began = time.monotonic()
    asset = lambda_asset.provider_asset()
    runtime = local_runtime(lambda_asset.RUNTIME_NAME)
    samples: dict[str, list[float]] = {"provider": [], "bare": []}
    durations = Durations(deleting=0.05, list_models_lag=0, list_models_lag_after_create=0)
    settings = Settings(time_scale=1.0, requests_per_second=None, durations=durations)
    with (
        Emulator(settings) as emulator,
        ResponseEndpoint() as endpoint,
        tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch,
    ):
        env = _environment(emulator, endpoint, Path(scratch))
        emulator.backend.create_project(PROJECT)
        emulator.backend.create_dataset(PROJECT, "train", dataset_source=MANIFEST)
        emulator.clock.advance(settings.durations.creating_dataset + 1)
        for index in range(options.runs):
            pair = [("provider", _provider_answer), ("bare", _bare_answer)]
            for key, measure in pair if index % 2 == 0 else pair[::-1]:
                samples[key].append(measure(emulator, endpoint, env, asset, runtime))
    medians = {key: median(values) for key, values in samples.items()}
    size = asset_size(asset)
    python = subprocess.run(
        [runtime.interpreter, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    figures = [
        Figure(
            key="cold_start.first_call",
            title="Cold start as Lambda runs it: import + first Lookout call answered ÷ a bare boto3 function's",
            measured=medians["provider"],
            baseline=medians["bare"],
            unit="s",
            measured_label="provider asset (3.13 bytecode)",
            baseline_label="runtime's boto3 (compiled)",
            target=f"≤ {TARGET_RATIO:g}",
            met=medians["provider"] / medians["bare"] <= TARGET_RATIO,
            note=(
                f"Python {python} ({runtime.interpreter}) and boto3 {importlib.metadata.version('boto3')} in both; "
                f"the asset is {size['zip_bytes'] / 1e6:.2f} MB zipped."
            ),
        ),
        Figure(
            key="cold_start.asset_zip",
            title="Lambda asset, zipped ÷ its 2 MB budget",
            measured=size["zip_bytes"],
            baseline=ZIP_BUDGET,
            unit="B",
            measured_label="asset.zip",
            baseline_label="2 MB budget",
            target="≤ 1",
            met=size["zip_bytes"] <= ZIP_BUDGET,
            note=(
                f"{size['files']} files, {size['unzipped_bytes']:,} B unzipped "
                f"({size['unzipped_bytes'] / LAMBDA_UNZIPPED_LIMIT:.1%} of Lambda's 250 MB); largest: "
                + ", ".join(f"{name} {zipped / 1000:.0f} kB" for name, zipped in size["largest_zipped"].items())
                + "."
            ),
        ),
    ]
    details: dict[str, Any] = {
        "method": (
            f"{options.runs} fresh processes of each, alternating: python{lambda_asset.PYTHON_VERSION} -I -S -B, the "
            "provider asset (then the runtime's boto3) or the runtime's boto3 alone on sys.path; from the first "
            "statement to the emulator's answer to DescribeModel (time scale 1); medians."
        ),
        "samples": samples,
        "medians": medians,
        "interpreter": {"path": runtime.interpreter, "version": python},
        "asset": size,
    }
    return Section("cold_start", figures, details, time.monotonic() - began)


def _environment(emulator: Emulator, endpoint: ResponseEndpoint, scratch: Path) -> dict[str, str]:
    """A function's environment: region, credentials, the local endpoints, the Lookout model for the bare one."""
    model = scratch / "models"
    shutil.copytree(Path(botocore.__file__).parent / "data" / "lookoutvision", model / "lookoutvision")
    return {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": str(scratch / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "none"),
        "AWS_ENDPOINT_URL_LOOKOUTVISION": emulator.endpoint_url,
        "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:9",  # nothing listens: a hand-over would fail loudly
        "AWS_DATA_PATH": str(model),
        "SSL_CERT_FILE": endpoint.ca_file,
    }


def _trained_model(emulator: Emulator) -> str:
    """A TRAINED version carrying the owner tag of the custom resource whose Delete the provider gets."""
    owner = [{"Key": OWNER_TAG_KEY, "Value": owner_tag_value(STACK_ID, LOGICAL_ID, ARRANGED_CREATE)}]
    model = emulator.backend.create_model(PROJECT, output_config=OUTPUT, tags=owner)["ModelMetadata"]
    emulator.backend.set_status(PROJECT, model["ModelVersion"], "TRAINED")
    return str(model["ModelVersion"])


def _provider_answer(
    emulator: Emulator, endpoint: ResponseEndpoint, env: dict[str, str], asset: Path, runtime: Runtime
) -> float:
    version = _trained_model(emulator)
    request_id = f"bench-cold-{version}"
    event = {
        "RequestType": "Delete",
        "ResponseURL": endpoint.response_url(request_id, signed_at=time.time()),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": LOGICAL_ID,
        "ResourceType": consts.MODEL_RESOURCE_TYPE,
        "PhysicalResourceId": emulator.backend.model_arn(PROJECT, version),
        "ResourceProperties": {consts.PROJECT_NAME: PROJECT, consts.OUTPUT_CONFIG: OUTPUT},
    }
    path = f"{asset}:{runtime.packages}"
    seconds = _first_call(emulator, runtime, [_PROVIDER, path, json.dumps(event), endpoint.host], env)
    if endpoint.wait(request_id, timeout=60).get("Status") != "SUCCESS":
        raise RuntimeError(f"the cold Delete was not answered SUCCESS: {endpoint.responses(request_id)}")
    return seconds


def _bare_answer(
    emulator: Emulator, endpoint: ResponseEndpoint, env: dict[str, str], asset: Path, runtime: Runtime
) -> float:
    version = _trained_model(emulator)
    return _first_call(emulator, runtime, [_BARE, str(runtime.packages), PROJECT, version], env)


def _first_call(emulator: Emulator, runtime: Runtime, script: list[str], env: dict[str, str]) -> float:
    """Run ``script`` in a fresh process; seconds from its first statement to the answer of its first call."""
    service_ahead = emulator.clock.now() - time.time()  # the emulator's clock runs at scale 1, maybe advanced
    before = len(emulator.calls)
    done = subprocess.run(
        [runtime.interpreter, "-I", "-S", "-B", "-c", *script], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cold-start process failed: {done.stderr[-2000:]}")
    began = float(json.loads(done.stdout.strip().splitlines()[-1]))
    answers = emulator.calls[before:]
    if not answers or not answers[0].ok:
        raise RuntimeError(f"the first call was not answered: {answers[:1]}")
    return answers[0].answered - service_ahead - began


def asset_size(asset: Path) -> dict[str, Any]:
    """The asset zipped as the CDK CLI zips it (yazl: deflate at zlib's default level): size, files, largest parts."""
    files = sorted(p for p in asset.rglob("*") if p.is_file() and p.name != ".bundle-complete")
    with tempfile.TemporaryDirectory(prefix="bench-asset-") as scratch:
        archive = Path(scratch) / "asset.zip"
        zipped: dict[str, int] = {}
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            for path in files:
                name = path.relative_to(asset).as_posix()
                out.write(path, name)
                top = name.split("/", 1)[0]
                zipped[top] = zipped.get(top, 0) + out.getinfo(name).compress_size
        return {
            "zip_bytes": archive.stat().st_size,
            "unzipped_bytes": sum(p.stat().st_size for p in files),
            "files": len(files),
            "largest_zipped": dict(sorted(zipped.items(), key=lambda kv: -kv[1])[:5]),
        }
