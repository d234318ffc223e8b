"""Where a function's handler runs from: its asset folder in the cloud assembly, under its runtime, or nowhere."""

from __future__ import annotations

from pathlib import Path

from localcloud.cloudformation.lambda_function import CodeLocation, locate_code


def test_the_provider_runs_from_its_asset_even_when_installed_here(tmp_path: Path) -> None:
    (tmp_path / "provider").mkdir()
    (tmp_path / "provider" / "__init__.pyc").write_bytes(b"")  # bytecode only counts too
    (tmp_path / "provider" / "handler.py").write_text("def handler(event, context): pass\n")
    properties = {"Runtime": "python3.13", "Handler": "provider.handler.handler"}
    assert locate_code(properties, tmp_path) == CodeLocation("provider.handler.handler", str(tmp_path), "python3.13")


def test_a_user_function_runs_from_its_asset_under_its_runtime(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.pyc").write_bytes(b"")
    properties = {"Runtime": "python3.12", "Handler": "app.main.handler"}
    assert locate_code(properties, tmp_path) == CodeLocation("app.main.handler", str(tmp_path), "python3.12")


def test_functions_that_cannot_run_here_say_why(tmp_path: Path) -> None:
    assert "nodejs20.x cannot run locally" in str(locate_code({"Runtime": "nodejs20.x", "Handler": "index.h"}, None))
    assert "is not module.function" in str(locate_code({"Runtime": "python3.13", "Handler": "main"}, None))
    assert "code is not here" in str(locate_code({"Runtime": "python3.13", "Handler": "index.handler"}, None))
    installed_here = locate_code({"Runtime": "python3.13", "Handler": "provider.handler.handler"}, tmp_path)
    assert installed_here == f"handler module provider.handler is not in the function's asset {tmp_path}"
