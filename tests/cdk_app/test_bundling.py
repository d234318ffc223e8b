"""The provider's Lambda asset, bundled for real with the local pip (no Docker), and `cdk synth` via cdk.json."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from lookoutvision_cdk import bundling, lambda_asset

REPO = Path(bundling.__file__).resolve().parents[1]
# The zipped asset's budget. The CDK CLI zips an asset with yazl: deflate at zlib's default level (6).
ZIP_BUDGET = 2_000_000
CLI_ZIP_LEVEL = 6
# What only the harness knows: a time scale, the benchmarks' replayed schedules, the local cloud.
HARNESS_WORDS = re.compile(
    rb"(?i)time[ _-]?scale|replay|scaled_?clock|localcloud|cdk_provider_5s|crhelper_defaults|fixed_?polls"
    rb"|LOOKOUTVISION_(TIME_SCALE|POLL_INTERVAL|DELETE_RESPONSE_DELAY|LIST_MODELS_PAGE_SIZE)"
)


@pytest.fixture(scope="module")
def bundle_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bundle-cache")


@pytest.fixture(scope="module")
def asset() -> Path:
    """The asset as synth bundles it for the current sources (the shared bundle cache)."""
    return lambda_asset.provider_asset()


@pytest.fixture(scope="module")
def python313() -> str:
    python = lambda_asset.find_python()
    if python is None:
        pytest.skip(f"no CPython {lambda_asset.PYTHON_VERSION} on this machine: the asset ships sources only")
    return python


def _check_bundle(root: Path) -> None:
    assert (root / lambda_asset.PROVIDER_PACKAGE / "consts.py").is_file()
    assert (root / lambda_asset.PROVIDER_PACKAGE / "requirements.txt").is_file()
    assert (root / "crhelper" / "__init__.pyc").is_file() or (root / "crhelper" / "__init__.py").is_file()
    assert (root / "boto3").is_dir()
    models = list((root / "botocore" / "data" / "lookoutvision").glob("*/service-2.json*"))
    assert models, "the a-la-carte service model must sit in botocore's own data folder"
    # Wheels for the Lambda's Python and architecture, not for the Python running the tests.
    assert all(so.name.endswith(".cpython-313-x86_64-linux-gnu.so") for so in root.rglob("*.so"))
    assert not (root / "bin").exists()


def test_local_bundling_builds_the_asset_and_reuses_the_cache(tmp_path: Path, bundle_cache: Path) -> None:
    bundler = bundling.LocalPipBundling(cache_dir=bundle_cache)
    first = tmp_path / "first"
    first.mkdir()
    assert bundler.try_bundle(str(first)) is True
    _check_bundle(first)

    [entry] = [p for p in bundle_cache.iterdir() if not p.name.startswith(".")]
    assert entry.name == lambda_asset.bundle_key()
    (entry / "from-the-cache").write_text("")  # only a copy of the cache entry would carry this
    second = tmp_path / "second"
    second.mkdir()
    assert bundler.try_bundle(str(second)) is True
    assert (second / "from-the-cache").exists()


def test_the_zipped_asset_fits_in_two_megabytes(asset: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=CLI_ZIP_LEVEL) as zipped:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(asset).as_posix())
    assert len(archive.getvalue()) <= ZIP_BUDGET


def test_botocore_keeps_the_models_of_the_services_the_function_calls(asset: Path) -> None:
    data = asset / "botocore" / "data"
    assert sorted(p.name for p in data.iterdir() if p.is_dir()) == sorted(lambda_asset.KEPT_SERVICES)
    assert all(len(list(service.iterdir())) == 1 for service in data.iterdir() if service.is_dir())
    endpoints = json.loads((data / "endpoints.json").read_text())
    services = {name for partition in endpoints["partitions"] for name in partition["services"]}
    assert services <= set(lambda_asset.KEPT_SERVICES)
    assert (data / "partitions.json").is_file()
    assert (data / "sdk-default-configuration.json").is_file()
    assert not (asset / "boto3" / "data").exists()


def test_the_asset_carries_bytecode_of_the_runtime_python(asset: Path, python313: str) -> None:
    magic = subprocess.run(
        [python313, "-c", "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    provider = asset / lambda_asset.PROVIDER_PACKAGE
    provider_pycs = sorted((provider / "__pycache__").glob("*.cpython-313.pyc"))
    assert {p.name.split(".")[0] for p in provider_pycs} == {p.stem for p in provider.glob("*.py")}
    dependency_pycs = [p for p in asset.rglob("*.pyc") if p.relative_to(asset).parts[0] != provider.name]
    assert dependency_pycs
    for pyc in provider_pycs + dependency_pycs:
        header = pyc.read_bytes()[:8]
        assert header[:4].hex() == magic, pyc
        # PEP 552 flags: bit 0 hash-based, bit 1 check_source. 1: a hash-based pyc that is never checked.
        assert int.from_bytes(header[4:8], "little") == 1, pyc
    # The provider keeps its sources (tracebacks show its code); the dependencies ship bytecode only.
    assert not [p for p in asset.rglob("*.py") if p.relative_to(asset).parts[0] != provider.name]


def test_the_asset_names_no_time_scale_and_no_replayed_schedule(asset: Path) -> None:
    found = [
        f"{path.relative_to(asset)}: {match.group().decode(errors='replace')}"
        for path in sorted(asset.rglob("*"))
        if path.is_file()
        for match in [HARNESS_WORDS.search(path.read_bytes())]
        if match
    ]
    assert found == []


def test_bundle_key_follows_the_provider_sources(tmp_path: Path) -> None:
    copy = tmp_path / "provider"
    shutil.copytree(lambda_asset.PROVIDER_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert lambda_asset.bundle_key(copy) == lambda_asset.bundle_key()
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert lambda_asset.bundle_key(copy) == lambda_asset.bundle_key()
    (copy / "requirements.txt").write_text((copy / "requirements.txt").read_text() + "six==1.17.0\n")
    assert lambda_asset.bundle_key(copy) != lambda_asset.bundle_key()


def test_bundle_key_follows_the_recipe(tmp_path: Path) -> None:
    """Pruning or compiling differently makes another bundle: the recipe is part of the key."""
    recipe = Path(lambda_asset.__file__).read_text()
    changed = tmp_path / "lambda_asset.py"
    changed.write_text(recipe.replace('"logs": "crhelper\'s constructor",', ""))
    assert changed.read_text() != recipe
    spec = importlib.util.spec_from_file_location("changed_recipe", changed)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.bundle_key(lambda_asset.PROVIDER_DIR) != lambda_asset.bundle_key()


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


def test_the_docker_fallback_runs_the_same_recipe_as_a_script(tmp_path: Path, asset: Path, python313: str) -> None:
    """CDK's Docker bundling runs lambda_asset.py with the build image's Python 3.13: same asset."""
    command = bundling.bundling_options().command
    assert command is not None and command[-2:] == ["/asset-input", "/asset-output"]
    out = tmp_path / "asset-output"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": ""}  # a bare interpreter with the recipe alone, as in the image
    subprocess.run([python313, Path(lambda_asset.__file__), lambda_asset.PROVIDER_DIR, out], check=True, env=env)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()} - {".bundle-complete"}


def test_the_function_declares_the_runtime_the_asset_is_built_for() -> None:
    assert bundling.RUNTIME.name == lambda_asset.RUNTIME_NAME


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
        **{lambda_asset.CACHE_ENV: str(bundle_cache)},
    )
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--output", str(out), "-c", "dataBucket=example-data"],
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
