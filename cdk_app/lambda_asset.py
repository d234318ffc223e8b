"""The provider function's code: the ``provider`` package and its pinned requirements, lean and compiled.

Built without Docker on the machine that synthesizes: installed by pip for the Lambda platform
from ``provider/requirements.txt`` beside a copy of ``provider``; pruned to the services the
function builds clients for (``KEPT_SERVICES``, ``REMOVED``); shared objects stripped; compiled by
CPython 3.13 with ``--invalidation-mode unchecked-hash`` (dependencies as bytecode only); cached
under a key of everything that changes it. Standard library only, and a script too: CDK's Docker
fallback runs ``python lambda_asset.py PROVIDER_DIR OUTPUT_DIR``. Why: docs/decisions/0011.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

PLATFORM = "manylinux2014_x86_64"
#: The Lambda runtime's Python: the wheels are chosen for it and the bytecode compiled by it.
PYTHON_VERSION = "3.13"
RUNTIME_NAME = f"python{PYTHON_VERSION}"
#: The provider's import name, and its folder in the asset (the handler is ``<PROVIDER_PACKAGE>.handler.handler``).
PROVIDER_PACKAGE = "lookoutvision_cdk_provider"
#: Its sources beside this package: the installed package in site-packages, or its folder in the repository
#: (``provider/``, which the installed names map to; an editable install links to it).
PROVIDER_DIR = next(
    (
        path
        for path in (Path(__file__).resolve().parents[1] / name for name in (PROVIDER_PACKAGE, "provider"))
        if (path / "__init__.py").is_file()
    ),
    Path(__file__).resolve().parents[1] / PROVIDER_PACKAGE,
)
CACHE_ENV = "LOOKOUTVISION_CDK_BUNDLE_CACHE"
#: Where Lambda puts the function's code.
TASK_ROOT = "/var/task"

#: botocore service models kept, and who builds a client for each.
KEPT_SERVICES = {
    "lookoutvision": "the provider's calls (the model comes from botocore-a-la-carte-lookoutvision)",
    "lambda": "the provider's self-invocation; crhelper's constructor",
    "events": "crhelper's constructor (its polling rule, unused here)",
    "logs": "crhelper's constructor",
}
#: Paths (relative to the bundle) that the function never reads: console scripts, boto3's resource
#: models, dateutil's time-zone database (botocore uses UTC and local time only), the code of services
#: whose models are pruned (boto3's S3, DynamoDB and EC2 customizations and examples, S3 transfers
#: through the CRT or worker processes) and of another platform (urllib3 in a browser).
REMOVED = (
    "bin",
    "boto3/data",
    "boto3/examples",
    "boto3/s3",
    "boto3/dynamodb",
    "boto3/ec2",
    "boto3/crt.py",
    "s3transfer/crt.py",
    "s3transfer/processpool.py",
    "urllib3/contrib/emscripten",
    "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz",
)
_COMPLETE = ".bundle-complete"
_SOURCES_EXCLUDED = ("__pycache__", "*.pyc")


def default_cache_dir() -> Path:
    """$LOOKOUTVISION_CDK_BUNDLE_CACHE, else $XDG_CACHE_HOME (or ~/.cache)/lookoutvision-cdk/bundles."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lookoutvision-cdk" / "bundles"


@functools.cache
def find_python(version: str = PYTHON_VERSION) -> str | None:
    """A CPython ``version`` interpreter: this one, ``python<version>`` on PATH, or pyenv's; None if none runs."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    installed = sorted(pyenv.glob(f"{version}.*/bin/python{version}"), key=_version_key, reverse=True)
    for candidate in [sys.executable, shutil.which(f"python{version}"), *map(str, installed)]:
        if candidate and _reports(candidate, version):
            return candidate
    return None


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in path.parents[1].name.split("."))


def _reports(interpreter: str, version: str) -> bool:
    """Whether ``interpreter`` runs and is CPython ``version`` (a pyenv shim may exist and not run)."""
    probe = "import platform, sys; print(platform.python_implementation(), '%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run(  # noqa: S603 - a probe of a candidate interpreter
            [interpreter, "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.split() == ["CPython", version]


def pip_install_command(target: Path | str, *requirements: str, python_version: str = PYTHON_VERSION) -> list[str]:
    """pip for the Lambda platform: binary wheels only, for its Python and architecture, into ``target``."""
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
        python_version,
        "--implementation",
        "cp",
        "--target",
        str(target),
        *requirements,
    ]


@functools.cache
def _compiler_identity() -> str:
    """What compiles the bytecode, as it goes into the bundle key."""
    python = find_python()
    if python is None:
        return "no bytecode: sources only"
    done = subprocess.run([python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.strip()


def _sources(provider_dir: Path) -> list[Path]:
    return sorted(
        path
        for path in provider_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def bundle_key(provider_dir: Path = PROVIDER_DIR) -> str:
    """A hash of everything the bundle is made of: platform, provider sources and requirements, recipe, compiler."""
    digest = hashlib.sha256(f"{PLATFORM} {PYTHON_VERSION}\n".encode())
    digest.update(Path(__file__).read_bytes() + b"\0")
    digest.update(f"{_compiler_identity()}\0strip: {shutil.which('strip') is not None}\0".encode())
    for path in _sources(provider_dir):
        digest.update(path.relative_to(provider_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def build(target: Path, provider_dir: Path = PROVIDER_DIR) -> None:
    """The asset in ``target``: install, copy the provider, prune, strip, compile."""
    requirements = provider_dir / "requirements.txt"
    subprocess.run(pip_install_command(target, "-r", str(requirements)), check=True)  # noqa: S603 (fixed argv)
    shutil.copytree(provider_dir, target / PROVIDER_PACKAGE, ignore=shutil.ignore_patterns(*_SOURCES_EXCLUDED))
    prune(target)
    strip_debug_sections(target)
    compile_bytecode(target)


def prune(target: Path) -> None:
    """Remove what the function never loads (see the module's docstring)."""
    data = target / "botocore" / "data"
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in KEPT_SERVICES:
            shutil.rmtree(entry)
    for service in data.iterdir():
        if service.is_dir():
            *older, _newest = sorted(service.iterdir())  # botocore loads the newest API version
            for version in older:
                shutil.rmtree(version)
    for examples in data.glob("*/*/examples-1.json"):
        examples.unlink()
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {name: value for name, value in partition["services"].items() if name in KEPT_SERVICES}
    endpoints_file.write_text(json.dumps(endpoints, separators=(",", ":")))
    for removed in [*(target / path for path in REMOVED), *target.glob("*/tests"), *target.glob("*.dist-info/RECORD")]:
        if removed.is_dir():
            shutil.rmtree(removed)
        else:
            removed.unlink(missing_ok=True)


def strip_debug_sections(target: Path) -> None:
    """``strip --strip-debug`` every shared object (the code stays; debug information goes)."""
    strip = shutil.which("strip")
    libraries = sorted(target.rglob("*.so"))
    if not libraries:
        return
    if strip is None:
        print("lookoutvision-cdk: no `strip` (binutils): shared objects keep their debug sections", file=sys.stderr)
        return
    subprocess.run([strip, "--strip-debug", *map(str, libraries)], check=True)  # noqa: S603 (fixed argv)


def compile_bytecode(target: Path) -> None:
    """Bytecode by the runtime's Python; the dependencies' sources give way to it (see the module's docstring)."""
    python = find_python()
    if python is None:
        print(
            f"lookoutvision-cdk: no CPython {PYTHON_VERSION} found (python{PYTHON_VERSION} on PATH, pyenv): the "
            "Lambda asset ships sources only, so every cold start compiles them. Install Python "
            f"{PYTHON_VERSION} and synthesize again for an asset with bytecode.",
            file=sys.stderr,
        )
        return
    # Paths in tracebacks as on Lambda (/var/task/botocore/client.py), not the build directory.
    compile_all = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    compile_all += ["-s", str(target), "-p", TASK_ROOT]
    subprocess.run([*compile_all, str(target / PROVIDER_PACKAGE)], check=True)  # noqa: S603 (fixed argv)
    dependencies = sorted(
        p for p in target.iterdir() if p.name != PROVIDER_PACKAGE and (p.is_dir() or p.suffix == ".py")
    )
    # PYTHONNODEBUGRANGES, not -X no_debug_ranges: compileall's worker processes inherit only the environment.
    without_columns = {**os.environ, "PYTHONNODEBUGRANGES": "1"}
    subprocess.run([*compile_all, "-b", *map(str, dependencies)], check=True, env=without_columns)  # noqa: S603
    for dependency in dependencies:
        sources = dependency.rglob("*.py") if dependency.is_dir() else [dependency]
        for source in sources:
            if source.with_suffix(".pyc").is_file():
                source.unlink()


def cached_bundle(cache_dir: Path, provider_dir: Path = PROVIDER_DIR) -> Path:
    """The bundle for the current sources, built once and then reused from ``cache_dir``."""
    return cached_build(cache_dir / bundle_key(provider_dir), lambda work: build(work, provider_dir))


def cached_build(entry: Path, build_into: Callable[[Path], None]) -> Path:
    """``entry``, built by ``build_into`` in a scratch directory beside it unless it is complete already.

    The finished directory is renamed into place, so a reader never sees half a build, and two
    builders racing for the same entry both end up with one complete copy.
    """
    if (entry / _COMPLETE).exists():
        return entry
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=entry.parent))
    try:
        build_into(work)
        (work / _COMPLETE).write_text(entry.name + "\n")
        try:
            work.rename(entry)
        except OSError:
            # Another builder finished the same entry meanwhile: keep theirs.
            if not (entry / _COMPLETE).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entry


def provider_asset(cache_dir: Path | None = None) -> Path:
    """The asset directory for the current provider sources, as ``cdk synth`` bundles it (built once, cached).

    The local Lambda runs the provider from here in the tests and benchmarks, as on AWS.
    """
    return cached_bundle(cache_dir or default_cache_dir())


def copy_bundle(bundle: Path, output: Path) -> None:
    """Copy a cached bundle to an asset output directory (without the cache's own marker)."""
    shutil.copytree(bundle, output, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_COMPLETE))


def main(argv: list[str]) -> int:
    """``python lambda_asset.py PROVIDER_DIR OUTPUT_DIR``: build the asset (CDK's Docker fallback runs this)."""
    if len(argv) != 3:
        print(f"usage: python {Path(argv[0]).name} PROVIDER_DIR OUTPUT_DIR", file=sys.stderr)
        return 2
    build(Path(argv[2]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
