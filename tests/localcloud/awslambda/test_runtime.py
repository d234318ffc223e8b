"""The execution environment as Lambda's runtime: the declared Python, the function's code first, nothing else."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_cdk.lambda_asset import PROVIDER_PACKAGE, RUNTIME_NAME, find_python, provider_asset
from lookoutvision_localcloud.awslambda import LambdaService, provider_edge
from lookoutvision_localcloud.awslambda.runtimes import local_runtime
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.awslambda import HANDLERS_CODE, local_function
from tests.fixtures.provider import make_event, model_properties, project_with_dataset, trained_model

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def python313() -> str:
    python = find_python("3.13")
    if python is None:
        pytest.skip("no CPython 3.13 on this machine")
    return python


def test_the_function_runs_its_runtime_from_its_code_alone(python313: str) -> None:
    with local_function("runtime", timeout=30.0) as service:
        inside = service.invoke({}).result
    assert inside["version"] == [3, 13]
    assert Path(inside["executable"]).resolve() == Path(python313).resolve()
    assert inside["path"][0] == str(HANDLERS_CODE) == inside["cwd"] == inside["task_root"]
    # The standard library besides the code: no site-packages, no virtual environment, no repository.
    assert not [entry for entry in inside["path"][1:] if "site-packages" in entry or entry.startswith(str(REPO))]
    assert inside["flags"] == {"isolated": 1, "no_site": 1}
    assert "boto3" not in inside["modules"]
    # The SDK the runtime ships comes after the code, as Lambda's boto3 does.
    assert Path(inside["boto3"]).is_relative_to(Path(inside["path"][1]))
    assert "site-packages" not in inside["boto3"]
    # The runtime side of the local Lambda, imported from the harness, is standard library only.
    harness = {name for name in inside["modules"] if name.split(".")[0] == "lookoutvision_localcloud"}
    assert harness == {
        "lookoutvision_localcloud",
        "lookoutvision_localcloud.awslambda",
        "lookoutvision_localcloud.awslambda.context",
        "lookoutvision_localcloud.scaled_clock",
    }


def test_the_asset_provider_is_the_one_imported_not_the_repository_copy(tmp_path: Path) -> None:
    """An asset's provider package wins over the one installed here, beside ``lookoutvision_localcloud``."""
    (tmp_path / PROVIDER_PACKAGE).mkdir()
    (tmp_path / PROVIDER_PACKAGE / "__init__.py").write_text("")
    (tmp_path / PROVIDER_PACKAGE / "handler.py").write_text("def handler(event, context):\n    return __file__\n")
    with LambdaService(provider_edge.PROVIDER_HANDLER, code=tmp_path, runtime=RUNTIME_NAME, retry_delays=()) as service:
        invocation = service.invoke({})
    assert invocation.outcome == "ok", invocation.logs
    assert invocation.result == str(tmp_path / PROVIDER_PACKAGE / "handler.py")


def test_edge_options_reach_the_provider_config(emulator: Emulator) -> None:
    """``list_models_page_size=2`` from the edge options: the provider pages ListModels two versions at a time."""
    project_with_dataset(emulator)
    arns = [trained_model(emulator) for _ in range(3)]
    missing = arns[0].rsplit("/", 1)[0] + "/9"  # no such version: the Delete looks for it in ListModels
    with ResponseEndpoint() as endpoint, _provider(emulator, endpoint, {"list_models_page_size": 2}) as function:
        event = make_event(endpoint, "Delete", clock=function.clock, physical_id=missing, properties=model_properties())
        function.invoke_async(event)
        response = endpoint.wait(event["RequestId"], timeout=60)
    assert response["Status"] == "SUCCESS", response.get("Reason")
    pages = emulator.calls_of("ListModels")
    assert pages and {call.params.get("MaxResults") for call in pages} == {2}


def test_an_unknown_edge_option_fails_the_init(emulator: Emulator) -> None:
    with ResponseEndpoint() as endpoint, _provider(emulator, endpoint, {"page_size": 2}) as function:
        invocation = function.invoke({})
    assert invocation.outcome == "error"
    assert invocation.result["errorType"] == "Runtime.ImportModuleError"
    assert "unknown option(s) ['page_size']" in invocation.result["errorMessage"]


def _provider(emulator: Emulator, endpoint: ResponseEndpoint, options: dict[str, Any]) -> LambdaService:
    scale = emulator.settings.time_scale
    return LambdaService(
        provider_edge.PROVIDER_HANDLER,
        code=provider_asset(),
        runtime=RUNTIME_NAME,
        env={"AWS_ENDPOINT_URL_LOOKOUTVISION": emulator.endpoint_url, "SSL_CERT_FILE": endpoint.ca_file},
        timeout=30 / scale,
        time_scale=scale,
        retry_delays=(),
        edge=provider_edge.EDGE,
        edge_options={"extra_response_hosts": [endpoint.host], **options},
    )


def test_edge_options_must_be_json() -> None:
    with pytest.raises(TypeError):
        LambdaService(provider_edge.PROVIDER_HANDLER, edge=provider_edge.EDGE, edge_options={"clock": object()})


def test_a_runtime_without_its_python_falls_back_to_this_one_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    runtime = local_runtime("python3.99")
    assert runtime.interpreter == sys.executable
    [line] = capsys.readouterr().err.splitlines()
    assert "no CPython 3.99" in line and sys.executable in line
    current = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert runtime.packages.name.startswith(f"python{current}-boto3-")  # the SDK, for the Python that runs


def test_a_runtime_that_is_not_python_is_refused() -> None:
    with pytest.raises(ValueError, match=r"nodejs20\.x"):
        local_runtime("nodejs20.x")
