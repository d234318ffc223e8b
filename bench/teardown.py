"""One hosted model: how far each contender's Delete lands past the service's own time.

Each run draws one model's durations (``bench.durations.NON_ALIGNED``: stop 15-25 s, delete
7-13 s, ListModels lag 2-8 s, none a multiple of a 5 s poll grid), and every contender tears the
same model down in turn: this provider, the fleet-paced design, the CDK Provider baseline
(isComplete every 5 s) and crhelper with its defaults (a rate(2 minutes) rule, 120 s of sleep
before answering). Figures, medians over the runs:

- the excess: wall time (Delete sent → response) minus the model's own stop + delete + ListModels
  lag, and each contender's excess ÷ the CDK Provider baseline's (target ≤ 0.8) and ÷ crhelper's;
- the overhead: the response's arrival minus the emulator's record of the version leaving
  ListModels (from then on DeleteProject succeeds, so a Delete may answer);
- Lookout requests per Delete.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench.contenders import CdkContender, Contender, CrhelperContender, ProviderContender
from bench.durations import NON_ALIGNED, DurationSet
from bench.fleet import TARGET_EXCESS
from bench.measure import PROJECT, run_once
from bench.results import Figure, Section
from bench.rig import PROVIDER, Rig

BASELINE_KEY = "cdk_provider"
CRHELPER_KEY = "crhelper"


@dataclass(frozen=True)
class Options:
    runs: int = 5
    time_scale: float = 0.05
    durations: DurationSet = NON_ALIGNED
    crhelper: bool = True


def contenders(options: Options) -> list[Contender]:
    chosen: list[Contender] = [
        ProviderContender(PROVIDER),
        CdkContender(),
    ]
    if options.crhelper:
        chosen.append(CrhelperContender())
    return chosen


def run(options: Options) -> Section:
    began = time.monotonic()
    samples: dict[str, list[dict[str, Any]]] = {}
    chosen = contenders(options)
    with Rig(options.time_scale) as rig:
        for contender in chosen:
            contender.start(rig, 1)
            try:
                samples[contender.key] = [_one(rig, contender, options, number) for number in range(options.runs)]
            finally:
                contender.stop(rig)
    medians = {key: _medians(runs) for key, runs in samples.items()}
    figures: list[Figure] = []
    for contender in chosen[:2]:
        mine = medians[contender.key]
        figures.append(
            Figure(
                key=f"teardown.{contender.key}.excess_vs_baseline",
                title=f"1 model ({contender.key}): excess over the service's own time ÷ the CDK Provider baseline's",
                measured=mine["excess"],
                baseline=medians[BASELINE_KEY]["excess"],
                unit="s",
                measured_label=f"{contender.key} wall - own time",
                baseline_label=f"{BASELINE_KEY} wall - own time",
                target=f"≤ {TARGET_EXCESS:g}",
                met=mine["excess"] <= TARGET_EXCESS * medians[BASELINE_KEY]["excess"],
                note=(
                    f"overhead (unlisted → response) {mine['overhead']:.2f} s vs "
                    f"{medians[BASELINE_KEY]['overhead']:.2f} s; {mine['requests']:.0f} Lookout requests vs "
                    f"{medians[BASELINE_KEY]['requests']:.0f}"
                ),
            )
        )
        if CRHELPER_KEY in medians:
            figures.append(
                Figure(
                    key=f"teardown.{contender.key}.excess_vs_crhelper",
                    title=f"1 model ({contender.key}): excess ÷ crhelper defaults' excess",
                    measured=mine["excess"],
                    baseline=medians[CRHELPER_KEY]["excess"],
                    unit="s",
                    measured_label=f"{contender.key} wall - own time",
                    baseline_label=f"{CRHELPER_KEY} wall - own time",
                )
            )
    for key, mine in medians.items():
        figures.append(
            Figure(
                key=f"teardown.{key}.overhead",
                title=f"1 model ({key}): version unlisted → response, median",
                measured=mine["overhead"],
                baseline=mine["own_time"],
                unit="s",
                measured_label="overhead",
                baseline_label="the model's own time",
                note=f"excess {mine['excess']:.2f} s; {mine['requests']:.0f} Lookout requests; "
                f"{mine['invocations']:.0f} Lambda invocations",
            )
        )
    details = {
        "method": (
            f"{options.runs} runs, each one model with durations drawn per run ({options.durations.describe()}), "
            f"torn down by each contender in turn at time scale {options.time_scale:g}; medians."
        ),
        "time_scale": options.time_scale,
        "contenders": {c.key: {"label": c.label, "replay": c.replay} for c in chosen},
        "medians": medians,
        "runs": samples,
    }
    return Section("teardown", figures, details, time.monotonic() - began)


def _one(rig: Rig, contender: Contender, options: Options, number: int) -> dict[str, Any]:
    [durations] = options.durations.draw(1, number)
    row = run_once(rig, contender, [durations], timeout=8 * durations.service_time + 600)
    if row["failed"] or rig.unlisted(PROJECT, "1") is None:
        raise RuntimeError(f"{contender.key}: the Delete did not complete")
    return {
        "own_time": durations.service_time,
        "wall": row["wall"],
        "excess": row["wall"] - durations.service_time,
        "overhead": row["losses"]["unlisted_to_response_median"],
        "requests": row["requests"],
        "invocations": row["invocations"],
    }


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(float(r[key]) for r in runs) for key in runs[0]}
