"""How ``cdk synth`` bundles the provider function's code (``lookoutvision_cdk.lambda_asset`` builds it).

Local first: pip on the machine that synthesizes, for the Lambda platform, no Docker, cached on
disk. When that is not possible (no pip, no package index), CDK falls back to its Docker image
bundling, which runs the same recipe (``lambda_asset.py`` as a script) in the Lambda build image.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, DockerVolume, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from lookoutvision_cdk import lambda_asset
from lookoutvision_cdk.lambda_asset import PROVIDER_DIR

#: The Lambda runtime of the provider function; the bundle is built for the same Python.
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.X86_64
_RECIPE = Path(lambda_asset.__file__).resolve()
_EXCLUDE = ("__pycache__", "*.pyc")


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Bundles the provider asset with the local pip; returns False (→ Docker) when that fails."""

    def __init__(self, provider_dir: Path = PROVIDER_DIR, cache_dir: Path | None = None) -> None:
        self._provider_dir = provider_dir
        self._cache_dir = cache_dir

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        # jsii passes the BundlingOptions struct positionally; nothing in it is needed here.
        cache_dir = self._cache_dir or lambda_asset.default_cache_dir()
        try:
            bundle = lambda_asset.cached_bundle(cache_dir, self._provider_dir)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"Local bundling of the Lookout for Vision provider failed ({exc}); trying Docker.", file=sys.stderr)
            return False
        lambda_asset.copy_bundle(bundle, Path(output_dir))
        return True


def bundling_options(cache_dir: Path | None = None) -> BundlingOptions:
    """Local pip first; Docker (CDK's Lambda build image for the runtime, same recipe) as the fallback."""
    image: DockerImage = RUNTIME.bundling_image
    return BundlingOptions(
        image=image,
        command=["python", f"/recipe/{_RECIPE.name}", "/asset-input", "/asset-output"],
        volumes=[DockerVolume(host_path=str(_RECIPE.parent), container_path="/recipe")],
        local=LocalPipBundling(cache_dir=cache_dir),
    )


def provider_code(cache_dir: Path | None = None) -> lambda_.Code:
    """The provider function's code asset (the handler is ``lookoutvision_cdk_provider.handler.handler``)."""
    return lambda_.Code.from_asset(
        str(PROVIDER_DIR),
        bundling=bundling_options(cache_dir),
        exclude=list(_EXCLUDE),
    )
