"""A local function's logs in CloudWatch Logs: its group, a stream per execution environment, written while it runs,
with its role's rights."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_localcloud.awslambda.logs import (
    EVENT_OVERHEAD,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    LogEvent,
    batches,
    log_group_name,
    log_stream_name,
)
from lookoutvision_localcloud.cloud import ACCOUNT_ID, REGION, LocalCloud
from tests.fixtures.role_function import RoleFunction, policy

STREAM_ID = "[0-9a-f]{32}"
NO_LOGS = policy({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})


def writes_logs_to(group: str) -> str:
    """A policy with what Lambda needs to write a function's logs to ``group`` (as AWSLambdaBasicExecutionRole)."""
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}"
    return policy(
        {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": arn},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{arn}:*"},
    )


def events_of(cloud: LocalCloud, group: str, until: str, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The group's events once one of them starts with ``until`` (a bounded wait)."""
    logs = cloud.client("logs")
    deadline = time.monotonic() + timeout
    while True:
        found = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]
        events = logs.filter_log_events(logGroupName=group)["events"] if group in found else []
        if any(event["message"].startswith(until) for event in events):
            return list(events)
        assert time.monotonic() < deadline, f"no event starting with {until!r} in {group}: {events}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=1.0) as local:
        yield local


def test_a_function_logs_to_its_own_group_unless_its_logging_config_names_one() -> None:
    assert log_group_name("fn") == "/aws/lambda/fn"
    assert log_group_name("fn", {"LogFormat": "Text"}) == "/aws/lambda/fn"
    assert log_group_name("fn", {"LogGroup": "shared"}) == "shared"
    started = 1_700_000_000.0  # 2023-11-14 UTC
    assert log_stream_name("/aws/lambda/fn", "fn", started, "ab" * 16) == f"2023/11/14/[$LATEST]{'ab' * 16}"
    assert log_stream_name("shared", "fn", started, "ab" * 16) == f"2023/11/14/fn[$LATEST]{'ab' * 16}"


def test_batches_keep_the_order_within_cloudwatch_logs_quotas() -> None:
    many = [LogEvent(index, f"line {index}") for index in range(MAX_BATCH_EVENTS + 5)]
    split = batches(many)
    assert [len(batch) for batch in split] == [MAX_BATCH_EVENTS, 5]
    assert [event["message"] for batch in split for event in batch] == [event.message for event in many]
    largest = [LogEvent(index, "x" * MAX_EVENT_BYTES) for index in range(5)]  # 4 fill a batch exactly
    assert [len(batch) for batch in batches(largest)] == [4, 1]
    assert 4 * (MAX_EVENT_BYTES + EVENT_OVERHEAD) == MAX_BATCH_BYTES
    [[cut]] = batches([LogEvent(1, "é" * MAX_EVENT_BYTES)])  # cut to the event quota, on a character boundary
    assert len(cut["message"].encode()) <= MAX_EVENT_BYTES and set(cut["message"]) == {"é"}
    assert batches([LogEvent(1, "")]) == [[{"timestamp": 1, "message": " "}]]  # an empty line is still an event


def test_lines_reach_the_functions_group_while_the_invocation_runs(cloud: LocalCloud, tmp_path: Path) -> None:
    function = RoleFunction(cloud, NO_LOGS, handler="print_and_wait")
    group = f"/aws/lambda/{function.name}"
    function.put_policy(writes_logs_to(group))
    release = tmp_path / "release"
    before = int(time.time() * 1000)
    invocation = function.service.invoke_async({"marker": "waiting for the test", "release": str(release)})

    running = events_of(cloud, group, until="waiting for the test")
    assert invocation.ended is None  # still running: its lines were written as they were printed
    assert [event["message"].split(" ")[0] for event in running] == ["START", "waiting"]
    release.touch()

    events = events_of(cloud, group, until="REPORT RequestId:")
    messages = [event["message"] for event in events]
    request_id = invocation.request_id
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert messages[1:4] == ["waiting for the test", "released waiting for the test", f"END RequestId: {request_id}"]
    report = rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB"
    assert re.fullmatch(report, messages[4])
    assert messages == invocation.logs  # the local Lambda keeps them too
    [stream] = {event["logStreamName"] for event in events}
    assert re.fullmatch(rf"\d{{4}}/\d{{2}}/\d{{2}}/\[\$LATEST\]{STREAM_ID}", stream)
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps) and before <= timestamps[0] <= timestamps[-1] <= time.time() * 1000
    assert invocation.result == {"group": group, "stream": stream}  # what the handler's context names


def test_a_group_the_logging_config_names_gets_a_stream_per_execution_environment(cloud: LocalCloud) -> None:
    group = "shared-function-logs"
    cloud.client("logs").create_log_group(logGroupName=group)
    function = RoleFunction(cloud, writes_logs_to(group), handler="sleep", Timeout=1, LoggingConfig={"LogGroup": group})
    timed_out = function.service.invoke({"seconds": 5})
    assert timed_out.outcome == "timeout"
    assert function.service.invoke({"seconds": 0}).outcome == "ok"  # in a new execution environment

    events = events_of(cloud, group, until=f"REPORT RequestId: {function.service.invocations[-1].request_id}")
    streams = list(dict.fromkeys(event["logStreamName"] for event in events))  # in the order of their first event
    assert len(streams) == 2
    assert all(re.fullmatch(rf"\d{{4}}/\d{{2}}/\d{{2}}/{function.name}\[\$LATEST\]{STREAM_ID}", s) for s in streams)
    first = [event["message"] for event in events if event["logStreamName"] == streams[0]]
    assert first[0] == f"START RequestId: {timed_out.request_id} Version: $LATEST"
    assert first[-1].endswith("Task timed out after 1.00 seconds")  # the last line, as Lambda writes it


def test_a_role_that_may_not_write_logs_gets_none_written(cloud: LocalCloud) -> None:
    function = RoleFunction(cloud, policy({"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}))
    invocation = function.service.invoke({"service": "sts", "operation": "GetCallerIdentity"})
    assert invocation.outcome == "ok" and invocation.logs[0].startswith("START RequestId:")  # it ran, logs kept here
    group = f"/aws/lambda/{function.name}"
    deadline = time.monotonic() + 20
    while not function.service.logs or not function.service.logs.refusals:
        assert time.monotonic() < deadline, "the refusal was not recorded"
        time.sleep(0.05)
    [refusal] = function.service.logs.refusals
    principal = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{function.role_name}/{function.name}"
    assert f"CreateLogStream: User: {principal} is not authorized to perform: logs:CreateLogStream" in refusal
    assert not cloud.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
