"""``python -m lookoutvision_localcloud cdk -- ARGS``: the pinned AWS CDK CLI, pointed at the local cloud and at nothing
else.

The CLI is the pinned one (``lookoutvision_localcloud.pinned_cli``: a ``node_modules`` of its version, else its cache
entry, installed on first use) unless one is given. It runs with an environment built from scratch for
the local cloud: its endpoint for every service, dummy credentials, a region, its own ``CDK_HOME`` (the
CLI caches the account per access key there), empty AWS config and credentials files (no profile, no
configured endpoint), no proxy and no instance metadata. It refuses to run unless every endpoint it would
use is a loopback address where the local cloud answers, so nothing can reach a real account.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError
from lookoutvision_localcloud.pinned_cli import NODE_ADVICE, CdkCliError, find_cli
from lookoutvision_localcloud.serve import CONTROL_PREFIX, cache_root, environment

PINNED_CLI = "aws-cdk"
CDK_ENV = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "1",
    # The pinned CLI runs on the Node.js the machine has; its SDK's notice about Node < 22 is noise here.
    "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true",
}
# Inherited variables the CLI must not see: they could name an account, a profile or a way out.
_DROPPED_PREFIXES = ("AWS_", "CDK_")
_DROPPED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}


class UnsafeEndpointError(LocalCloudFormationError):
    """An endpoint is not the local cloud: the CLI is not run."""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cli_environment(endpoint_url: str, cdk_home: Path, inherited: Mapping[str, str]) -> dict[str, str]:
    """The CLI's environment: ``inherited`` without AWS, CDK or proxy settings, plus the local cloud's.

    A local ``AWS_ENDPOINT_URL_<SERVICE>`` the user set is kept; any other endpoint is refused.
    """
    endpoints = {"AWS_ENDPOINT_URL": endpoint_url}
    endpoints.update({k: v for k, v in inherited.items() if k.startswith("AWS_ENDPOINT_URL_") and v})
    foreign = sorted(f"{name}={url}" for name, url in endpoints.items() if not is_loopback(url))
    if foreign:
        raise UnsafeEndpointError(f"refusing to run the CDK CLI: not a local endpoint: {', '.join(foreign)}")
    cdk_home.mkdir(parents=True, exist_ok=True)
    empty = cdk_home / "no-aws-config"
    empty.touch()
    kept = {k: v for k, v in inherited.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
    return {
        **kept,
        **CDK_ENV,
        **endpoints,
        **environment(endpoint_url, cdk_home),
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "NO_PROXY": "127.0.0.1,localhost,::1",
    }


def check_local_cloud(endpoint_url: str) -> None:
    """Raise unless the local cloud answers at ``endpoint_url`` (so the CLI cannot talk to anything else)."""
    try:
        with urllib.request.urlopen(f"{endpoint_url}{CONTROL_PREFIX}health", timeout=5) as answer:  # noqa: S310
            if json.loads(answer.read()).get("ok"):
                return
    except (OSError, ValueError, urllib.error.URLError):
        pass
    raise UnsafeEndpointError(
        f"the local cloud does not answer at {endpoint_url}: "
        "start it first with `python -m lookoutvision_localcloud serve`"
    )


@dataclass(frozen=True)
class CdkCommand:
    """A ``cdk`` command line and the environment it runs in, ready for ``subprocess``."""

    argv: list[str]
    env: dict[str, str]


def cdk_command(
    args: Sequence[str],
    *,
    endpoint_url: str,
    cdk_home: Path,
    cwd: Path | None = None,
    inherited: Mapping[str, str] | None = None,
    cli: Path | None = None,
) -> CdkCommand:
    """``cdk ARGS`` against the local cloud at ``endpoint_url`` with ``cli`` (default: the pinned one, found from
    ``cwd`` or installed into the cache ``inherited`` names); refused unless the local cloud answers there."""
    inherited = os.environ if inherited is None else inherited
    env = cli_environment(endpoint_url, cdk_home, inherited)
    check_local_cloud(endpoint_url)
    executable = find_cli(cwd, cache_root(inherited), given=cli)
    if shutil.which("node", path=env.get("PATH")) is None:
        raise CdkCliError(f"the AWS CDK CLI runs on Node.js, which is not on PATH: {NODE_ADVICE}")
    return CdkCommand([str(executable), *args], env)


def run_cdk(
    args: Sequence[str],
    *,
    endpoint_url: str,
    cdk_home: Path,
    cwd: Path | None = None,
    inherited: Mapping[str, str] | None = None,
    cli: Path | None = None,
    **run_options: Any,
) -> subprocess.CompletedProcess[str]:
    """Run ``cdk_command``'s command line; ``run_options`` go to ``subprocess.run`` (e.g. to capture the output)."""
    command = cdk_command(args, endpoint_url=endpoint_url, cdk_home=cdk_home, cwd=cwd, inherited=inherited, cli=cli)
    return subprocess.run(command.argv, cwd=cwd, env=command.env, check=False, text=True, **run_options)  # noqa: S603
