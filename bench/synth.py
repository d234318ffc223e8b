"""Synth: the example app ÷ a bare stack with one CfnProject, and a stack with N models.

Each synth runs in a fresh interpreter (``python -m bench.synth_app``), timed from outside (what
a user waits for: interpreter, jsii start-up, the CDK, the constructs, cdk-nag, writing the
assembly) and from inside (the app's construction and synth only, after the imports). Template
growth per model = (template of the N-model stack - the example's, which has one model) ÷ (N - 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from bench.results import Figure, Section, median
from bench.rig import ROOT

CFN_TEMPLATE_LIMIT = 1_000_000  # bytes, a template given by S3 URL (cdk deploy uploads it)
CFN_RESOURCE_LIMIT = 500


@dataclass(frozen=True)
class Options:
    runs: int = 2
    models: int = 50


def synth_once(kind: str, models: int = 1) -> dict[str, Any]:
    """One synth in a fresh interpreter; its own figures plus the wall time of the whole process."""
    with tempfile.TemporaryDirectory(prefix=f"bench-synth-{kind}-") as outdir:
        command = [sys.executable, "-m", "bench.synth_app", kind, outdir, "--models", str(models)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        wall = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"synth of {kind} failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    return result


def run(options: Options) -> Section:
    began = time.monotonic()
    samples: dict[str, list[dict[str, Any]]] = {"bare": [], "example": [], "models": []}
    for _ in range(options.runs):
        for kind, runs in samples.items():
            runs.append(synth_once(kind, options.models))
    wall = {k: median([s["wall_seconds"] for s in v]) for k, v in samples.items()}
    inner = {k: median([s["synth_seconds"] for s in v]) for k, v in samples.items()}
    example, many = samples["example"][0], samples["models"][0]
    added = many["models"] - example["models"]
    growth = (many["template_bytes"] - example["template_bytes"]) / added if added else float("nan")
    growth_minified = (
        (many["template_minified_bytes"] - example["template_minified_bytes"]) / added if added else float("nan")
    )
    figures = [
        Figure(
            key="synth.example_vs_bare",
            title="Synth of the example app ÷ a bare stack with one CfnProject (fresh process)",
            measured=wall["example"],
            baseline=wall["bare"],
            unit="s",
            measured_label="example app",
            baseline_label="bare stack",
            note=f"app construction + synth only (after imports): {inner['example']:.2f} s vs {inner['bare']:.2f} s.",
        ),
        Figure(
            key="synth.models_vs_example",
            title=f"Synth of a stack with {many['models']} models ÷ the example (1 model)",
            measured=wall["models"],
            baseline=wall["example"],
            unit="s",
            measured_label=f"{many['models']} models",
            baseline_label="1 model",
            note=f"app construction + synth only: {inner['models']:.2f} s vs {inner['example']:.2f} s.",
        ),
        Figure(
            key="synth.template_growth_per_model",
            title="Template growth per model ÷ the example's template",
            measured=growth,
            baseline=example["template_bytes"],
            unit="B",
            measured_label="bytes per added model",
            baseline_label="example template",
            note=(
                f"{many['models']}-model template {many['template_bytes']:,} B "
                f"({many['template_bytes'] / CFN_TEMPLATE_LIMIT:.1%} of CloudFormation's 1 MB), "
                f"{many['resources']} resources ({many['resources'] / CFN_RESOURCE_LIMIT:.0%} of 500), "
                f"{many['functions']} Lambda function(s); minified growth {growth_minified:,.0f} B per model."
            ),
        ),
    ]
    details = {
        "method": (
            f"{options.runs} synth(s) of each app, each in a fresh interpreter, bundling skipped; wall time of the "
            "whole process (interpreter, jsii, CDK, constructs, cdk-nag for the example apps, assembly written)."
        ),
        "samples": samples,
        "wall_medians": wall,
        "synth_medians": inner,
        "growth_per_model_bytes": growth,
        "growth_per_model_minified_bytes": growth_minified,
    }
    return Section("synth", figures, details, time.monotonic() - began)
