"""A separate CDK app, in its own folder and process, using the constructs from the installed package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from provider import consts

pytestmark = pytest.mark.synth

CONSUMER_APP = textwrap.dedent(
    """
    import sys
    from importlib.metadata import version

    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    import cdk_app
    from cdk_app import Hosting, LookoutVisionDataset, LookoutVisionModel

    app = App(outdir=sys.argv[1], context={"aws:cdk:bundling-stacks": []})
    stack = Stack(app, "Consumer")
    bucket = s3.Bucket(stack, "Images")
    train = LookoutVisionDataset(
        stack, "Train", project="widgets", dataset_type="train", manifest_bucket=bucket, manifest_key="train.manifest"
    )
    LookoutVisionModel(stack, "Nightly", project="widgets", training_dataset=train, output_bucket=bucket)
    LookoutVisionModel(
        stack,
        "Serving",
        project="widgets",
        training_dataset=train,
        output_bucket=bucket,
        output_prefix="serving/",
        hosting=Hosting(min_inference_units=1, max_inference_units=2),
    )
    app.synth()
    print(version("lookoutvision-cdk"), cdk_app.__file__)
    """
)


def test_second_app_synthesizes_two_models_in_its_own_stack(tmp_path: Path) -> None:
    script = tmp_path / "consumer_app.py"
    script.write_text(CONSUMER_APP)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [sys.executable, str(script), str(out)],
        cwd=tmp_path,  # not the repository: the import must come from the installed package
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    installed_version, module_file = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert installed_version  # the distribution is installed, not merely importable from a folder
    assert Path(module_file).name == "__init__.py"

    template = json.loads((out / "Consumer.template.json").read_text())
    by_type: dict[str, list[dict]] = {}
    for resource in template["Resources"].values():
        by_type.setdefault(resource["Type"], []).append(resource)
    assert len(by_type[consts.MODEL_RESOURCE_TYPE]) == 2
    assert len(by_type[consts.DATASET_RESOURCE_TYPE]) == 1
    assert len(by_type["AWS::Lambda::Function"]) == 1
    hosted = [m for m in by_type[consts.MODEL_RESOURCE_TYPE] if consts.HOSTING in m["Properties"]]
    assert [m["Properties"][consts.HOSTING] for m in hosted] == [
        {consts.MIN_INFERENCE_UNITS: 1, consts.MAX_INFERENCE_UNITS: 2}
    ]
