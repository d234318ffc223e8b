"""Secrets never reach the logs or the responses: the ResponseURL (and its signature) and AWS credentials.

What counts as secret is stated in ``tests/fixtures/secrets.py``: the ResponseURL is a
presigned URL (whoever holds it can answer for the stack), the secret access key and session
token are credentials. ClientTokens are not: they derive from the RequestId and grant nothing.

The function of the package runs with distinctive credentials; its teardown audits the logs of
every invocation of the whole reliability suite. The tests here drive the paths that log the most
(retries, hand-overs, failures, a failed hand-over) and check their own logs at once, through the
local Lambda and in process (caplog at DEBUG).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_localcloud.awslambda import LambdaContext, LambdaService
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.provider import PROJECT, Requests, model_properties, project_with_dataset, trained_model
from tests.fixtures.secrets import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, leaks, secrets_in
from tests.provider.reliability.harness import Cloud


def _logs(cloud: Cloud, events: list[dict[str, Any]]) -> str:
    ids = {e["RequestId"] for e in events}
    return "\n".join(line for i in cloud.function.invocations if i.event.get("RequestId") in ids for line in i.logs)


def test_logs_of_retries_hand_overs_and_failures_hold_no_secret(cloud: Cloud, emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.configure(training=450.0)  # the Create continues in re-invocations
    emulator.faults.add(Fault(kind="throttling", operations={"CreateModel", "DescribeModel"}, count=3))
    emulator.faults.add(Fault(kind="drop_connection", operations={"StartModel"}, count=1))
    create = cloud.event("Create", properties=model_properties(Hosting={"MinInferenceUnits": "1"}))
    created = cloud.run(create)
    emulator.faults.add(Fault(kind="access_denied", operations={"StopModel"}))
    denied = cloud.event("Delete", physical_id=created["PhysicalResourceId"])
    failed = cloud.run(denied)

    logs = _logs(cloud, [create, denied])

    assert created["Status"] == "SUCCESS", created.get("Reason")
    assert failed["Status"] == "FAILED" and "AccessDeniedException" in failed["Reason"]
    # The logs are there and say what happened: the audit below is not vacuous.
    assert "ThrottlingException" in logs and "continuing in invocation 2" in logs
    assert "AccessDeniedException" in logs and create["RequestId"] in logs
    assert leaks(logs, [create, denied]) == []
    assert leaks(repr([created, failed]), [create, denied]) == []
    # The redaction leaves a trace of what was hidden only when something tried to log it.
    assert create["ResponseURL"].split("?")[0] not in logs or "?***" in logs


def test_in_process_logs_at_debug_hold_no_secret(
    requests: Requests,
    emulator: Emulator,
    provider_function: LambdaService,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every log record, at DEBUG, of a request whose hand-over fails (the error path with the most detail)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", provider_function.endpoint_url)
    caplog.set_level(logging.DEBUG)
    project_with_dataset(emulator)
    trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "TRAINING")
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")
    requests.request("Delete", physical_id="warm-up")  # crhelper builds its clients at the first request
    event = requests.event("Delete", physical_id=f"arn:aws:lookoutvision:us-east-1:123456789012:model/{PROJECT}/1")
    scale = emulator.settings.time_scale
    # 50 service seconds left, less than the hand-over reserve (0.1 real s): the first wait hands
    # over, to a function that does not exist.
    context = LambdaContext(
        aws_request_id=str(uuid.uuid4()),
        function_name="gone",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:gone",
        deadline=time.time() + 50 * scale,
        time_scale=scale,
    )

    requests.handler(event, context)
    logging.getLogger("provider").warning("the event as received: %s", event)  # a careless line, redacted too
    response = requests.endpoint.wait(event["RequestId"], timeout=30)

    assert response["Status"] == "FAILED", response
    assert "lambda:Invoke" in response["Reason"] and "ResourceNotFoundException" in response["Reason"]
    text = caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records)
    assert "continues in a new invocation" not in text  # the hand-over failed: this invocation answered
    host = event["ResponseURL"].split("/")[2]
    assert f"{host}/***" in text  # the careless line is there, redacted...
    assert leaks(text, [event]) == []  # ...without its secret part
    assert all(secret not in str(response) for secret in secrets_in(event))


def test_the_secrets_are_what_the_audit_looks_for() -> None:
    event = {"RequestId": "r", "ResponseURL": "https://127.0.0.1:1/p/r?X-Amz-Expires=7200&X-Amz-Signature=abc123"}
    assert secrets_in(event) == [
        event["ResponseURL"],
        "X-Amz-Expires=7200&X-Amz-Signature=abc123",
        "abc123",
    ]
    assert leaks("signed with abc123", [event]) == ["ResponseURL part of request r"]
    assert leaks(f"key {SECRET_ACCESS_KEY}", []) == ["secret access key"]
    assert leaks("nothing here", [event]) == []
    assert consts.SERVICE_TOKEN  # the property name is not a secret
