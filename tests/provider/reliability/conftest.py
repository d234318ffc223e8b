"""Reliability fixtures: the provider as Lambda runs it, one local function for the whole package.

``provider_function`` (package scope) is the provider in the local LambdaService: asynchronous
invocations in warm execution environments, killed at the function's timeout, failed
asynchronous invocations retried by Lambda, self-invocations through the Invoke API. Its
credentials are distinctive strings so that the log audit at the end of the package can look
for them; crhelper's EventBridge and CloudWatch Logs clients point at a closed port, so a
polling rule could not even be created.

``cloud`` (function scope) plays CloudFormation against it (``tests/provider/reliability/harness.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lookoutvision_cdk.lambda_asset import RUNTIME_NAME, provider_asset
from lookoutvision_localcloud.awslambda import LambdaService, provider_edge
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.secrets import leaks
from tests.provider.reliability.harness import (
    ANSWER_TIMEOUT,
    LAMBDA_TIMEOUT,
    RETRY_DELAYS,
    SCALE,
    WARM_ENVIRONMENTS,
    Cloud,
    provider_environment,
    warm_up,
)


@pytest.fixture(scope="package")
def provider_function(emulator_server: Emulator, response_endpoint: ResponseEndpoint) -> Iterator[LambdaService]:
    env = provider_environment(emulator_server, response_endpoint)
    with LambdaService(
        "lookoutvision_cdk_provider.handler.handler",
        code=provider_asset(),
        runtime=RUNTIME_NAME,
        env=env,
        timeout=LAMBDA_TIMEOUT,
        time_scale=SCALE,
        function_name="reliability-provider",
        retry_delays=RETRY_DELAYS,
        edge=provider_edge.EDGE,
        edge_options={"extra_response_hosts": [response_endpoint.host]},
    ) as service:
        yield service
        # The audit of every log line and every response body of the package's invocations.
        events = [i.event for i in service.invocations]
        logs = "\n".join(line for i in service.invocations for line in i.logs)
        bodies = json.dumps([response_endpoint.responses(str(e.get("RequestId"))) for e in events])
        problems = leaks(logs, events) + [f"response body: {leak}" for leak in leaks(bodies, events)]
        assert not problems, f"secrets in the function's logs or responses: {sorted(set(problems))}"


@pytest.fixture
def cloud(provider_function: LambdaService, response_endpoint: ResponseEndpoint, emulator: Emulator) -> Iterator[Cloud]:
    emulator.configure(time_scale=SCALE)
    provider_function.wait_idle(timeout=ANSWER_TIMEOUT)
    warm_up(provider_function, response_endpoint, WARM_ENVIRONMENTS)
    yield Cloud(provider_function, response_endpoint, emulator, first_invocation=len(provider_function.invocations))
    provider_function.wait_idle(timeout=ANSWER_TIMEOUT)
