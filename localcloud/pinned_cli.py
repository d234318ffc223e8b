"""The AWS CDK CLI this project pins: where it is, and its installation into a cache on first use.

The pin is ``pinned_cdk_cli/package.json`` and its ``package-lock.json``, package data beside this module
(the repository's root ``package.json`` and ``package-lock.json`` are links to them, for ``npm ci`` there).
Which CLI runs is decided by ``choose_cli``, a pure function, in this order: one given explicitly; a
``node_modules/.bin/cdk`` of the pinned version in the app's folder or in this package's source checkout;
the cache entry ``<cache>/cdk-cli/<version>``, installed there first if it is missing (``npm ci`` from the
shipped lock file, into a temporary folder renamed into place, so concurrent first uses never see a half
installed tree).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError

#: The pin: a package.json naming the CLI's version and the package-lock.json that fixes its tree.
PIN_DIR = Path(__file__).resolve().parent / "pinned_cdk_cli"
PIN_FILES = ("package.json", "package-lock.json")
CLI_PACKAGE = "aws-cdk"
NPM_CI = ("ci", "--include=dev", "--no-audit", "--no-fund", "--loglevel=error")
NODE_ADVICE = "install Node.js (>= 18) with npm (https://nodejs.org/en/download), then run this again"


class CdkCliError(LocalCloudFormationError):
    """The pinned CLI is not there and could not be installed."""


@dataclass(frozen=True)
class Candidate:
    """A CDK CLI that may run: its executable and the version of ``aws-cdk`` installed with it (None: none is)."""

    executable: Path
    version: str | None


@dataclass(frozen=True)
class CliChoice:
    """The CLI to run; ``install`` first when it is the cache's entry and not there yet. ``notes`` say what was
    passed over and why."""

    executable: Path
    origin: str
    install: bool = False
    notes: tuple[str, ...] = field(default=())


def pinned_version(pin_dir: Path = PIN_DIR) -> str:
    """The ``aws-cdk`` version the pin's package.json names."""
    manifest = json.loads((pin_dir / "package.json").read_text())
    return str(manifest["devDependencies"][CLI_PACKAGE])


def cli_cache_entry(cache_root: Path, version: str) -> Path:
    """The folder the pinned CLI of ``version`` is installed into: ``<cache_root>/cdk-cli/<version>``."""
    return cache_root / "cdk-cli" / version


def node_modules_cli(root: Path) -> Candidate:
    """``root/node_modules/.bin/cdk`` and the version of ``aws-cdk`` that ``npm`` installed under ``root``."""
    executable = root / "node_modules" / ".bin" / "cdk"
    manifest = root / "node_modules" / CLI_PACKAGE / "package.json"
    if not executable.exists() or not manifest.is_file():
        return Candidate(executable, None)
    try:
        return Candidate(executable, str(json.loads(manifest.read_text())["version"]))
    except (OSError, ValueError, KeyError):
        return Candidate(executable, None)


def choose_cli(pinned: str, given: Path | None, local: Sequence[Candidate], cache: Candidate) -> CliChoice:
    """Which CLI runs: ``given`` (the user's choice, whatever its version), else the first of ``local`` that
    holds the ``pinned`` version, else ``cache``'s, to be installed first unless it holds that version."""
    if given is not None:
        return CliChoice(given, "given")
    notes: list[str] = []
    for candidate in local:
        if candidate.version == pinned:
            return CliChoice(candidate.executable, "node_modules", notes=tuple(notes))
        if candidate.version is not None:
            notes.append(f"{candidate.executable} is {CLI_PACKAGE} {candidate.version}, not the pinned {pinned}")
    return CliChoice(cache.executable, "cache", install=cache.version != pinned, notes=tuple(notes))


def find_cli(start: Path | None, cache_root: Path, given: Path | None = None, pin_dir: Path = PIN_DIR) -> Path:
    """The executable of the CLI ``choose_cli`` picks, from ``start`` (default: the current folder), this
    package's source checkout and ``cache_root``; installs the cache's entry first when it is missing."""
    if given is not None and not given.exists():
        raise CdkCliError(f"the CDK CLI given ({given}) does not exist")
    pinned = pinned_version(pin_dir)
    roots = dict.fromkeys([(start or Path.cwd()).resolve(), Path(__file__).resolve().parents[1]])
    entry = cli_cache_entry(cache_root, pinned)
    choice = choose_cli(pinned, given, [node_modules_cli(root) for root in roots], node_modules_cli(entry))
    for note in choice.notes:
        print(f"note: {note}: using the pinned one", file=sys.stderr)
    if choice.install:
        install_cli(entry, pin_dir)
    return choice.executable


def install_cli(entry: Path, pin_dir: Path = PIN_DIR, npm: str | None = None) -> Path:
    """Install the pinned CLI into ``entry`` with ``npm ci`` from the pin's lock file; returns its executable.

    The tree is built in a temporary folder beside ``entry`` and renamed to it: a concurrent install that
    renamed first wins, and this one's tree is removed.
    """
    npm = npm or shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise CdkCliError(f"the pinned AWS CDK CLI is not installed and npm or node is not on PATH: {NODE_ADVICE}")
    version = pinned_version(pin_dir)
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", dir=entry.parent))
    try:
        for name in PIN_FILES:
            shutil.copyfile(pin_dir / name, work / name)
        print(
            f"installing the pinned AWS CDK CLI ({CLI_PACKAGE} {version}) from the npm registry into {entry} "
            "(once; later runs use it)",
            file=sys.stderr,
            flush=True,
        )
        done = subprocess.run([npm, *NPM_CI], cwd=work, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            output = npm_output(done.stdout + done.stderr)
            raise CdkCliError(f"npm ci of {CLI_PACKAGE} {version} into {entry} failed ({done.returncode}):\n{output}")
        try:
            os.rename(work, entry)
        except OSError as exc:  # another install renamed first, or something else is in the way
            if node_modules_cli(entry).version != version:
                raise CdkCliError(f"{entry} holds no {CLI_PACKAGE} {version}: remove it, then run again") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entry / "node_modules" / ".bin" / "cdk"


def npm_output(text: str, head: int = 8, tail: int = 2) -> str:
    """npm's output, shortened: its first lines (the error; npm follows it with the command's usage) and its last
    (where its log is), blank lines left out."""
    lines = [line for line in text.splitlines() if line.strip() and line.strip() != "npm error"]
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join([*lines[:head], "...", *lines[-tail:]])
