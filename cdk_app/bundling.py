"""The provider's Lambda asset: the ``provider`` package plus its pinned requirements.

Bundled on the machine that synthesizes (pip for the Lambda platform, no Docker); when that is not
possible (no pip, no index), CDK falls back to its Docker image bundling with the same result.
Bundles are cached on disk, keyed by the requirements and the provider's sources, so a repeated
synth does not run pip again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

import provider

#: The Lambda runtime of the provider function; the bundle is built for the same Python.
RUNTIME = lambda_.Runtime.PYTHON_3_13
PYTHON_VERSION = "3.13"
PLATFORM = "manylinux2014_x86_64"
ARCHITECTURE = lambda_.Architecture.X86_64

PROVIDER_DIR = Path(provider.__file__).resolve().parent
REQUIREMENTS = PROVIDER_DIR / "requirements.txt"
CACHE_ENV = "LOOKOUTVISION_CDK_BUNDLE_CACHE"
_EXCLUDE = ("__pycache__", "*.pyc")
_COMPLETE = ".bundle-complete"


def default_cache_dir() -> Path:
    """$LOOKOUTVISION_CDK_BUNDLE_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/lookoutvision-cdk/bundles."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lookoutvision-cdk" / "bundles"


def pip_install_command(target: Path | str, requirements: Path | str) -> list[str]:
    """pip for the Lambda platform: binary wheels only, for its Python and architecture."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        PLATFORM,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]


def _sources(provider_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in provider_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def bundle_key(provider_dir: Path = PROVIDER_DIR) -> str:
    """A hash of what the bundle is made of: requirements, provider sources, target platform."""
    digest = hashlib.sha256(f"{PLATFORM} {PYTHON_VERSION}\n".encode())
    for path in _sources(provider_dir):
        digest.update(path.relative_to(provider_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def build_bundle(target: Path, provider_dir: Path = PROVIDER_DIR) -> None:
    """Install the requirements for the Lambda platform into ``target`` and copy the provider package."""
    requirements = provider_dir / "requirements.txt"
    subprocess.run(pip_install_command(target, requirements), check=True)  # noqa: S603 (fixed argv)
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: of no use in a Lambda
    shutil.copytree(provider_dir, target / "provider", ignore=shutil.ignore_patterns(*_EXCLUDE))


def cached_bundle(cache_dir: Path, provider_dir: Path = PROVIDER_DIR) -> Path:
    """The bundle for the current sources, built once and then reused from ``cache_dir``."""
    entry = cache_dir / bundle_key(provider_dir)
    if (entry / _COMPLETE).exists():
        return entry
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        build_bundle(work, provider_dir)
        (work / _COMPLETE).write_text(bundle_key(provider_dir) + "\n")
        try:
            work.rename(entry)
        except OSError:
            # Another synth built the same bundle meanwhile: keep theirs.
            if not (entry / _COMPLETE).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entry


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Bundles the provider asset with the local pip; returns False (→ Docker) when that fails."""

    def __init__(self, provider_dir: Path = PROVIDER_DIR, cache_dir: Path | None = None) -> None:
        self._provider_dir = provider_dir
        self._cache_dir = cache_dir

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        # jsii passes the BundlingOptions struct positionally; nothing in it is needed here.
        cache_dir = self._cache_dir or default_cache_dir()
        try:
            bundle = cached_bundle(cache_dir, self._provider_dir)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"Local bundling of the Lookout for Vision provider failed ({exc}); trying Docker.", file=sys.stderr)
            return False
        shutil.copytree(bundle, output_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_COMPLETE))
        return True


def bundling_options(cache_dir: Path | None = None) -> BundlingOptions:
    """Local pip first; Docker (CDK's Lambda build image for the runtime) as the fallback."""
    docker_script = (
        "pip install --no-cache-dir -r /asset-input/requirements.txt -t /asset-output"
        " && mkdir -p /asset-output/provider && cp -r /asset-input/. /asset-output/provider/"
    )
    image: DockerImage = RUNTIME.bundling_image
    return BundlingOptions(
        image=image,
        command=["bash", "-c", docker_script],
        local=LocalPipBundling(cache_dir=cache_dir),
    )


def provider_code(cache_dir: Path | None = None) -> lambda_.Code:
    """The provider function's code asset (the handler is ``provider.handler.handler``)."""
    return lambda_.Code.from_asset(
        str(PROVIDER_DIR),
        bundling=bundling_options(cache_dir),
        exclude=list(_EXCLUDE),
    )
