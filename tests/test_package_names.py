"""The installed import names (``lookoutvision_cdk``, ``lookoutvision_cdk_provider``, ``lookoutvision_localcloud``)
are the only ones in use: no file names a package by its folder, every package is installed, none is imported twice."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Folder → the import name the distribution gives it (pyproject.toml's package-dir).
INSTALLED_AS = {
    "cdk_app": "lookoutvision_cdk",
    "provider": "lookoutvision_cdk_provider",
    "localcloud": "lookoutvision_localcloud",
}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".json", ".txt", ".cfg", ".ini", ""}


def _folder_modules(folder: str) -> list[str]:
    root = REPO / folder
    names = {path.stem for path in root.glob("*.py")}
    names |= {path.name for path in root.iterdir() if (path / "__init__.py").is_file()}
    return sorted(names - {"__init__"})


def _old_name_patterns() -> list[re.Pattern[str]]:
    patterns = []
    for folder in INSTALLED_AS:
        modules = "|".join(_folder_modules(folder))
        patterns += [
            re.compile(rf"(?<![\w.])(?:from|import)\s+{folder}(?=[\s.,;)]|$)", re.M),
            re.compile(rf"(?<![\w./-]){folder}\.(?:{modules})(?!\w)"),
            re.compile(rf"-m\s+{folder}(?![\w/-])"),
            re.compile(rf"""["']-m["'],\s*["']{folder}["']"""),
        ]
    return patterns


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode()
    paths = [REPO / name for name in listed.split("\0") if name]
    return [
        path
        for path in paths
        if path.suffix in TEXT_SUFFIXES and path.is_file() and not path.is_symlink()
        if path.name != "package-lock.json"
    ]


def test_no_file_names_a_package_by_its_folder() -> None:
    patterns = _old_name_patterns()
    found = [
        f"{path.relative_to(REPO)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for path in _tracked_text_files()
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for pattern in patterns
        for match in pattern.finditer(text)
    ]
    assert found == []


def test_the_distribution_installs_every_package_of_the_folders_under_its_name() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"] == {new: old for old, new in INSTALLED_AS.items()}
    expected = sorted(
        ".".join((new, *init.parent.relative_to(REPO / old).parts))
        for old, new in INSTALLED_AS.items()
        for init in (REPO / old).rglob("__init__.py")
        if "__pycache__" not in init.parts
    )
    assert sorted(setuptools["packages"]) == expected


def test_every_module_is_imported_once_under_its_installed_name() -> None:
    """From the repository's root, where the folders are importable too (pytest puts it first on sys.path, as this
    child does): importing every module of the three packages imports nothing under a folder's name, and no file
    as two modules."""
    program = textwrap.dedent(
        f"""
        import importlib, pkgutil, sys
        from pathlib import Path

        sys.path.insert(0, {str(REPO)!r})
        for top in {sorted(INSTALLED_AS.values())!r}:
            package = importlib.import_module(top)
            for info in pkgutil.walk_packages(package.__path__, top + "."):
                if not info.name.endswith("__main__"):
                    importlib.import_module(info.name)
        folders = {sorted(INSTALLED_AS)!r}
        print("OLD", sorted(name for name in sys.modules if name.split(".")[0] in folders))
        files = {{}}
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            if path and any(Path(path).resolve().is_relative_to(Path({str(REPO)!r}, f)) for f in folders):
                files.setdefault(str(Path(path).resolve()), []).append(name)
        print("TWICE", sorted(names for names in files.values() if len(names) > 1))
        print("COUNT", sum(name.split(".")[0] in {sorted(INSTALLED_AS.values())!r} for name in sys.modules))
        """
    )
    command = [sys.executable, "-c", program]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(("OLD", "TWICE", "COUNT")))
    assert lines["OLD"] == "[]"
    assert lines["TWICE"] == "[]"
    assert int(lines["COUNT"]) > 100  # every module was imported
