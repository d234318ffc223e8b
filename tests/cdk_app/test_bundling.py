"""The provider's Lambda asset, bundled for real with the local pip (no Docker), and `cdk synth` via cdk.json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cdk_app import bundling

REPO = Path(bundling.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle-cache")


def _check_bundle(root: Path) -> None:
    assert (root / "provider" / "consts.py").is_file()
    assert (root / "provider" / "requirements.txt").is_file()
    assert not list((root / "provider").rglob("__pycache__"))
    assert (root / "crhelper" / "__init__.py").is_file()
    assert (root / "boto3" / "__init__.py").is_file()
    models = list((root / "botocore" / "data" / "lookoutvision").glob("*/service-2.json*"))
    assert models, "the a-la-carte service model must sit in botocore's own data folder"
    # Wheels for the Lambda's Python and architecture, not for the Python running the tests.
    assert list((root / "regex").glob("_regex.cpython-313-x86_64-linux-gnu.so"))
    assert not (root / "bin").exists()


def test_local_bundling_builds_the_asset_and_reuses_the_cache(tmp_path: Path, bundle_cache: Path) -> None:
    bundler = bundling.LocalPipBundling(cache_dir=bundle_cache)
    first = tmp_path / "first"
    first.mkdir()
    assert bundler.try_bundle(str(first)) is True
    _check_bundle(first)

    [entry] = [p for p in bundle_cache.iterdir() if not p.name.startswith(".")]
    assert entry.name == bundling.bundle_key()
    (entry / "from-the-cache").write_text("")  # only a copy of the cache entry would carry this
    second = tmp_path / "second"
    second.mkdir()
    assert bundler.try_bundle(str(second)) is True
    assert (second / "from-the-cache").exists()


def test_bundle_key_follows_the_provider_sources(tmp_path: Path) -> None:
    copy = tmp_path / "provider"
    shutil.copytree(bundling.PROVIDER_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert bundling.bundle_key(copy) == bundling.bundle_key()
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert bundling.bundle_key(copy) == bundling.bundle_key()
    (copy / "requirements.txt").write_text((copy / "requirements.txt").read_text() + "six==1.17.0\n")
    assert bundling.bundle_key(copy) != bundling.bundle_key()


def test_failed_pip_returns_false_so_cdk_falls_back_to_docker(tmp_path: Path) -> None:
    broken = tmp_path / "provider"
    broken.mkdir()
    (broken / "requirements.txt").write_text("=== not a requirement ===\n")  # pip fails before any download
    out = tmp_path / "out"
    out.mkdir()
    bundler = bundling.LocalPipBundling(provider_dir=broken, cache_dir=tmp_path / "cache")
    assert bundler.try_bundle(str(out)) is False
    assert list(out.iterdir()) == []
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []  # no half-built cache entry


@pytest.mark.synth
def test_cdk_synth_runs_the_example_app_through_cdk_json(tmp_path: Path, bundle_cache: Path) -> None:
    """`npx cdk synth` as a user runs it: no AWS credentials, the pinned CLI, the asset bundled locally."""
    cli = REPO / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        pytest.skip("the pinned CDK CLI is not installed (make setup)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CDK_DISABLE_VERSION_CHECK="1",
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        **{bundling.CACHE_ENV: str(bundle_cache)},
    )
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--output", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((out / "LookoutVisionExample.template.json").read_text())
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    asset = out / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    _check_bundle(asset)
