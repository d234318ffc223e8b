"""The package as a user installs it: ``pip install .`` into a fresh virtual environment, then a CDK app of
their own, outside the repository, that uses the constructs and synthesizes with the asset bundled.

The install (``tests.fixtures.installed``, one per session) takes about 15 s (pip's cache holds the wheels);
the asset comes from the bundle cache that ``lookoutvision_cdk.lambda_asset.provider_asset`` fills, so a consumer
whose package bundles the same asset as this checkout finds it there.
"""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from pathlib import Path

import pytest

from lookoutvision_cdk import lambda_asset
from lookoutvision_cdk_provider import consts
from tests.fixtures.installed import FreshVenv, run

REPO = Path(__file__).resolve().parents[1]
# The local cloud's and the tests' dependencies, and the example app's cdk-nag: none belongs in a user's app.
HARNESS_DISTRIBUTIONS = {
    "moto",
    "flask",
    "werkzeug",
    "cryptography",
    "trustme",
    "policy-sentry",
    "pillow",
    "cdk-nag",
    "pytest",
    "boto3",
    "crhelper",
}

CONSUMER_APP = textwrap.dedent(
    """
    import sys
    from importlib.metadata import version

    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    import lookoutvision_cdk
    from lookoutvision_cdk import Hosting, LookoutVisionDataset, LookoutVisionModel

    app = App(outdir=sys.argv[1])
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
    print(version("lookoutvision-cdk"), lookoutvision_cdk.__file__)
    """
)


@pytest.mark.install
def test_the_base_install_holds_no_harness(fresh_venv: FreshVenv) -> None:
    installed = fresh_venv.base_distributions  # as the plain install left it, before any extra
    assert {"lookoutvision-cdk", "aws-cdk-lib", "constructs", "botocore-a-la-carte-lookoutvision"} <= installed
    assert installed & HARNESS_DISTRIBUTIONS == set()


@pytest.mark.install
@pytest.mark.synth
def test_a_separate_app_synthesizes_two_models_with_the_asset_bundled(fresh_venv: FreshVenv, tmp_path: Path) -> None:
    bundle = lambda_asset.provider_asset()  # this checkout's asset, in the bundle cache the consumer reads too
    script = tmp_path / "consumer_app.py"
    script.write_text(CONSUMER_APP)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("AWS_")}
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", **{lambda_asset.CACHE_ENV: str(bundle.parent)})
    out = tmp_path / "cdk.out"
    stdout = run([str(fresh_venv.python), str(script), str(out)], cwd=tmp_path, env=env)

    installed_version, module_file = stdout.strip().splitlines()[-1].split(" ", 1)
    assert installed_version == "0.1.0"
    assert Path(module_file).is_relative_to(fresh_venv.python.parents[1])  # the installed copy, not the checkout
    template = json.loads((out / "Consumer.template.json").read_text())
    by_type: dict[str, list[dict]] = {}
    for resource in template["Resources"].values():
        by_type.setdefault(resource["Type"], []).append(resource)
    assert len(by_type[consts.MODEL_RESOURCE_TYPE]) == 2
    assert len(by_type[consts.DATASET_RESOURCE_TYPE]) == 1
    [function] = by_type["AWS::Lambda::Function"]
    hosted = [m for m in by_type[consts.MODEL_RESOURCE_TYPE] if consts.HOSTING in m["Properties"]]
    assert [m["Properties"][consts.HOSTING] for m in hosted] == [
        {consts.MIN_INFERENCE_UNITS: 1, consts.MAX_INFERENCE_UNITS: 2}
    ]
    # The installed package bundles exactly this checkout's asset (same provider, recipe and pins).
    asset = out / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert _files(asset) == _files(bundle) - {".bundle-complete"}


def _files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def test_the_tests_pin_the_sdk_the_asset_bundles() -> None:
    """The dev extra pins boto3, botocore and crhelper to provider/requirements.txt's versions."""
    dev = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pins = dict(line.split("==") for line in dev if "==" in line)
    requirements = (REPO / "provider" / "requirements.txt").read_text().splitlines()
    bundled = dict(line.split("==") for line in requirements if "==" in line and not line.startswith("#"))
    shared = {name: version for name, version in bundled.items() if name in pins}
    assert set(shared) >= {"boto3", "botocore", "crhelper"}
    assert {name: pins[name] for name in shared} == shared
