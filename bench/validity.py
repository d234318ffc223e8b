"""Rig validity: the benchmark checked against what it must agree with.

- the bound (``bench.bound``) against a brute-force search of every schedule, on small fleets under
  a tight quota (so that the quota binds): it must never exceed the best schedule, and on fleets
  shaped like the benchmark's (equal durations, or durations spread far wider than a slot) it
  must equal it;
- the oracle client (``bench.oracle``), which knows every duration, against the bound, through
  the rig at the time scale the figures are taken at: within 2%;
- the same fleet teardown at two time scales: the fleet benchmark's wall time ÷ bound at its time
  scale, and again at a slower one, within 5% of each other (the rig's own CPU and latency, which
  the time scale magnifies, do not move the figure).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from bench import oracle
from bench.bound import ModelDurations, Quota, bound, brute_force, schedule
from bench.contenders import ProviderContender
from bench.durations import CURRENT, REALISTIC, DurationSet
from bench.measure import PROJECT, run_once
from bench.results import Figure, Section
from bench.rig import PROVIDER, ProviderVariant, Rig

TARGET_ORACLE = 0.02
TARGET_SCALES = 0.05


@dataclass(frozen=True)
class Check:
    """A fleet (durations, size) checked at ``time_scale``, and again at ``slower`` (None: oracle only)."""

    durations: DurationSet
    models: int
    time_scale: float
    slower: float | None = None
    runs: int = 1  # at each time scale: the median ratio is compared


@dataclass(frozen=True)
class Options:
    checks: tuple[Check, ...] = (Check(CURRENT, 50, 0.25, 0.5, runs=2), Check(REALISTIC, 100, 0.05, 0.1))
    oracle_sizes: tuple[int, ...] = (1, 10, 100)
    brute_force_cases: int = 60
    subject: ProviderVariant = PROVIDER


def run(options: Options, fleet_rows: list[dict[str, Any]] | None = None) -> Section:
    """``fleet_rows``: the fleet benchmark's rows of this run, reused for the faster time scale when present."""
    began = time.monotonic()
    figures = [_bound_figure(options.brute_force_cases)]
    details: dict[str, Any] = {"oracle": [], "scales": []}
    for check in options.checks:
        with Rig(check.time_scale) as rig:
            for models in sorted({*options.oracle_sizes, check.models}):
                durations = check.durations.draw(models)
                rig.reset()
                arns = rig.hosted_models(PROJECT, durations)
                result = oracle.run(rig, PROJECT, arns, durations)
                details["oracle"].append({"durations": check.durations.key, "models": models, **vars(result)})
                figures.append(
                    Figure(
                        key=f"validity.oracle.{check.durations.key}.{models}",
                        title=f"Oracle client, {check.durations.key}, {models} model(s), time scale "
                        f"{check.time_scale:g}: wall time ÷ bound",
                        measured=result.wall,
                        baseline=result.bound,
                        unit="s",
                        measured_label="oracle",
                        baseline_label="bound",
                        target=f"≤ {1 + TARGET_ORACLE:g}",
                        met=result.wall <= (1 + TARGET_ORACLE) * result.bound,
                        note=f"{result.calls} calls, {result.retried} retried (the rig ran late)",
                    )
                )
        if check.slower is not None:
            fast = _reused(fleet_rows, check, options.subject) or _fleet_runs(check, check.time_scale, options.subject)
            slow = _fleet_runs(check, check.slower, options.subject)
            details["scales"].append(
                {"durations": check.durations.key, "models": check.models, "fast": fast, "slow": slow}
            )
            ratio_fast, ratio_slow = _median_ratio(fast), _median_ratio(slow)
            figures.append(
                Figure(
                    key=f"validity.scales.{check.durations.key}.{check.models}",
                    title=f"{options.subject.key}, {check.durations.key}, {check.models} models: wall ÷ bound at time "
                    f"scale {check.time_scale:g} ÷ the same at {check.slower:g} (median of {check.runs} run(s))",
                    measured=ratio_fast,
                    baseline=ratio_slow,
                    unit="",
                    measured_label=f"at {check.time_scale:g}",
                    baseline_label=f"at {check.slower:g}",
                    target=f"within {TARGET_SCALES:.0%}",
                    met=abs(ratio_fast / ratio_slow - 1) <= TARGET_SCALES,
                    note=f"throttled per model {_per_model(fast, 'throttled'):.2f} vs "
                    f"{_per_model(slow, 'throttled'):.2f}; requests per model {_per_model(fast, 'requests'):.1f} vs "
                    f"{_per_model(slow, 'requests'):.1f}",
                )
            )
    details["method"] = (
        f"Bound vs brute force on {options.brute_force_cases} small fleets; the oracle client at each check's time "
        "scale; the fleet design at two time scales per check."
    )
    return Section("validity", figures, details, time.monotonic() - began)


def _reused(rows: list[dict[str, Any]] | None, check: Check, subject: ProviderVariant) -> list[dict[str, Any]]:
    """The fleet benchmark's runs of this check at its time scale, if it made them."""
    wanted = (check.durations.key, check.models, subject.key, check.time_scale)
    return [r for r in rows or [] if (r["durations"], r["models"], r["contender"], r["time_scale"]) == wanted]


def _fleet_runs(check: Check, time_scale: float, subject: ProviderVariant) -> list[dict[str, Any]]:
    contender = ProviderContender(subject)
    rows = []
    with Rig(time_scale) as rig:
        contender.start(rig, check.models)
        try:
            for number in range(check.runs):
                durations = check.durations.draw(check.models, number)
                timeout = 8 * max(d.service_time for d in durations) + 600
                rows.append(run_once(rig, contender, durations, timeout))
        finally:
            contender.stop(rig)
    return rows


def _median_ratio(rows: list[dict[str, Any]]) -> float:
    return statistics.median(r["wall"] / r["bound"] for r in rows)


def _per_model(rows: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] for r in rows) / sum(r["models"] for r in rows)


def brute_force_cases(count: int, seed: int = 13) -> list[tuple[list[ModelDurations], Quota, str]]:
    """Small fleets under a quota of 1 or 2 calls at a time: any shape, equal durations, and widely spread ones."""
    rng = random.Random(seed)
    cases = []
    for number in range(count):
        models = rng.randint(2, 5)
        quota = Quota(rate=1.0, burst=rng.choice([1.0, 2.0]))
        shape = ("any", "equal", "spread")[number % 3]
        if shape == "equal":
            durations = [ModelDurations(rng.uniform(0, 5), rng.uniform(0, 3), rng.uniform(0, 2))] * models
        elif shape == "spread":  # the realistic set's spread, counted in slots of the quota
            durations = [
                ModelDurations(rng.uniform(24, 60), rng.uniform(6, 18), rng.uniform(0.4, 2)) for _ in range(models)
            ]
        else:
            durations = [ModelDurations(rng.uniform(0, 6), rng.uniform(0, 4), rng.uniform(0, 2)) for _ in range(models)]
        cases.append((durations, quota, shape))
    return cases


def _bound_figure(count: int) -> Figure:
    above = exact_misses = 0
    gaps = []
    for durations, quota, shape in brute_force_cases(count):
        best = brute_force(durations, quota)
        low = bound(durations, quota)
        above += low > best + 1e-9
        if shape != "any":
            exact_misses += abs(low - best) > 1e-9
        gaps.append(schedule(durations, quota).wall / best - 1)
    return Figure(
        key="validity.bound_vs_brute_force",
        title="Bound vs brute force (small fleets, tight quota): bounds above the best schedule",
        measured=above + exact_misses,
        baseline=count,
        unit="",
        measured_label="bounds above the best, or not equal to it on the benchmark's shapes",
        baseline_label="fleets",
        target="0",
        met=above + exact_misses == 0,
        target_on="measured",
        note=f"the oracle's plan is at most {max(gaps):.1%} above the best schedule on any shape",
    )
