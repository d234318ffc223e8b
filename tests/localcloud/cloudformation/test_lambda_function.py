"""Where a function's handler runs from: its asset folder in the cloud assembly, under its runtime, or nowhere."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud.cloudformation.lambda_function import CodeLocation, asset_folder, locate_code


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


def test_the_asset_folder_comes_from_the_metadata_or_else_from_the_assets_manifest(tmp_path: Path) -> None:
    code = {"S3Bucket": "cdk-assets", "S3Key": "abc123.zip"}
    manifest = {
        "files": {
            "abc123": {
                "source": {"path": "asset.abc123", "packaging": "zip"},
                "destinations": {"current": {"bucketName": "cdk-assets", "objectKey": "abc123.zip"}},
            },
            "tpl": {
                "source": {"path": "S.template.json", "packaging": "file"},
                "destinations": {"current": {"bucketName": "cdk-assets", "objectKey": "tpl.json"}},
            },
        }
    }
    (tmp_path / "S.assets.json").write_text(json.dumps(manifest))
    assert asset_folder(tmp_path, {"aws:asset:path": "asset.named"}, {"Code": code}) == tmp_path / "asset.named"
    assert asset_folder(tmp_path, {}, {"Code": code}) == tmp_path / "asset.abc123"  # synthesized in process
    assert asset_folder(tmp_path, {}, {"Code": {"S3Bucket": "b", "S3Key": "other.zip"}}) is None
    assert asset_folder(tmp_path, {}, {"Code": {"ZipFile": "def handler(e, c): pass"}}) is None
