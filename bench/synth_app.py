"""One synth in this interpreter: ``python -m bench.synth_app {bare,example,models} OUTDIR [--models N]``.

- ``bare``: an App with one stack holding one ``CfnProject`` (the floor: jsii, the CDK, a synth).
- ``example``: the example app (``example_app.app.build_app``, cdk-nag included) as ``cdk synth`` runs it.
- ``models``: the example app whose stack holds N models in all (the example's one plus N - 1 more
  on the same project, dataset and bucket), all served by the stack's one provider function.

Asset bundling is skipped (context ``aws:cdk:bundling-stacks: []``): the synth measures the
constructs, not pip; the asset's own cost is measured by ``bench.coldstart``. Prints one JSON line:
import and synth seconds, the template's size and resource count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SKIP_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}
# The example app's one required context value (its existing data bucket).
EXAMPLE_CONTEXT: dict[str, Any] = {"dataBucket": "bench-example-data"}
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synth_app")
    parser.add_argument("kind", choices=("bare", "example", "models"))
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--models", type=int, default=50)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    import aws_cdk  # noqa: PLC0415 (timed: starts jsii)

    from example_app.app import STACK_NAME, build_app  # noqa: PLC0415

    imported = time.perf_counter()
    if args.kind == "bare":
        app = aws_cdk.App(outdir=str(args.outdir), context=SKIP_BUNDLING)
        stack_name = "BareProject"
        stack = aws_cdk.Stack(app, stack_name)
        aws_cdk.aws_lookoutvision.CfnProject(stack, "Project", project_name="bench-bare")
    else:
        app = build_app(outdir=str(args.outdir), context={**SKIP_BUNDLING, **EXAMPLE_CONTEXT})
        stack_name = STACK_NAME
        if args.kind == "models":
            _add_models(app.node.find_child(STACK_NAME), args.models - 1)
    assembly = app.synth()
    synthesized = time.perf_counter()
    template_file = args.outdir / assembly.get_stack_by_name(stack_name).template_file
    template: dict[str, Any] = json.loads(template_file.read_text())
    resources = template.get("Resources", {})
    print(
        json.dumps(
            {
                "kind": args.kind,
                "import_seconds": imported - began,
                "synth_seconds": synthesized - imported,
                "template_bytes": template_file.stat().st_size,
                "template_minified_bytes": len(json.dumps(template, separators=(",", ":"))),
                "resources": len(resources),
                "models": sum(1 for r in resources.values() if r.get("Type") == "Custom::LookoutVisionModel"),
                "functions": sum(1 for r in resources.values() if r.get("Type") == "AWS::Lambda::Function"),
            }
        )
    )
    return 0


def _add_models(stack: Any, count: int) -> None:
    from example_app.stack import OUTPUT_PREFIX  # noqa: PLC0415
    from lookoutvision_cdk.model import Hosting, LookoutVisionModel  # noqa: PLC0415

    project = stack.node.find_child("Project")
    train = stack.node.find_child("TrainDataset")
    data = stack.node.find_child("Data")
    for index in range(count):
        LookoutVisionModel(
            stack,
            f"Model{index + 2}",
            project=project,
            training_dataset=train,
            output_bucket=data,
            output_prefix=OUTPUT_PREFIX,
            description=f"Bench-model-{index + 2}",
            hosting=Hosting(min_inference_units=1),
        )


if __name__ == "__main__":
    sys.exit(main())
