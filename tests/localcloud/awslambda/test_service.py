from __future__ import annotations

import json
from collections.abc import Iterator

import botocore.exceptions
import pytest

from lookoutvision_localcloud.awslambda import LambdaService
from tests.fixtures.awslambda import lambda_client, local_function


@pytest.fixture
def echo() -> Iterator[LambdaService]:
    with local_function("echo", timeout=30.0, time_scale=0.1) as service:
        yield service


def test_request_response_invoke_over_the_lambda_api(echo: LambdaService) -> None:
    client = lambda_client(echo)
    reply = client.invoke(FunctionName=echo.function_arn, Payload=json.dumps({"marker": "m1"}))
    result = json.loads(reply["Payload"].read())
    assert reply["StatusCode"] == 200
    assert result["event"] == {"marker": "m1"}
    assert result["arn"] == echo.function_arn
    # Remaining time is reported in service milliseconds: 30 s at a 0.1 time scale.
    assert 25_000 < result["remaining_ms"] <= 30_000
    assert any("echo m1" in line for line in echo.invocations[0].logs)
    assert echo.invocations[0].logs[-1].startswith("REPORT RequestId:")


def test_event_invoke_answers_202_and_runs_later(echo: LambdaService) -> None:
    reply = lambda_client(echo).invoke(
        FunctionName=echo.function_name, InvocationType="Event", Payload=b'{"marker": "a"}'
    )
    assert reply["StatusCode"] == 202
    echo.wait_idle(timeout=30)
    [invocation] = echo.invocations
    assert (invocation.invocation_type, invocation.outcome) == ("Event", "ok")
    assert invocation.result["event"] == {"marker": "a"}


def test_environments_are_reused_warm(echo: LambdaService) -> None:
    for _ in range(3):
        echo.invoke({})
    assert len(echo._all) == 1
    assert all(i.outcome == "ok" for i in echo.invocations)


def test_unknown_function_is_resource_not_found(echo: LambdaService) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        lambda_client(echo).invoke(FunctionName="someone-else", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_function_reinvokes_itself_through_its_endpoint() -> None:
    with local_function("reinvoke", timeout=30.0) as service:
        service.invoke_async({"hops": 0, "until": 3})
        service.wait_idle(timeout=60)
        assert sorted(i.result for i in service.invocations) == [0, 1, 2, 3]
        assert all(i.outcome == "ok" for i in service.invocations)


def test_timeout_stops_the_invocation_and_async_retries_twice() -> None:
    with local_function("sleep", timeout=1.0, time_scale=0.2, retry_delays=(1.0, 2.0)) as service:
        service.invoke_async({"seconds": 30})
        service.wait_idle(timeout=30)
        assert [(i.attempt, i.outcome) for i in service.invocations] == [(0, "timeout"), (1, "timeout"), (2, "timeout")]
        assert "Task timed out after 1.00 seconds" in service.invocations[0].logs[-1]
        assert not any(e.alive for e in service._all)


def test_a_handler_error_is_reported_with_its_traceback() -> None:
    with local_function("fail", retry_delays=()) as service:
        invocation = service.invoke({})
        assert invocation.outcome == "error"
        assert invocation.result == {"errorType": "RuntimeError", "errorMessage": "the handler failed"}
        assert any("Traceback" in line for line in invocation.logs)
