"""Cold start: importing the provider's handler ÷ a bare ``import boto3``, and the Lambda asset's size.

Each import runs in a fresh interpreter (``python -c``), timed inside it from just before the
import statement to just after, so interpreter start-up is not counted for either; the two
alternate in the same run and the medians are compared. A second pair imports both from source,
with no usable bytecode cache (``-X pycache_prefix`` pointing at an empty directory, nothing
written): the asset is bundled without ``.pyc`` files (``pip --no-compile``, ``*.pyc`` excluded)
and Lambda's /var/task is read-only, so that is what the provider's own modules and the boto3
it bundles cost on a real cold start, whereas the runtime's boto3 comes compiled.

The asset is what ``cdk synth`` bundles (``cdk_app.bundling.LocalPipBundling`` into a temporary
directory: pip for the Lambda platform from the package index, cached on disk), zipped as CDK
zips assets (deflate, level 9);
its size is compared with Lambda's 50 MB limit for a zipped upload.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Figure, Section, median
from bench.rig import ROOT
from localcloud.cloudformation.response_endpoint import ResponseEndpoint
from provider import consts

TARGET_RATIO = 1.2
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # bytes, a zipped deployment package uploaded directly
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
HANDLER_MODULE = "provider.handler"
# A fresh interpreter's first request: the handler imported, crhelper and the Lookout client
# built, a Delete answered (a physical id that is no model ARN: no call to the service), the
# response PUT over HTTPS. The context is defined inline so nothing else is imported.
_FIRST_ANSWER = """
import json, sys, time
began = time.perf_counter()
import provider.handler
from provider.config import ProviderConfig
class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
    deadline = time.time() + 900
    def get_remaining_time_in_millis(self):
        return int((self.deadline - time.time()) * 1000)
# The local response endpoint (sys.argv[2]) is named, as the local Lambda names it.
provider.handler.make_handler(ProviderConfig(extra_response_hosts=(sys.argv[2],)))(json.loads(sys.argv[1]), Context())
print(json.dumps(time.perf_counter() - began))
"""
# The least a Lookout for Vision function does before its first call: boto3 and one client.
_BARE_FIRST_CLIENT = """
import json, time
began = time.perf_counter()
import boto3
boto3.client("lookoutvision")
print(json.dumps(time.perf_counter() - began))
"""
_TIMED_IMPORT = (
    "import time, json; t = time.perf_counter(); import {module}; print(json.dumps(time.perf_counter() - t))"
)


@dataclass(frozen=True)
class Options:
    runs: int = 11
    asset: bool = True


def import_seconds(module: str, *, from_source: bool = False, scratch: Path | None = None) -> float:
    """Seconds to import ``module`` in a fresh interpreter (start-up excluded)."""
    command = [sys.executable]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if from_source:
        if scratch is None:
            raise ValueError("from_source needs a scratch directory")
        command += ["-X", f"pycache_prefix={scratch}"]
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    command += ["-c", _TIMED_IMPORT.format(module=module)]
    return _timed(command, env)


def _timed(command: list[str], env: dict[str, str]) -> float:
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[-1][:60]!r} failed: {done.stderr[-1500:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def _source_runs(runs: int) -> int:
    """The secondary figures (from source, first answer) take fewer samples: each costs several imports."""
    return max(1, (runs + 1) // 2)


def first_answers(runs: int) -> dict[str, list[float]]:
    """Fresh interpreters: import to the first Delete answered, and bare boto3 to its first client."""
    samples: dict[str, list[float]] = {"first_answer": [], "bare_first_client": []}
    with ResponseEndpoint() as endpoint, tempfile.TemporaryDirectory(prefix="bench-aws-") as scratch:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "PYTHONPATH": str(ROOT),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_CONFIG_FILE": str(Path(scratch) / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(Path(scratch) / "none"),
            "SSL_CERT_FILE": endpoint.ca_file,
        }
        for index in range(runs):
            request_id = f"bench-cold-{index}"
            event = {
                "RequestType": "Delete",
                "ResponseURL": endpoint.response_url(request_id, signed_at=time.time()),
                "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/0",
                "RequestId": request_id,
                "LogicalResourceId": "Model",
                "ResourceType": consts.MODEL_RESOURCE_TYPE,
                "PhysicalResourceId": "bench-no-model",
                "ResourceProperties": {},
            }
            first = [sys.executable, "-c", _FIRST_ANSWER, json.dumps(event), endpoint.host]
            bare = [sys.executable, "-c", _BARE_FIRST_CLIENT]
            pair = [("first_answer", first), ("bare_first_client", bare)]
            for key, command in pair if index % 2 == 0 else pair[::-1]:
                samples[key].append(_timed(command, env))
            if endpoint.wait(request_id, timeout=30).get("Status") != "SUCCESS":
                raise RuntimeError(f"the cold Delete was not answered SUCCESS: {endpoint.responses(request_id)}")
    return samples


def run(options: Options) -> Section:
    began = time.monotonic()
    samples: dict[str, list[float]] = {"handler": [], "boto3": [], "handler_source": [], "boto3_source": []}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as scratch:
        import_seconds(HANDLER_MODULE)  # the bytecode cache written once, outside the measurements
        for index in range(options.runs):
            pair = [("handler", HANDLER_MODULE), ("boto3", "boto3")]
            for key, module in pair if index % 2 == 0 else pair[::-1]:
                samples[key].append(import_seconds(module))
                if index < _source_runs(options.runs):
                    samples[f"{key}_source"].append(import_seconds(module, from_source=True, scratch=Path(scratch)))
    samples.update(first_answers(_source_runs(options.runs)))
    medians = {key: median(values) for key, values in samples.items()}
    figures = [
        Figure(
            key="cold_start.import",
            title="Cold start: import provider.handler ÷ import boto3",
            measured=medians["handler"],
            baseline=medians["boto3"],
            unit="s",
            measured_label="provider.handler",
            baseline_label="boto3",
            target=f"≤ {TARGET_RATIO:g}",
            met=medians["handler"] / medians["boto3"] <= TARGET_RATIO,
        ),
        Figure(
            key="cold_start.import_from_source",
            title="Cold start without .pyc (as the asset ships) ÷ compiled boto3 (as the runtime's)",
            measured=medians["handler_source"],
            baseline=medians["boto3"],
            unit="s",
            measured_label="provider.handler from source",
            baseline_label="boto3 compiled",
            note=f"boto3 alone from source: {medians['boto3_source']:.3f} s.",
        ),
        Figure(
            key="cold_start.first_answer",
            title="Cold start to the first answer ÷ bare boto3 and one client",
            measured=medians["first_answer"],
            baseline=medians["bare_first_client"],
            unit="s",
            measured_label="import + first Delete answered",
            baseline_label="import boto3 + boto3.client('lookoutvision')",
            note=(
                "the first request builds crhelper's lambda, events and logs clients and the Lookout client, "
                "then PUTs the response over HTTPS."
            ),
        ),
    ]
    details: dict[str, Any] = {
        "method": (
            f"{options.runs} fresh interpreters per import ({_source_runs(options.runs)} for the from-source and "
            "first-answer figures), alternating; import time only (interpreter start-up "
            "excluded); medians. From source: -X pycache_prefix=<empty dir> with PYTHONDONTWRITEBYTECODE=1. "
            "First answer: a fresh interpreter imports the handler and answers one Delete that needs no "
            "service call (response PUT to the local HTTPS endpoint)."
        ),
        "samples": samples,
        "medians": medians,
    }
    if options.asset:
        asset = asset_size()
        details["asset"] = asset
        figures.append(
            Figure(
                key="cold_start.asset_zip",
                title="Lambda asset, zipped ÷ Lambda's zipped-upload limit",
                measured=asset["zip_bytes"],
                baseline=LAMBDA_ZIP_LIMIT,
                unit="B",
                measured_label="asset.zip",
                baseline_label="50 MB limit",
                note=(
                    f"{asset['files']} files, {asset['unzipped_bytes']:,} B unzipped "
                    f"({asset['unzipped_bytes'] / LAMBDA_UNZIPPED_LIMIT:.1%} of the 250 MB limit); "
                    f"bundled in {asset['bundle_seconds']:.1f} s ({'from the cache' if asset['cached'] else 'pip'})."
                ),
            )
        )
    else:
        details["asset"] = None
    return Section("cold_start", figures, details, time.monotonic() - began)


def asset_size(cache_dir: Path | None = None) -> dict[str, Any]:
    """Bundle the provider as ``cdk synth`` does (``LocalPipBundling``, cached), zip it, measure it."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from cdk_app import bundling  # noqa: PLC0415 (imports aws_cdk, which starts jsii: only when measured)

    cache = cache_dir or bundling.default_cache_dir()
    cached = (cache / bundling.bundle_key()).is_dir()
    with tempfile.TemporaryDirectory(prefix="bench-asset-") as scratch:
        output = Path(scratch) / "asset"
        output.mkdir()
        began = time.monotonic()
        if not bundling.LocalPipBundling(cache_dir=cache).try_bundle(str(output)):
            raise RuntimeError("local bundling of the provider asset failed (see the message above)")
        bundle_seconds = time.monotonic() - began
        files = sorted(p for p in output.rglob("*") if p.is_file())
        archive = Path(scratch) / "asset.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(output).as_posix())
        return {
            "zip_bytes": archive.stat().st_size,
            "unzipped_bytes": sum(p.stat().st_size for p in files),
            "files": len(files),
            "bundle_seconds": bundle_seconds,
            "cached": cached,
            "largest_top_level": _largest(output),
        }


def _largest(bundle: Path, count: int = 5) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file():
            top = path.relative_to(bundle).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:count])
