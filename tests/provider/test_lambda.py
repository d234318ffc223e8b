"""The provider as Lambda runs it: asynchronous invocations, a short timeout, continuations.

The function runs in the local LambdaService's execution environments and re-invokes itself
through the service's Invoke API; responses go to the local HTTPS ResponseURL endpoint.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from lookoutvision_cdk.lambda_asset import RUNTIME_NAME, provider_asset
from lookoutvision_cdk_provider import consts
from lookoutvision_localcloud.awslambda import LambdaService, provider_edge
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.emulator import requests_of
from tests.fixtures.faults import InvokeAnswerLost
from tests.fixtures.provider import (
    PROJECT,
    check_response,
    listed_versions,
    make_event,
    model_properties,
    project_with_dataset,
    trained_model,
)

# Real seconds per service second for these tests: a 100 s Lambda timeout lasts 1 s.
SCALE = 0.01
LAMBDA_TIMEOUT = 100.0


@contextlib.contextmanager
def _provider(
    emulator: Emulator,
    response_endpoint: ResponseEndpoint,
    *,
    env: dict[str, str] | None = None,
    retry_delays: tuple[float, ...] = (),
    environments: int = 2,
) -> Iterator[LambdaService]:
    """The provider as a local function with ``environments`` warm; ``env`` added to its environment, failed
    invocations retried after ``retry_delays`` (service seconds)."""
    emulator.configure(time_scale=SCALE)
    environment = {
        "AWS_ENDPOINT_URL_LOOKOUTVISION": emulator.endpoint_url,
        "SSL_CERT_FILE": response_endpoint.ca_file,
        **(env or {}),
    }
    with LambdaService(
        provider_edge.PROVIDER_HANDLER,
        code=provider_asset(),
        runtime=RUNTIME_NAME,
        env=environment,
        timeout=LAMBDA_TIMEOUT,
        time_scale=SCALE,
        retry_delays=retry_delays,
        edge=provider_edge.EDGE,
        edge_options={"extra_response_hosts": [response_endpoint.host]},
    ) as service:
        _warm_up(service, response_endpoint, environments)
        yield service


@pytest.fixture
def function(emulator: Emulator, response_endpoint: ResponseEndpoint) -> Iterator[LambdaService]:
    with _provider(emulator, response_endpoint) as service:
        yield service


def _warm_up(service: LambdaService, endpoint: ResponseEndpoint, environments: int) -> None:
    """Start ``environments`` execution environments, so that a continuation never waits for a cold start.

    Locally, a cold start (importing boto3 and crhelper) counts against the invocation's timeout,
    and on a loaded machine it can exceed these tests' 1-second Lambda timeout; on Lambda the
    init phase does not count. The warm-up invocations therefore get a generous timeout. They are
    Deletes of a failed Create's id (crhelper's form): answered with no call to the service.
    """
    service.timeout = 30 / SCALE
    try:
        for _ in range(environments):
            service.invoke_async(
                make_event(endpoint, "Delete", clock=service.clock, physical_id="provider-tests_Model_WARMUP00")
            )
        service.wait_idle(timeout=60)
        assert all(i.outcome == "ok" for i in service.invocations)
    finally:
        service.timeout = LAMBDA_TIMEOUT
    service.invocations.clear()


def _run(function: LambdaService, endpoint: ResponseEndpoint, event: dict[str, Any]) -> dict[str, Any]:
    function.invoke_async(event)
    try:
        response = endpoint.wait(event["RequestId"], timeout=30)
    except TimeoutError:
        trail = [(i.outcome, i.event.get(consts.CONTINUATION, {}).get("Invocation")) for i in function.invocations]
        last_logs = "\n".join(function.invocations[-1].logs[-15:]) if function.invocations else ""
        pytest.fail(f"no response; invocations (outcome, record): {trail}\n{last_logs}")
    function.wait_idle(timeout=30)
    assert len(endpoint.responses(event["RequestId"])) == 1, "exactly one response per request"
    check_response(event, response)
    return response


def _records(function: LambdaService) -> list[dict[str, Any]]:
    return [i.event.get(consts.CONTINUATION, {}) for i in function.invocations]


def test_a_create_continues_across_invocations(
    function: LambdaService, emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    project_with_dataset(emulator)
    emulator.configure(training=250.0)  # 2.5 Lambda timeouts
    event = make_event(
        response_endpoint,
        clock=function.clock,
        request_type="Create",
        properties=model_properties(Hosting={"MinInferenceUnits": "1"}),
    )

    response = _run(function, response_endpoint, event)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["Data"][consts.ATTR_STATUS] == "HOSTED"
    invocations = function.invocations
    assert len(invocations) >= 3
    # No invocation failed; one stopped at its timeout (a stalled machine) would have handed over first.
    assert "error" not in [i.outcome for i in invocations]
    records = _records(function)
    assert [r.get("Invocation") for r in records[1:]] == list(range(2, len(records) + 1))
    assert len({r["Started"] for r in records[1:]}) == 1  # the first invocation's start, carried along
    assert records[-1]["Progress"]["CreateModelAnswered"] == response["PhysicalResourceId"]
    assert len(requests_of(emulator, "CreateModel")) == 1
    assert len(requests_of(emulator, "StartModel")) == 1


def test_a_delete_continues_with_one_token_across_invocations_and_faults(
    function: LambdaService, emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "HOSTED")
    emulator.configure(stopping_hosting=120.0, deleting=120.0, list_models_lag=30.0)
    emulator.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=2))
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeModel"}, count=2))

    response = _run(
        function,
        response_endpoint,
        make_event(response_endpoint, clock=function.clock, request_type="Delete", physical_id=arn),
    )

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert len(function.invocations) >= 3
    assert {c.client_token for c in emulator.calls_of("DeleteModel")} == {response_token(emulator)}
    assert len(emulator.calls_of("DeleteModel")) >= 3
    assert "1" not in listed_versions(emulator)


def response_token(emulator: Emulator) -> str | None:
    return emulator.calls_of("DeleteModel")[0].client_token


def test_the_deadline_ends_a_continued_wait_with_failed(
    function: LambdaService, emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "TRAINING")
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")  # stuck: never trains
    event = make_event(
        response_endpoint,
        clock=function.clock,
        request_type="Delete",
        physical_id=arn,
        properties=model_properties(ServiceTimeout="250"),
    )
    began = time.monotonic()

    response = _run(function, response_endpoint, event)

    assert response["Status"] == "FAILED"
    assert "ServiceTimeout (250 s)" in response["Reason"]
    assert "still TRAINING" in response["Reason"]
    assert len(function.invocations) >= 3
    assert time.monotonic() - began < 250 * SCALE + 5  # answered before CloudFormation gives up
    # The first action, DeleteModel (its properties host no model), the service refused: it trains.
    assert [c.error_code for c in emulator.calls_of("DeleteModel")] == ["ConflictException"]


def test_a_72_character_logical_id_and_no_response_url_in_any_log(
    function: LambdaService, emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    project_with_dataset(emulator)
    emulator.configure(training=150.0)
    logical_id = "LookoutVisionModelStackInspectionLineModelWithAVeryLongPath01234A1B2C3D4"
    assert len(logical_id) == 72
    event = make_event(response_endpoint, clock=function.clock, request_type="Create", logical_id=logical_id)

    response = _run(function, response_endpoint, event)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert len(function.invocations) >= 2
    logs = "\n".join(line for i in function.invocations for line in i.logs)
    assert logical_id in logs
    assert event["ResponseURL"] not in logs
    assert event["ResponseURL"].split("?", 1)[1] not in logs


# Service seconds by which CloudFormation's clock runs ahead of the function's: more than the first invocation
# takes to start (the first invocation then starts before the ResponseURL's X-Amz-Date), within SigV4's 5 minutes.
SKEW = 60.0


def test_a_response_url_dated_ahead_of_the_functions_clock_is_carried_on_across_invocations(
    function: LambdaService, emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    project_with_dataset(emulator)
    emulator.configure(training=250.0)  # 2.5 Lambda timeouts
    event = make_event(response_endpoint, clock=function.clock, request_type="Create")
    signed = function.clock.now() + SKEW
    event["ResponseURL"] = response_endpoint.response_url(event["RequestId"], signed_at=signed)

    response = _run(function, response_endpoint, event)

    assert response["Status"] == "SUCCESS", response["Reason"]
    assert function.invocations[0].started is not None
    records = _records(function)
    assert len(records) >= 3
    assert {r["Started"] for r in records[1:]} == {float(int(signed))}  # the X-Amz-Date second, carried along
    assert len(requests_of(emulator, "CreateModel")) == 1


def _answers(endpoint: ResponseEndpoint, request_id: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The responses to ``request_id`` once there are ``count`` of them (bounded wait)."""
    deadline = time.monotonic() + timeout
    while len(endpoint.responses(request_id)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} responses"
        time.sleep(0.02)
    return endpoint.responses(request_id)


def test_a_hand_over_whose_invoke_answer_is_lost_after_lambda_took_it_is_answered_twice_at_most(
    emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    """The bound README states: Lambda queued the event, its answer was lost; the invocation ends with an error and
    Lambda's retry of it carries the request on as well. Two chains, each answering once, the same answer."""
    with (
        InvokeAnswerLost(count=1, queued=True) as lossy,
        _provider(
            emulator, response_endpoint, env={"AWS_ENDPOINT_URL_LAMBDA": lossy.url}, retry_delays=(2.0,), environments=4
        ) as f,
    ):
        lossy.target = f.endpoint_url
        project_with_dataset(emulator)
        emulator.configure(training=250.0)  # 2.5 Lambda timeouts: the first invocation hands over
        event = make_event(response_endpoint, clock=f.clock, request_type="Create")
        f.invoke_async(event)
        answers = _answers(response_endpoint, event["RequestId"], count=2)
        f.wait_idle(timeout=30)
        invocations = list(f.invocations)

    assert len(lossy.lost) == 1
    assert [a["Status"] for a in response_endpoint.responses(event["RequestId"])] == ["SUCCESS", "SUCCESS"]
    assert answers[0]["PhysicalResourceId"] == answers[1]["PhysicalResourceId"]
    first = [i for i in invocations if consts.CONTINUATION not in i.event]
    assert [(i.attempt, i.outcome) for i in first] == [(0, "error"), (1, "ok")]  # the one that lost it, its retry
    assert len({c.client_token for c in emulator.calls_of("CreateModel")}) == 1
    assert listed_versions(emulator) == ["1"]


def test_a_hand_over_whose_invoke_never_reached_lambda_is_answered_once(
    emulator: Emulator, response_endpoint: ResponseEndpoint
) -> None:
    """No answer and no event queued: Lambda's retry of the invocation is the one chain."""
    with (
        InvokeAnswerLost(count=1, queued=False) as lossy,
        _provider(emulator, response_endpoint, env={"AWS_ENDPOINT_URL_LAMBDA": lossy.url}, retry_delays=(2.0,)) as f,
    ):
        lossy.target = f.endpoint_url
        project_with_dataset(emulator)
        emulator.configure(training=250.0)
        event = make_event(response_endpoint, clock=f.clock, request_type="Create")
        response = _run(f, response_endpoint, event)  # exactly one response

    assert len(lossy.lost) == 1
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert listed_versions(emulator) == ["1"]
