"""The fault matrix: Delete from each of the 9 model states x each kind of fault, through the local Lambda.

Every cell delivers one CloudFormation Delete (with a 72-character logical id) to the provider
running in the local Lambda, against the emulator over HTTP, and checks the contract a resource
type must keep: the version is gone (DescribeModel and every page of ListModels), SUCCESS is PUT
exactly once with the physical id unchanged, nothing of the continuation is left (no pending
invocation, no polling rule — crhelper's EventBridge client points at a closed port — no run
left hanging), and every DeleteModel of the request carried the same ClientToken, the one
derived from its RequestId.

The fault columns:

- ``none``;
- ``throttling``: a burst of ThrottlingException on every operation, then another on DeleteModel;
- ``internal_error``: InternalServerException on the polls, and a DeleteModel the service performed
  but whose answer was lost (so the retry must be idempotent);
- ``drop_connection``: the same with connections dropped without an answer;
- ``latency``: every call slowed down so much that the wait continues in a self-invocation;
- ``lambda_timeout``: the second DescribeModel hangs until Lambda stops the invocation in the middle
  of the poll; Lambda's retry of the timed-out asynchronous invocation carries the request on, and
  nothing else may (a second chain would answer twice); the retry may still hand over to
  self-invocations of its own when a loaded machine slows its calls down.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lookoutvision_cdk_provider.consts import CONTINUATION
from lookoutvision_cdk_provider.lifecycle import ModelStatus
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_localcloud.awslambda import LambdaService, Stall, provider_edge
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.faults import HangsOnce
from tests.fixtures.provider import PROJECT, listed_versions, project_with_dataset, trained_model
from tests.provider.reliability.harness import (
    RETRY_DELAYS,
    SCALE,
    Cloud,
    Figures,
    provider_environment,
)

LOGICAL_ID = "InspectionLineStackModelsWithAVeryLongConstructPathLookoutModelA1B2C3D4"
FAULTS = ("none", "throttling", "internal_error", "drop_connection", "latency", "lambda_timeout")
POLLS = {"DescribeModel", "ListModels", "StopModel"}
# Service seconds per call for the latency column: enough to make the wait outlast one invocation.
LATENCY = 40.0
# Service seconds: 5 s of real time, so that the provider's timer (0.5 s before the end) has time to act.
LONG_LAMBDA_TIMEOUT = 1000.0
# Service seconds into the first invocation at which the lambda_timeout column stalls it.
STALL_AFTER = 4.0


def inject(cloud: Cloud, emulator: Emulator, fault: str) -> None:
    """Arm the faults of one column."""
    if fault == "throttling":
        emulator.faults.add(Fault(kind="throttling", count=4))
        emulator.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=2))
    elif fault in ("internal_error", "drop_connection"):
        emulator.faults.add(Fault(kind=fault, operations=POLLS, count=3))  # type: ignore[arg-type]
        emulator.faults.add(Fault(kind=fault, operations={"DeleteModel"}, count=1, after_action=True))  # type: ignore[arg-type]
    elif fault == "latency":
        emulator.faults.add(Fault(kind="latency", latency=LATENCY))
    elif fault == "lambda_timeout":
        # The first invocation stalls mid-poll until Lambda stops it at its timeout.
        cloud.function.stalls.append(
            Stall(STALL_AFTER, matches=lambda i: i.attempt == 0 and CONTINUATION not in i.event)
        )


@dataclass
class Cell:
    status: str
    fault: str
    seconds: float
    invocations: int
    timeouts: int
    answers: int
    calls: int
    faulted_calls: int
    delete_calls: int


@pytest.fixture(scope="module")
def matrix(pytestconfig: pytest.Config) -> Iterator[list[Cell]]:
    cells: list[Cell] = []
    yield cells
    figures = Figures(pytestconfig, "Delete fault matrix (9 states x 6 faults): wall seconds / invocations / answers")
    figures.add(f"{'state at Delete':<18}" + "".join(f"{f:>17}" for f in FAULTS))
    for status in ModelStatus:
        row = {c.fault: c for c in cells if c.status == status}
        line = f"{status.value:<18}"
        for fault in FAULTS:
            cell = row.get(fault)
            line += f"{f'{cell.seconds:.2f}s/{cell.invocations}/{cell.answers}' if cell else '-':>17}"
        figures.add(line)
    if cells:
        figures.add(
            f"{len(cells)} cells, {sum(c.seconds for c in cells):.1f} s, {sum(c.calls for c in cells)} API calls, "
            f"{sum(c.faulted_calls for c in cells)} faulted calls, {sum(c.invocations for c in cells)} invocations "
            f"({sum(c.timeouts for c in cells)} stopped by the Lambda timeout), "
            f"{sum(c.answers for c in cells)} answers to {len(cells)} requests"
        )
    figures.flush()


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("status", list(ModelStatus), ids=lambda s: s.value)
def test_delete_ends_with_the_version_gone_and_one_success(
    cloud: Cloud, emulator: Emulator, matrix: list[Cell], status: ModelStatus, fault: str
) -> None:
    emulator.configure(training=30.0, starting_hosting=15.0, stopping_hosting=10.0, system_updating=15.0)
    project_with_dataset(emulator)
    arn = trained_model(emulator, logical_id=LOGICAL_ID)
    version = arn.rsplit("/", 1)[1]
    emulator.backend.set_status(PROJECT, version, status)
    inject(cloud, emulator, fault)
    event = cloud.event("Delete", logical_id=LOGICAL_ID, physical_id=arn)
    began = time.monotonic()

    response = cloud.run(event)

    seconds = time.monotonic() - began
    answers = cloud.endpoint.responses(event["RequestId"])
    assert [(a["Status"], a["PhysicalResourceId"]) for a in answers] == [("SUCCESS", arn)] * len(answers)
    assert response["Status"] == "SUCCESS", response.get("Reason")
    assert response["PhysicalResourceId"] == arn
    assert emulator.backend.model_status(PROJECT, version) is None
    assert version not in listed_versions(emulator)
    deletes = emulator.calls_of("DeleteModel")
    expected_token = client_token(event["RequestId"], TokenKind.DELETE_MODEL)
    assert {c.client_token for c in deletes} <= {expected_token}
    if status is not ModelStatus.DELETING:
        assert any(c.ok for c in deletes), [(c.status, c.error_code) for c in deletes]
    assert cloud.continuation_problems(event["RequestId"]) == []
    invocations = cloud.invocations_of(event["RequestId"])
    faulted = [c for c in emulator.calls if c.fault]
    if fault not in ("none", "lambda_timeout"):
        assert faulted, "the column's faults were injected"
    if fault == "lambda_timeout":
        # After the stopped invocation: Lambda's retry, then only that retry's own hand-overs.
        timeline = cloud.timeline(event["RequestId"])
        outcomes = [i.outcome for i in invocations]
        assert "timeout" in outcomes, timeline
        retry, *handed_over = invocations[outcomes.index("timeout") + 1 :]
        assert retry.attempt >= 1, timeline
        assert all(CONTINUATION in i.event for i in handed_over), timeline
    if fault == "latency" and status is not ModelStatus.DELETING:  # DELETING ends within one invocation
        assert len(invocations) >= 2, "the wait continued in a self-invocation"
    matrix.append(
        Cell(
            status=status.value,
            fault=fault,
            seconds=seconds,
            invocations=len(invocations),
            timeouts=sum(i.outcome == "timeout" for i in invocations),
            answers=len(answers),
            calls=len(emulator.calls),
            faulted_calls=len(faulted),
            delete_calls=len(deletes),
        )
    )


def test_a_call_that_hangs_is_cut_short_and_the_request_answered_once(cloud: Cloud, emulator: Emulator) -> None:
    """A call that would outlast the invocation (5 s real) ends at its socket timeout, within the budget.

    The provider retries it (the same ClientTokens), and no invocation is stopped by Lambda: one
    invocation, one answer.
    """
    project_with_dataset(emulator)
    arn = trained_model(emulator, logical_id=LOGICAL_ID)
    slow = LambdaService(
        cloud.function.handler,
        code=cloud.function.code,
        runtime=cloud.function.runtime,
        env=provider_environment(emulator, cloud.endpoint),
        timeout=LONG_LAMBDA_TIMEOUT,
        time_scale=SCALE,
        function_name=cloud.function.function_name,
        retry_delays=RETRY_DELAYS,
        clock_origin=cloud.function.clock.origin,
        edge=provider_edge.EDGE,
        edge_options={"extra_response_hosts": [cloud.endpoint.host]},
    )
    emulator.faults.add(HangsOnce(emulator, "ListModels", nth=1, latency=LONG_LAMBDA_TIMEOUT * 1.5))
    event = cloud.event("Delete", logical_id=LOGICAL_ID, physical_id=arn)
    with slow:
        slow.invoke_async(event)
        cloud.endpoint.wait(event["RequestId"], timeout=60)
        slow.wait_idle(timeout=60)
    assert [i.outcome for i in slow.invocations] == ["ok"]
    assert emulator.backend.model_status(PROJECT, "1") is None
    assert [a["Status"] for a in cloud.endpoint.responses(event["RequestId"])] == ["SUCCESS"]
    logs = "\n".join(slow.invocations[0].logs)
    assert "ListModels: ServiceUnavailable" in logs or "ReadTimeoutError" in logs, "the hung call was cut short"
