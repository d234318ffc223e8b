"""The oracle client: it knows every model's durations and carries out ``bench.bound.schedule`` over HTTP.

It checks the rig, not the provider: through botocore and the emulator's real quota it sends
each StopModel at its planned admission, each DeleteModel as soon as that model is TRAINED (its
StopModel's answer + the stop's duration, or the planned slot if later), and one ListModels once
every version has left it; it makes no other call. Its wall time (first call sent → the last
ListModels answered, showing no version) should land on the bound: what it adds is the rig's own
latency (HTTP round trips, threads waking), which the time scale magnifies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from bench.bound import ModelDurations, bound, schedule
from bench.rig import Rig

RETRY_PAUSE = 0.05  # service seconds before trying a call again that met a Conflict or a throttle


@dataclass(frozen=True)
class OracleRun:
    wall: float
    bound: float
    planned: float  # the plan's wall time (equal to the bound for the benchmark's duration sets)
    calls: int
    retried: int  # calls answered Conflict or ThrottlingException (the rig ran late)


def run(rig: Rig, project: str, arns: Sequence[str], durations: Sequence[ModelDurations]) -> OracleRun:
    """Tear down the hosted models ``arns`` (with these durations) on the planned schedule."""
    plan = schedule(durations, rig.quota)
    client: Any = boto3.client(  # type: ignore[call-overload]
        "lookoutvision",
        endpoint_url=rig.emulator.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="oracle",
        aws_secret_access_key="oracle",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, max_pool_connections=len(arns) + 4),
    )
    versions = [arn.rsplit("/", 1)[-1] for arn in arns]
    unlisted_at = [0.0] * len(arns)
    retried = [0]
    lock = threading.Lock()
    start = rig.now()

    def at(service_time: float) -> None:
        pause = service_time - rig.now()
        if pause > 0:
            rig.emulator.clock.sleep(pause)

    def call(operation: Callable[..., Any], **params: Any) -> Any:
        while True:
            try:
                return operation(ProjectName=project, **params)
            except botocore.exceptions.ClientError as exc:
                if exc.response["Error"]["Code"] not in ("ConflictException", "ThrottlingException"):
                    raise
                with lock:
                    retried[0] += 1
                rig.emulator.clock.sleep(RETRY_PAUSE)

    def admitted(operation: str, version: str) -> float:
        """When the service admitted the call (the emulator's record of its arrival)."""
        return next(
            c.time
            for c in reversed(rig.emulator.calls_of(operation))
            if c.ok and c.params.get("ModelVersion") == version
        )

    def tear_down(i: int) -> None:
        model, version = durations[i], versions[i]
        at(start + plan.stops[i])
        call(client.stop_model, ModelVersion=version)
        at(max(admitted("StopModel", version) + model.stopping_hosting, start + plan.deletes[i]))
        call(client.delete_model, ModelVersion=version)
        unlisted_at[i] = admitted("DeleteModel", version) + model.after_delete

    threads = [threading.Thread(target=tear_down, args=(i,), daemon=True) for i in range(len(arns))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    at(max(unlisted_at))
    calls = len(arns) * 2
    while True:
        listed: list[str] = []
        for page in client.get_paginator("list_models").paginate(
            ProjectName=project, PaginationConfig={"PageSize": 100}
        ):
            calls += 1
            listed += [m["ModelVersion"] for m in page["Models"]]
        if not set(listed) & set(versions):
            break
        retried[0] += 1
        rig.emulator.clock.sleep(RETRY_PAUSE)
    return OracleRun(rig.now() - start, bound(durations, rig.quota), plan.wall, calls, retried[0])
