"""The crhelper adapter: pinned to the crhelper the asset bundles; crhelper dispatches and never answers itself."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from crhelper import CfnResource

from lookoutvision_cdk_provider.cfn_response import ResponseTarget, response_target
from lookoutvision_cdk_provider.crhelper_adapter import CRHELPER_VERSION, Framework
from lookoutvision_cdk_provider.request import CustomResourceRequest, parse_request
from lookoutvision_cdk_provider.verdict import Answer, HandedOver, ResponseStatus, Verdict
from lookoutvision_localcloud.awslambda import LambdaContext
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from tests.fixtures.clock import session_clock
from tests.fixtures.provider import FUNCTION_ARN, make_event

PROVIDER = Path(__file__).resolve().parents[2] / "provider"
CLOCK = session_clock(1.0)


def _context(seconds: float) -> LambdaContext:
    return LambdaContext("r", "provider", FUNCTION_ARN, deadline=time.time() + seconds)


def _undecided(request: CustomResourceRequest, message: str) -> Answer:
    return Answer.failed("undecided", message)


def _request(endpoint: ResponseEndpoint, **changes: Any) -> CustomResourceRequest:
    event = {**make_event(endpoint, "Delete", clock=CLOCK, physical_id="arn"), **changes}
    target = response_target(event, (endpoint.host,))
    assert isinstance(target, ResponseTarget)
    return parse_request(event, target)


@pytest.fixture
def framework(monkeypatch: pytest.MonkeyPatch) -> Framework:
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # crhelper builds its boto3 clients when constructed
    return Framework(CLOCK, timer_margin_real=0.5, undecided=_undecided)


def test_the_adapter_is_pinned_to_the_crhelper_the_asset_bundles() -> None:
    bundled = (PROVIDER / "requirements.txt").read_text().split()
    assert f"crhelper=={CRHELPER_VERSION}" in bundled
    assert importlib.metadata.version("crhelper") == CRHELPER_VERSION


def test_the_hooks_it_replaces_are_where_crhelper_calls_them() -> None:
    """crhelper's answer after the request function, its catch-all and init failure, and its timer."""
    source = inspect.getsource(CfnResource)
    assert "self._cfn_response(event)" in source
    assert "self._send(FAILED, str(e))" in source
    assert "self._send(FAILED, str(self._init_failed))" in source
    assert "self._set_timeout()" in source
    assert list(inspect.signature(CfnResource._send).parameters) == ["self", "status", "reason", "send_response"]
    assert list(inspect.signature(CfnResource._cfn_response).parameters) == ["self", "event"]
    assert list(inspect.signature(CfnResource._set_timeout).parameters) == ["self"]


def test_nothing_else_in_the_provider_imports_crhelper() -> None:
    importers = set()
    for path in PROVIDER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "crhelper" for name in names):
                importers.add(path.name)
    assert importers == {"crhelper_adapter.py"}


def test_the_decision_comes_back_and_crhelper_answers_nothing(
    framework: Framework, response_endpoint: ResponseEndpoint
) -> None:
    request = _request(response_endpoint)
    decided = Answer.succeeded("arn", {"Status": "TRAINED"})

    assert framework.run(request, _context(30), lambda r, c: decided) == decided
    assert framework.run(request, _context(30), lambda r, c: HandedOver(2)) == HandedOver(2)
    assert response_endpoint.responses(request.request_id) == []


def test_the_timer_answers_nothing(
    framework: Framework, response_endpoint: ResponseEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """An invocation about to be stopped has not answered; Lambda's retry of it carries the request on."""
    request = _request(response_endpoint)

    def slow(request: CustomResourceRequest, context: Any) -> Verdict:
        time.sleep(1.0)  # past the timer (0.63 s into a 0.7 s invocation)
        return Answer.succeeded("arn")

    # crhelper would have answered FAILED "Execution timed out" from its timer.
    assert framework.run(request, _context(0.7), slow) == Answer.succeeded("arn")
    assert response_endpoint.responses(request.request_id) == []
    assert "about to time out unanswered; Lambda's retry of it carries the request on" in caplog.text


def test_crhelpers_catch_all_never_answers_the_url_it_holds(
    framework: Framework, response_endpoint: ResponseEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """A warm crhelper still holds the previous request's ResponseURL: its own failure becomes this request's FAILED."""
    previous = _request(response_endpoint)
    framework.run(previous, _context(30), lambda r, c: Answer.succeeded("arn"))
    request = _request(response_endpoint)
    crhelper_cannot_read = CustomResourceRequest(
        **{**vars(request), "event": {k: v for k, v in request.event.items() if k != "StackId"}}
    )
    called: list[CustomResourceRequest] = []

    verdict = framework.run(crhelper_cannot_read, _context(30), lambda r, c: called.append(r) or HandedOver(2))

    assert verdict == Answer.failed("undecided", "crhelper failed: 'StackId'")
    assert called == []
    assert response_endpoint.responses(previous.request_id) == []
    assert response_endpoint.responses(request.request_id) == []


def test_crhelper_unable_to_start_fails_the_request_it_was_given(
    response_endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """crhelper builds its clients when constructed; without a region it records the failure, answered here FAILED."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    framework = Framework(CLOCK, timer_margin_real=0.5, undecided=_undecided)
    request = _request(response_endpoint)

    verdict = framework.run(request, _context(30), lambda r, c: Answer.succeeded("arn"))

    assert isinstance(verdict, Answer) and verdict.status is ResponseStatus.FAILED
    assert verdict.reason.startswith("crhelper failed:"), verdict.reason
    assert "region" in verdict.reason
    assert response_endpoint.responses(request.request_id) == []


def test_a_request_function_that_raises_is_answered_failed(
    framework: Framework, response_endpoint: ResponseEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    request = _request(response_endpoint)

    def broken(request: CustomResourceRequest, context: Any) -> Verdict:
        raise KeyError("Data")

    assert framework.run(request, _context(30), broken) == Answer.failed("undecided", "unexpected KeyError: 'Data'")
    assert response_endpoint.responses(request.request_id) == []
