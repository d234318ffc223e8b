"""The provider as Lambda runs it, for the reliability suite: its function's environment, and CloudFormation's side.

``Cloud`` plays CloudFormation against the provider function: deliver an event, wait for the one
response, check the response invariants. ``provider_at`` runs the provider as another function
(its own time scale, timeout and configuration). The fixtures (``provider_function``, ``cloud``)
are in ``tests/provider/reliability/conftest.py``. What counts as secret:
``tests/fixtures/secrets.py``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_cdk_provider.consts import CONTINUATION
from lookoutvision_localcloud.awslambda import Invocation, LambdaService, Stall, provider_edge
from lookoutvision_localcloud.cloudformation.custom_resource import check_response as cloudformation_problems
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.provider import STACK_ID, check_response, make_event
from tests.fixtures.secrets import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN

REPO_ROOT = Path(__file__).resolve().parents[3]
# Real seconds per service second: a 200 s Lambda timeout lasts 1 s, a 3600 s ServiceTimeout 18 s.
SCALE = 0.005
LAMBDA_TIMEOUT = 200.0
# Lambda retries a failed asynchronous invocation twice; here after 2 service seconds, not minutes.
RETRY_DELAYS = (2.0, 2.0)
# Nothing listens here: crhelper's polling rule (EventBridge) would fail loudly, not silently succeed.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
# Idle warm execution environments before each test: the first attempt, a continuation, Lambda's retry.
WARM_ENVIRONMENTS = 3
# Real seconds to wait for an answer: ServiceTimeout (18 s at SCALE) plus room for slow machines.
ANSWER_TIMEOUT = 60.0


def provider_environment(emulator: Emulator, endpoint: ResponseEndpoint) -> dict[str, str]:
    """The provider function's environment: the emulator, the response endpoint's CA, distinctive credentials."""
    return {
        "PYTHONPATH": str(REPO_ROOT),
        "AWS_ENDPOINT_URL_LOOKOUTVISION": emulator.endpoint_url,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": CLOSED_ENDPOINT,
        "AWS_ENDPOINT_URL_LOGS": CLOSED_ENDPOINT,
        "SSL_CERT_FILE": endpoint.ca_file,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
    }


@dataclass
class Cloud:
    """CloudFormation's side of the protocol, through the local Lambda."""

    function: LambdaService
    endpoint: ResponseEndpoint
    emulator: Emulator
    first_invocation: int = 0
    delivered: list[dict[str, Any]] = field(default_factory=list)

    def event(self, request_type: str, **kwargs: Any) -> dict[str, Any]:
        """CloudFormation's event, its ResponseURL signed in the function's clock."""
        return make_event(self.endpoint, request_type, clock=self.function.clock, **kwargs)

    def deliver(self, event: dict[str, Any]) -> None:
        """Invoke the function asynchronously with ``event``, as CloudFormation does."""
        self.delivered.append(event)
        self.function.invoke_async(event)

    def answer(self, event: dict[str, Any], timeout: float = ANSWER_TIMEOUT) -> dict[str, Any]:
        """The first response to ``event``, once the function is idle again; checked as CloudFormation would."""
        response = self.endpoint.wait(event["RequestId"], timeout=timeout)
        self.function.wait_idle(timeout=timeout)
        check_response(event, response)
        assert cloudformation_problems(response, event) == []
        return response

    def run(self, event: dict[str, Any], timeout: float = ANSWER_TIMEOUT, once: bool = True) -> dict[str, Any]:
        """Deliver, wait for the answer, and check it was the only one (unless ``once`` is False)."""
        self.deliver(event)
        response = self.answer(event, timeout)
        if not once:
            return response
        count = len(self.endpoint.responses(event["RequestId"]))
        assert count == 1, f"{count} responses to one request; invocations: {self.timeline(event['RequestId'])}"
        return response

    def timeline(self, request_id: str) -> list[str]:
        """One line per invocation of a request: Lambda's attempt, continuation number, outcome, real seconds."""
        lines = []
        for i in self.invocations_of(request_id):
            record = i.event.get("LookoutVisionContinuation") or {}
            seconds = (i.ended or 0.0) - (i.started or 0.0)
            lines.append(f"attempt {i.attempt} continuation {record.get('Invocation', 1)} {i.outcome} {seconds:.2f}s")
        return lines

    def invocations_of(self, request_id: str) -> list[Invocation]:
        """The invocations (first, re-invocations, Lambda's retries) that carried one request, in order."""
        return [i for i in self.function.invocations[self.first_invocation :] if i.event.get("RequestId") == request_id]

    def continuation_problems(self, request_id: str) -> list[str]:
        """What a finished request left of its continuation: crhelper polling keys, unfinished or failed runs.

        Call it once the function is idle: nothing is queued, running or waiting for Lambda's retry.
        """
        problems: list[str] = []
        invocations = self.invocations_of(request_id)
        for invocation in invocations:
            keys = sorted(k for k in invocation.event if k.startswith("CrHelper"))
            if keys:
                problems.append(f"crhelper polling keys {keys} in invocation {invocation.request_id}")
            if invocation.ended is None:
                problems.append(f"invocation {invocation.request_id} has not ended")
        if invocations and invocations[-1].outcome != "ok":
            problems.append(f"the last invocation ended {invocations[-1].outcome!r}: the request was left hanging")
        return problems


@contextlib.contextmanager
def provider_at(cloud: Cloud, *, scale: float, timeout: float, **settings: Any) -> Iterator[Cloud]:
    """The provider as another function: its own time scale (the emulator's too), timeout and config ``settings``.

    Same emulator and response endpoint, and warm execution environments, as for ``cloud``.
    """
    cloud.emulator.configure(time_scale=scale)
    service = LambdaService(
        provider_edge.PROVIDER_HANDLER,
        code=cloud.function.code,
        runtime=cloud.function.runtime,
        env=provider_environment(cloud.emulator, cloud.endpoint),
        timeout=timeout,
        time_scale=scale,
        function_name=f"provider-{timeout:g}s",
        retry_delays=RETRY_DELAYS,
        edge=provider_edge.EDGE,
        edge_options={"extra_response_hosts": [cloud.endpoint.host], **settings},
    )
    with service:
        warm_up(service, cloud.endpoint, WARM_ENVIRONMENTS)
        yield Cloud(service, cloud.endpoint, cloud.emulator, first_invocation=len(service.invocations))


def stall_first_invocation(cloud: Cloud, event: dict[str, Any], after: float) -> None:
    """The request's first invocation stalls ``after`` service seconds in, and Lambda stops it (its timeout)."""
    request_id = event["RequestId"]
    cloud.function.stalls.append(
        Stall(
            after,
            matches=lambda i: i.event.get("RequestId") == request_id and i.attempt == 0 and CONTINUATION not in i.event,
        )
    )


def warm_up(function: LambdaService, endpoint: ResponseEndpoint, environments: int) -> None:
    """Leave ``environments`` warm execution environments idle, ready for re-invocations and Lambda's retries.

    A continuation or a retry then starts at once instead of waiting for a new environment to import
    the provider, which keeps each test's wall time (and so its share of the time scale) steady on a
    busy machine. The warm-up requests are Deletes after a failed Create (crhelper's made-up id, no
    ProjectName): answered at once, with no call to Lookout for Vision.
    """
    stack_name = STACK_ID.split("/")[1]
    for _ in range(environments):
        event = make_event(
            endpoint, "Delete", clock=function.clock, physical_id=f"{stack_name}_Model_WARMUP00", properties={}
        )
        function.invoke_async(event)
    function.wait_idle(timeout=ANSWER_TIMEOUT)


class Figures:
    """Lines printed in the terminal summary, whatever the capture mode."""

    def __init__(self, config: pytest.Config, title: str) -> None:
        self._config = config
        self._title = title
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        reporter = self._config.pluginmanager.get_plugin("terminalreporter")
        capture = self._config.pluginmanager.get_plugin("capturemanager")
        if reporter is None or not self.lines:
            return
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line("")
            reporter.write_line(f"== {self._title} ==")
            for line in self.lines:
                reporter.write_line(line)


def elapsed(began: float) -> float:
    return time.monotonic() - began
