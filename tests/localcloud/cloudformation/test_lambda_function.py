"""Where a function's handler runs from: the installed packages, its asset folder, or nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.cloudformation.lambda_function import CodeLocation, locate_code


def test_the_provider_runs_from_the_installed_package(tmp_path: Path) -> None:
    properties = {"Runtime": "python3.13", "Handler": "provider.handler.handler"}
    assert locate_code(properties, tmp_path) == CodeLocation("provider.handler.handler", None)


def test_a_user_function_runs_from_its_asset(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text("def handler(event, context): pass\n")
    properties = {"Runtime": "python3.12", "Handler": "app.main.handler"}
    assert locate_code(properties, tmp_path) == CodeLocation("app.main.handler", str(tmp_path))


def test_a_module_in_the_current_directory_does_not_count_as_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m localcloud` puts the current directory on sys.path: a module there is no function code.
    (tmp_path / "stray_handler_module.py").write_text("def handler(event, context): pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    reason = locate_code({"Runtime": "python3.13", "Handler": "stray_handler_module.handler"}, tmp_path / "asset")
    assert reason == "handler module stray_handler_module is neither installed nor in the function's asset"


def test_functions_that_cannot_run_here_say_why(tmp_path: Path) -> None:
    assert "nodejs20.x cannot run locally" in str(locate_code({"Runtime": "nodejs20.x", "Handler": "index.h"}, None))
    assert "is not module.function" in str(locate_code({"Runtime": "python3.13", "Handler": "main"}, None))
    assert "neither installed" in str(locate_code({"Runtime": "python3.13", "Handler": "index.handler"}, None))
