"""One run of a contender against hosted models, and what the emulator's record says about it.

``run_once`` arranges N hosted model versions with the durations given, sends CloudFormation's
Delete requests the contender's way, and reads every figure from what was recorded: the
responses (their Status), the emulator's call record (operation, HTTP status, ModelVersion) and
its status history (when each version was TRAINED, gone, unlisted). Nothing is read from text.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.bound import ModelDurations, bound
from bench.contenders import Contender
from bench.rig import Request, Rig, logical_id

PROJECT = "bench-fleet"


def run_once(rig: Rig, contender: Contender, durations: Sequence[ModelDurations], timeout: float) -> dict[str, Any]:
    """Tear down ``len(durations)`` hosted models with ``contender``; the row of figures of the run.

    ``timeout``: service seconds to wait for the last response (it is not the figure: the wall time
    is the last response's arrival minus the first request sent).
    """
    rig.reset()
    arns = rig.hosted_models(PROJECT, durations)
    token = contender.service_token()
    count = len(arns)
    events = [rig.delete_event(token, arn, logical_id(i, count), fleet=(i, count)) for i, arn in enumerate(arns)]
    real_began = time.monotonic()
    requests = contender.send(rig, events, timeout=timeout * rig.time_scale + 60)
    real_seconds = time.monotonic() - real_began
    return {
        "models": len(durations),
        "bound": bound(durations, rig.quota),
        "slowest_model": max(d.service_time for d in durations),
        "real_seconds": real_seconds,
        **_figures(rig, contender, requests),
    }


def _figures(rig: Rig, contender: Contender, requests: Sequence[Request]) -> dict[str, Any]:
    calls = rig.emulator.calls
    began = min(r.sent for r in requests)
    arrived = [r.arrived for r in requests if r.arrived is not None]
    complete = len(arrived) == len(requests)
    failed = [r for r in requests if r.status != "SUCCESS"]
    throttled_versions = {str(c.params.get("ModelVersion")) for c in calls if c.status == 429}
    timeline = [_timeline(rig, r, calls, began) for r in requests]
    invocations = contender.invocations(requests)
    succeeded = [t for t in timeline if t["status"] == "SUCCESS"]
    return {
        "wall": (max(arrived) - began) if complete else math.inf,
        "succeeded": len(requests) - len(failed),
        "failed": len(failed),
        # A FAILED (or unanswered) Delete of a model whose calls met a ThrottlingException: from the
        # responses' Status and the emulator's record, not from any text.
        "failed_throttled": sum(1 for r in failed if r.model_version in throttled_versions),
        "wall_succeeded": max((t["response"] for t in succeeded), default=math.nan),
        "requests": len(calls),
        "by_operation": dict(Counter(c.operation for c in calls)),
        "throttled": sum(1 for c in calls if c.status == 429),
        "throttled_by_operation": dict(Counter(c.operation for c in calls if c.status == 429)),
        "invocations": invocations.total,
        "hand_overs": invocations.hand_overs,
        "losses": _losses(timeline),
    }


def _timeline(rig: Rig, request: Request, calls: Sequence[Any], began: float) -> dict[str, Any]:
    """When (from the first request sent) the model's StopModel and DeleteModel were admitted, and so on."""
    version = request.model_version
    mine = [c for c in calls if c.params.get("ModelVersion") == version]
    history = rig.emulator.backend.history(PROJECT, version, "MODEL")

    def admitted(operation: str) -> float | None:
        return next((c.time - began for c in mine if c.operation == operation and c.ok), None)

    def entered(status: str) -> float | None:
        return next((c.time - began for c in history if c.status == status), None)

    return {
        "status": request.status,
        "first_call": mine[0].time - began if mine else None,
        "stop": admitted("StopModel"),
        "trained": entered("TRAINED"),
        "delete": admitted("DeleteModel"),
        "unlisted": entered("UNLISTED"),
        "response": (request.arrived - began) if request.arrived is not None else None,
    }


def _losses(timeline: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Where the time goes, median and max over the models: the stops' wave and each wait's lag."""

    def spread(start: str, end: str | None = None) -> tuple[float, float]:
        values = [
            t[end] - (t[start] if start else 0.0) if end else t[start]
            for t in timeline
            if t[start] is not None and (end is None or t[end] is not None)
        ]
        return (statistics.median(values), max(values)) if values else (math.nan, math.nan)

    figures: dict[str, float] = {}
    for name, (start, end) in {
        "first_call": ("first_call", None),
        "stop_admitted": ("stop", None),
        "trained_to_delete": ("trained", "delete"),
        "unlisted_to_response": ("unlisted", "response"),
    }.items():
        figures[f"{name}_median"], figures[f"{name}_max"] = spread(start, end)
    return figures
