"""Cold start: importing the provider's handler ÷ a bare ``import boto3``, and the Lambda asset's size.

Each import runs in a fresh interpreter (``python -c``), timed inside it from just before the
import statement to just after, so interpreter start-up is not counted for either; the two
alternate in the same run and the medians are compared. A second pair imports both from source,
with no usable bytecode cache (``-X pycache_prefix`` pointing at an empty directory, nothing
written): the asset is bundled without ``.pyc`` files (``pip --no-compile``, ``*.pyc`` excluded)
and Lambda's /var/task is read-only, so that is what the provider's own modules and the boto3
it bundles cost on a real cold start, whereas the runtime's boto3 comes compiled.

The asset is what ``cdk synth`` bundles (``cdk_app.bundling.cached_bundle``: pip for the Lambda
platform from the package index, cached on disk), zipped as CDK zips assets (deflate, level 9);
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

TARGET_RATIO = 1.2
LAMBDA_ZIP_LIMIT = 50 * 1024 * 1024  # bytes, a zipped deployment package uploaded directly
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
HANDLER_MODULE = "provider.handler"
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
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def run(options: Options) -> Section:
    began = time.monotonic()
    samples: dict[str, list[float]] = {"handler": [], "boto3": [], "handler_source": [], "boto3_source": []}
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as scratch:
        import_seconds(HANDLER_MODULE)  # the bytecode cache written once, outside the measurements
        for index in range(options.runs):
            pair = [("handler", HANDLER_MODULE), ("boto3", "boto3")]
            for key, module in pair if index % 2 == 0 else pair[::-1]:
                samples[key].append(import_seconds(module))
                samples[f"{key}_source"].append(import_seconds(module, from_source=True, scratch=Path(scratch)))
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
    ]
    details: dict[str, Any] = {
        "method": (
            f"{options.runs} fresh interpreters per import, alternating; import time only (interpreter start-up "
            "excluded); medians. From source: -X pycache_prefix=<empty dir> with PYTHONDONTWRITEBYTECODE=1."
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
    """Bundle the provider as ``cdk synth`` does (cached), zip it into a temporary file, measure it."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from cdk_app import bundling  # noqa: PLC0415 (imports aws_cdk, which starts jsii: only when measured)

    cache = cache_dir or bundling.default_cache_dir()
    cached = (cache / bundling.bundle_key() / ".bundle-complete").exists()
    began = time.monotonic()
    bundle = bundling.cached_bundle(cache)
    bundle_seconds = time.monotonic() - began
    files = sorted(p for p in bundle.rglob("*") if p.is_file() and p.name != ".bundle-complete")
    with tempfile.TemporaryDirectory(prefix="bench-asset-") as scratch:
        archive = Path(scratch) / "asset.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(bundle).as_posix())
        zip_bytes = archive.stat().st_size
    return {
        "zip_bytes": zip_bytes,
        "unzipped_bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
        "bundle_seconds": bundle_seconds,
        "cached": cached,
        "largest_top_level": _largest(bundle),
    }


def _largest(bundle: Path, count: int = 5) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in bundle.rglob("*"):
        if path.is_file():
            top = path.relative_to(bundle).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1])[:count])
