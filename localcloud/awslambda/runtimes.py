"""A Lambda runtime played locally: its Python, and the SDK the runtime ships beside the standard library.

``python3.13`` is CPython 3.13, found as ``lookoutvision_cdk.lambda_asset`` finds the interpreter that
compiles the asset's bytecode, with the local cloud's own boto3 installed for it (built once per
machine with pip, cached beside the asset bundles) after the function's code on ``sys.path``.
Without an interpreter of that version the current one runs the function, and says so once.
"""

from __future__ import annotations

import functools
import importlib.metadata
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lookoutvision_cdk import lambda_asset

_PYTHON = "python"


@dataclass(frozen=True)
class Runtime:
    """A Python runtime: the interpreter, and the directory of the packages it ships (boto3)."""

    name: str
    interpreter: str
    packages: Path


@functools.cache
def local_runtime(name: str) -> Runtime:
    """The local stand-in for the Lambda runtime ``name`` (``python3.13``)."""
    version = name.removeprefix(_PYTHON)
    if not name.startswith(_PYTHON) or not version.replace(".", "").isdigit():
        raise ValueError(f"runtime {name!r} cannot run locally (Python runtimes only, e.g. python3.13)")
    interpreter = lambda_asset.find_python(version)
    if interpreter is None:
        current = ".".join(map(str, sys.version_info[:2]))
        print(
            f"local Lambda: no CPython {version} here (python{version} on PATH, pyenv): {name} functions run under "
            f"this Python {current} instead ({sys.executable}); an asset compiled for {version} may not load",
            file=sys.stderr,
        )
        interpreter, version = sys.executable, current
    return Runtime(name, interpreter, runtime_packages(interpreter, version))


def runtime_packages(interpreter: str, version: str) -> Path:
    """boto3 (the local cloud's version) installed for Python ``version`` and compiled by ``interpreter``; cached."""
    boto3_version = importlib.metadata.version("boto3")
    entry = lambda_asset.default_cache_dir().parent / "runtimes" / f"python{version}-boto3-{boto3_version}"

    def build(target: Path) -> None:
        install = lambda_asset.pip_install_command(target, f"boto3=={boto3_version}", python_version=version)
        subprocess.run(install, check=True)  # noqa: S603 (fixed argv)
        subprocess.run([interpreter, "-m", "compileall", "-q", "-j", "0", str(target)], check=True)  # noqa: S603

    return lambda_asset.cached_build(entry, build)
