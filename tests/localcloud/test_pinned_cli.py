"""The pinned CDK CLI: which one runs (a pure decision), and its installation into a cache with npm."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from lookoutvision_localcloud import pinned_cli
from lookoutvision_localcloud.pinned_cli import Candidate, CdkCliError, choose_cli

REPO = Path(__file__).resolve().parents[2]
PINNED = pinned_cli.pinned_version()
CACHE = Candidate(Path("/cache/cdk-cli/x/node_modules/.bin/cdk"), None)


def test_the_pin_is_one_pair_of_files_that_the_repository_links_to() -> None:
    for name in pinned_cli.PIN_FILES:
        assert (REPO / name).resolve() == pinned_cli.PIN_DIR / name
    lock = json.loads((pinned_cli.PIN_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == PINNED


def test_a_given_cli_runs_whatever_its_version() -> None:
    local = [Candidate(Path("/app/node_modules/.bin/cdk"), PINNED)]
    choice = choose_cli(PINNED, Path("/opt/cdk"), local, CACHE)
    assert (choice.executable, choice.origin, choice.install) == (Path("/opt/cdk"), "given", False)


def test_the_first_node_modules_of_the_pinned_version_runs() -> None:
    app = Candidate(Path("/app/node_modules/.bin/cdk"), "2.1000.0")
    checkout = Candidate(Path("/repo/node_modules/.bin/cdk"), PINNED)
    choice = choose_cli(PINNED, None, [app, checkout], CACHE)
    assert (choice.executable, choice.origin, choice.install) == (checkout.executable, "node_modules", False)
    assert choice.notes == (f"/app/node_modules/.bin/cdk is aws-cdk 2.1000.0, not the pinned {PINNED}",)


@pytest.mark.parametrize("cached", [None, "2.1000.0"])
def test_without_one_the_cache_entry_is_installed_first(cached: str | None) -> None:
    local = [Candidate(Path("/app/node_modules/.bin/cdk"), None)]
    choice = choose_cli(PINNED, None, local, Candidate(CACHE.executable, cached))
    assert (choice.executable, choice.origin, choice.install) == (CACHE.executable, "cache", True)
    assert choice.notes == ()


def test_an_installed_cache_entry_runs_as_it_is() -> None:
    choice = choose_cli(PINNED, None, [], Candidate(CACHE.executable, PINNED))
    assert (choice.origin, choice.install) == ("cache", False)


def test_a_given_cli_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CdkCliError, match=r"the CDK CLI given \(.*nowhere\) does not exist"):
        pinned_cli.find_cli(tmp_path, tmp_path / "cache", given=tmp_path / "nowhere")


def test_concurrent_first_uses_install_one_tree_into_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two first uses at once: ``npm ci`` from the shipped lock file (npm's cache makes it quick), each into its
    own folder, one renamed into place; both get the same working CLI and nothing else is left."""
    entry = pinned_cli.cli_cache_entry(tmp_path / "cache", PINNED)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(pinned_cli.install_cli(entry))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert results == [entry / "node_modules" / ".bin" / "cdk"] * 2
    assert [path.name for path in entry.parent.iterdir()] == [PINNED]  # no temporary tree left beside it
    assert pinned_cli.node_modules_cli(entry).version == PINNED
    version = subprocess.run([str(results[0]), "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert version.stdout.startswith(f"{PINNED} ")
    assert f"installing the pinned AWS CDK CLI (aws-cdk {PINNED}) from the npm registry into {entry}" in (
        capsys.readouterr().err
    )


def test_an_npm_failure_names_the_cache_entry_and_shows_npm_s_output(tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    shutil.copytree(pinned_cli.PIN_DIR, pin)
    manifest = json.loads((pin / "package.json").read_text())
    manifest["devDependencies"]["aws-cdk"] = "2.1000.0"  # no longer what the lock file holds
    (pin / "package.json").write_text(json.dumps(manifest))
    entry = tmp_path / "cache" / "cdk-cli" / "2.1000.0"
    with pytest.raises(CdkCliError) as failure:
        pinned_cli.install_cli(entry, pin)
    assert f"npm ci of aws-cdk 2.1000.0 into {entry} failed" in str(failure.value)
    assert "in sync" in str(failure.value)  # npm's own words: package.json and the lock file disagree
    assert list(entry.parent.iterdir()) == []


def test_without_npm_or_node_it_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CdkCliError, match=r"npm or node is not on PATH: install Node.js \(>= 18\) with npm"):
        pinned_cli.install_cli(tmp_path / "cache" / "cdk-cli" / PINNED)
    assert not (tmp_path / "cache").exists()
