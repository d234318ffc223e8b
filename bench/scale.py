"""Scale: N hosted models destroyed at once under the service's quota of 5 requests/s per API.

The provider runs as Lambda runs it: one function, N concurrent asynchronous Delete invocations,
each in its own execution environment (a subprocess), all against one emulator that enforces
the quota in service time. The N models are versions of one project, as in a stack with N
models (ListModels then pages over all of them).

Why the local Lambda and not the local driver on a synthesized 50-model stack: the driver adds
its own worker pool (a bounded number of resources in flight) and the deploy of 50 trainings
before any destroy, which would measure the driver, not the provider's behaviour under the
quota; and it would cost minutes. The requests are the ones CloudFormation sends.

The execution environments are started before the clock runs: on AWS, N cold starts happen in
parallel on N machines in about a second; here N processes starting on a 2-core machine would
take many seconds, which the time scale would magnify into minutes of service time. Cold start
is measured on its own (``bench.coldstart``).

Figures, per N: total wall time (first Delete sent → last response, service seconds) ÷ the
physical limit (the service's own stop + delete + ListModels lag), and ÷ the quota bound (the
earliest any client could finish: the last of N StopModel calls admitted by the quota's token
bucket, then stop + delete + lag); Lookout requests per model (÷ the 6 a Delete needs at
least) and DescribeModel requests per poll (a poll = one DescribeModel answered; 1.0 = no
throttled retries); ThrottlingException answers and requests that ended FAILED because of
throttling. At the largest size the CDK Provider framework's 5 s polls are replayed through the same
code right after each of this provider's runs, as the baseline for wall time and requests
per model.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.results import Figure, Section, median
from bench.rig import CDK_PROVIDER, PROVIDER, Rig, Schedule, logical_id

PROJECT = "bench-scale"
TARGET_RATIO = 1.15
TARGET_REQUESTS_PER_POLL = 1.0
# The fewest requests a Delete of a hosted model can make, polling exactly when each step ends:
# DescribeModel (HOSTED), StopModel, DescribeModel (TRAINED), DeleteModel, DescribeModel (not
# found), ListModels (not listed).
FEWEST_REQUESTS = 6


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...] = (1, 10, 50)
    time_scale: float = 0.1
    repeats: int = 3
    # Replayed at the largest size in every repeat, right after this provider's run there, through
    # the same code: the CDK Provider framework's 5 s polls.
    baseline: Schedule | None = CDK_PROVIDER


def quota_bound(count: int, service_time: float, rate: float | None) -> float:
    """The earliest N deletes can finish: N StopModel calls through the token bucket, then the service's time."""
    if not rate:
        return service_time
    burst = max(1.0, rate)  # the emulator's bucket capacity (localcloud.lookoutvision.backend)
    return service_time + max(0.0, count - burst) / rate


def run(options: Options) -> Section:
    began = time.monotonic()
    rows: list[dict[str, Any]] = []
    with Rig(options.time_scale) as rig:
        durations = rig.settings.durations
        service_time = durations.stopping_hosting + durations.deleting + durations.list_models_lag
        rate = rig.settings.requests_per_second
        function = rig.function(PROVIDER)
        largest = max(options.sizes)
        warm_began = time.monotonic()
        rig.warm(function, largest)
        if options.baseline is not None:
            rig.warm(rig.function(options.baseline), largest)
        warm_seconds = time.monotonic() - warm_began
        baseline_rows: list[dict[str, Any]] = []
        for repeat in range(options.repeats):
            for count in options.sizes:
                rows.append({"repeat": repeat, **_one(rig, PROVIDER, count, service_time, rate)})
                if count == largest and options.baseline is not None:
                    baseline_rows.append({"repeat": repeat, **_one(rig, options.baseline, count, service_time, rate)})
    sizes = {count: _aggregate([r for r in rows if r["models"] == count]) for count in options.sizes}
    figures: list[Figure] = []
    for n, row in sizes.items():
        figures += [
            Figure(
                key=f"scale.{n}.wall_vs_physical",
                title=f"{n} model(s): wall time ÷ physical limit",
                measured=row["wall"],
                baseline=service_time,
                unit="s",
                measured_label="first Delete → last response",
                baseline_label="stop + delete + ListModels lag",
                target=f"≤ {TARGET_RATIO:g}",
                met=row["wall"] / service_time <= TARGET_RATIO and row["failed"] == 0,
            ),
            Figure(
                key=f"scale.{n}.wall_vs_quota_bound",
                title=f"{n} model(s): wall time ÷ quota bound",
                measured=row["wall"],
                baseline=row["quota_bound"],
                unit="s",
                measured_label="first Delete → last response",
                baseline_label=f"physical limit + (N - burst) ÷ {rate or 0:g}/s",
            ),
            Figure(
                key=f"scale.{n}.requests_per_poll",
                title=f"{n} model(s): DescribeModel requests per poll",
                measured=row["describe_requests"],
                baseline=row["polls"],
                unit="",
                measured_label="requests (with throttled retries)",
                baseline_label="polls answered",
                target=f"≤ {TARGET_REQUESTS_PER_POLL:g}",
                met=row["describe_requests"] <= TARGET_REQUESTS_PER_POLL * row["polls"],
                note=(
                    f"{row['requests'] / row['deletes']:.1f} Lookout requests per model "
                    f"({_by_operation(row['by_operation'], row['deletes'])}); "
                    f"{row['throttled']} ThrottlingException answers; "
                    f"wall times {', '.join(f'{w:.0f}' for w in row['walls'])} s; "
                    f"SUCCESS after UNLISTED: median {row['overhead_median']:.1f} s, max {row['overhead_max']:.1f} s."
                ),
            ),
            Figure(
                key=f"scale.{n}.requests_per_model",
                title=f"{n} model(s): Lookout requests per model ÷ the fewest possible",
                measured=row["requests"] / row["deletes"],
                baseline=FEWEST_REQUESTS,
                unit="",
                measured_label="requests per model",
                baseline_label="one per step",
            ),
            Figure(
                key=f"scale.{n}.throttling_failures",
                title=f"{n} model(s): Deletes FAILED by throttling",
                measured=row["throttling_failures"],
                baseline=row["deletes"],
                unit="",
                measured_label="FAILED by throttling",
                baseline_label=f"Deletes in {row['runs']} run(s)",
                target="0",
                met=row["throttling_failures"] == 0,
                target_on="measured",
            ),
        ]
    baseline_row = _aggregate(baseline_rows) if baseline_rows else None
    if baseline_row is not None and options.baseline is not None:
        n, mine, label = baseline_row["models"], sizes[baseline_row["models"]], options.baseline.label
        figures += [
            Figure(
                key=f"scale.{n}.wall_vs_{options.baseline.key}",
                title=f"{n} model(s): wall time ÷ {label}'s",
                measured=mine["wall"],
                baseline=baseline_row["wall"],
                unit="s",
                measured_label="this provider",
                baseline_label=options.baseline.key,
            ),
            Figure(
                key=f"scale.{n}.requests_vs_{options.baseline.key}",
                title=f"{n} model(s): Lookout requests per model ÷ {label}'s",
                measured=mine["requests"] / mine["deletes"],
                baseline=baseline_row["requests"] / baseline_row["deletes"],
                unit="",
                measured_label="this provider",
                baseline_label=options.baseline.key,
                note=(
                    f"{options.baseline.key}: {baseline_row['throttled']} ThrottlingException answers, "
                    f"{baseline_row['describe_requests'] / max(1, baseline_row['polls']):.2f} DescribeModel requests "
                    f"per poll, {baseline_row['failed']} FAILED; wall times "
                    f"{', '.join(f'{w:.0f}' for w in baseline_row['walls'])} s."
                ),
            ),
        ]
    details = {
        "method": (
            f"sizes {list(options.sizes)}, {options.repeats} run(s) each (wall time: median; counts: summed), "
            f"time scale {options.time_scale:g}, quota {rate:g} requests/s per API "
            f"(service time), StopModel {durations.stopping_hosting:g} s, DeleteModel {durations.deleting:g} s, "
            f"ListModels lag {durations.list_models_lag:g} s; one local Lambda function, one execution environment "
            f"per concurrent invocation, started beforehand "
            f"({warm_seconds:.1f} real s for {max(options.sizes)} per function)"
            + (
                f"; the {options.baseline.label} replayed at {max(options.sizes)} models after this provider "
                "in each run."
                if options.baseline is not None
                else "."
            )
        ),
        "time_scale": options.time_scale,
        "service_time": service_time,
        "requests_per_second": rate,
        "warm_real_seconds": warm_seconds,
        "repeats": options.repeats,
        "sizes": sizes,
        "rows": rows,
        "baseline": None if options.baseline is None else options.baseline.key,
        "baseline_row": baseline_row,
        "baseline_rows": baseline_rows,
    }
    return Section("scale", figures, details, time.monotonic() - began)


def _one(rig: Rig, schedule: Schedule, count: int, service_time: float, rate: float | None) -> dict[str, Any]:
    rig.reset()
    function = rig.function(schedule)
    arns = rig.hosted_models(PROJECT, count)
    events = [rig.delete_event(function, arn, logical_id(i, count)) for i, arn in enumerate(arns)]
    request_ids = {e["RequestId"] for e in events}
    bound = quota_bound(count, service_time, rate)
    real_began = time.monotonic()
    requests = rig.send(function, events, timeout=bound * 4 * rig.time_scale + 120)
    real_seconds = time.monotonic() - real_began
    calls = rig.emulator.calls
    describes = [c for c in calls if c.operation == "DescribeModel"]
    polls = sum(1 for c in describes if c.status in (200, 404))
    arrived = [r.arrived for r in requests if r.arrived is not None]
    failed = [r for r in requests if r.status != "SUCCESS"]
    lags = []
    for arn, request in zip(arns, requests, strict=True):
        _, unlisted = rig.disappearance(PROJECT, arn.rsplit("/", 1)[-1])
        if unlisted is not None and request.arrived is not None and request.status == "SUCCESS":
            lags.append(request.arrived - unlisted)
    wall = (max(arrived) - min(r.sent for r in requests)) if len(arrived) == len(requests) else math.inf
    return {
        "models": count,
        "wall": wall,
        "real_seconds": real_seconds,
        "quota_bound": bound,
        "requests": len(calls),
        "by_operation": dict(Counter(c.operation for c in calls)),
        "throttled": sum(1 for c in calls if c.status == 429),
        "throttled_by_operation": dict(Counter(c.operation for c in calls if c.status == 429)),
        "polls": polls,
        "describe_requests": len(describes),
        "failed": len(failed),
        "throttling_failures": sum(1 for r in failed if "hrottl" in r.reason or "Rate exceeded" in r.reason),
        "failure_reasons": sorted({r.reason or r.status for r in failed})[:5],
        "overhead_median": median(lags),
        "overhead_max": max(lags) if lags else math.nan,
        "invocations": sum(1 for i in function.invocations if i.event.get("RequestId") in request_ids),
    }


def _aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One size over its repeats: the median wall time, every count summed, per-model figures averaged."""
    first = runs[0]
    summed = ("requests", "throttled", "polls", "describe_requests", "failed", "throttling_failures", "invocations")
    by_operation: Counter[str] = Counter()
    for run in runs:
        by_operation.update(run["by_operation"])
    lags_median = [r["overhead_median"] for r in runs if math.isfinite(r["overhead_median"])]
    return {
        "models": first["models"],
        "runs": len(runs),
        "deletes": first["models"] * len(runs),
        "wall": median([r["wall"] for r in runs]),
        "walls": [r["wall"] for r in runs],
        "quota_bound": first["quota_bound"],
        **{key: sum(r[key] for r in runs) for key in summed},
        "by_operation": dict(by_operation),
        "overhead_median": median(lags_median),
        "overhead_max": max((r["overhead_max"] for r in runs), default=math.nan),
    }


def _by_operation(counts: dict[str, int], models: int) -> str:
    return ", ".join(f"{op} {n / models:.1f}" for op, n in sorted(counts.items(), key=lambda kv: -kv[1]))
