"""Teardown overhead: from the version leaving the service to the SUCCESS response, per schedule.

One hosted model per run (StopModel 20 s, DeleteModel 10 s, ListModels lag 5 s: service time),
one CloudFormation Delete through the local Lambda. The overhead is the SUCCESS response's arrival
at the ResponseURL endpoint minus the emulator's record of the version leaving ListModels
(UNLISTED: from then on DeleteProject succeeds, so a Delete may answer), in service seconds.
It splits into the poll lag (the provider's last ListModels call minus UNLISTED: the schedule's
part) and the response latency (that call to the response's arrival: HTTP round trips and
crhelper, real milliseconds that the time scale magnifies, plus any delay before answering).
The schedules run round-robin in the same run, on the same emulator, through the same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.results import Figure, Section, median
from bench.rig import CDK_PROVIDER, CRHELPER, PROVIDER, SCHEDULES, Rig, Schedule

PROJECT = "bench-teardown"
TARGET_OVERHEAD = 1.0  # service seconds


@dataclass(frozen=True)
class Options:
    runs: int = 7
    time_scale: float = 0.02


def run(options: Options) -> Section:
    began = time.monotonic()
    samples: dict[str, list[dict[str, Any]]] = {s.key: [] for s in SCHEDULES}
    with Rig(options.time_scale) as rig:
        durations = rig.settings.durations
        service_time = durations.stopping_hosting + durations.deleting + durations.list_models_lag
        for schedule in SCHEDULES:  # execution environments started: no cold start inside a Delete
            rig.warm(rig.function(schedule), 1)
        for index in range(options.runs):
            # Rotate the order each round so that no schedule always runs first (or last).
            order = SCHEDULES[index % len(SCHEDULES) :] + SCHEDULES[: index % len(SCHEDULES)]
            for schedule in order:
                samples[schedule.key].append(_one(rig, schedule, service_time))
    medians = {key: _medians(runs) for key, runs in samples.items()}
    mine = medians[PROVIDER.key]
    figures = [
        Figure(
            key="teardown.overhead",
            title="Teardown overhead, median (version unlisted → SUCCESS)",
            measured=mine["overhead"],
            baseline=TARGET_OVERHEAD,
            unit="s",
            measured_label="this provider",
            baseline_label="target",
            target=f"≤ {TARGET_OVERHEAD:g} s",
            met=mine["overhead"] <= TARGET_OVERHEAD,
            target_on="measured",
            note=(
                f"poll lag {mine['poll_lag']:.2f} s + response latency {mine['response_latency']:.2f} s "
                f"(= {mine['response_latency'] * options.time_scale * 1000:.0f} real ms at time scale "
                f"{options.time_scale:g}), medians."
            ),
        )
    ]
    for baseline in (CDK_PROVIDER, CRHELPER):
        figures.append(
            Figure(
                key=f"teardown.overhead_vs_{baseline.key}",
                title=f"Teardown overhead vs {baseline.label}",
                measured=mine["overhead"],
                baseline=medians[baseline.key]["overhead"],
                unit="s",
                measured_label="this provider",
                baseline_label=baseline.key,
            )
        )
    for schedule in SCHEDULES:
        figures.append(
            Figure(
                key=f"teardown.total_{schedule.key}",
                title=f"Whole Delete ÷ the service's own time: {schedule.label}",
                measured=medians[schedule.key]["total"],
                baseline=service_time,
                unit="s",
                measured_label="Delete sent → SUCCESS",
                baseline_label="stop + delete + ListModels lag",
            )
        )
    details = {
        "method": (
            f"{options.runs} runs per schedule at time scale {options.time_scale:g}, one hosted model each, "
            f"StopModel {durations.stopping_hosting:g} s, DeleteModel {durations.deleting:g} s, ListModels lag "
            f"{durations.list_models_lag:g} s, quota {rig.settings.requests_per_second:g} requests/s per API. "
            "Overhead = SUCCESS arrival - the emulator's UNLISTED record, service seconds, median."
        ),
        "time_scale": options.time_scale,
        "service_time": service_time,
        "schedules": {s.key: {"label": s.label, "edge": s.edge} for s in SCHEDULES},
        "medians": medians,
        "runs": samples,
    }
    return Section("teardown", figures, details, time.monotonic() - began)


def _one(rig: Rig, schedule: Schedule, service_time: float) -> dict[str, Any]:
    rig.reset()
    function = rig.function(schedule)
    [arn] = rig.hosted_models(PROJECT, 1)
    version = arn.rsplit("/", 1)[-1]
    event = rig.delete_event(function, arn, "Model")
    invocations_before = len(function.invocations)
    longest = service_time + 2 * 60.0  # the slowest schedule's two polls past the service's time
    [request] = rig.send(function, [event], timeout=longest * rig.time_scale * 3 + 30)
    gone, unlisted = rig.disappearance(PROJECT, version)
    lists = [c for c in rig.emulator.calls_of("ListModels") if c.ok]
    last_list = lists[-1].time if lists else None
    if request.status != "SUCCESS" or request.arrived is None or unlisted is None or last_list is None:
        raise RuntimeError(f"{schedule.key}: the Delete did not complete: {request.status} {request.reason}")
    calls = rig.emulator.calls
    return {
        "status": request.status,
        "overhead": request.arrived - unlisted,
        "overhead_from_gone": request.arrived - gone if gone is not None else None,
        "poll_lag": last_list - unlisted,
        "response_latency": request.arrived - last_list,
        "total": request.arrived - request.sent,
        "calls": len(calls),
        "throttled": sum(1 for c in calls if c.status == 429),
        "invocations": len(function.invocations) - invocations_before,
    }


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("overhead", "poll_lag", "response_latency", "total", "calls")
    return {key: median([float(r[key]) for r in runs]) for key in keys}
