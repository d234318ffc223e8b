"""Fleet teardown: N hosted models destroyed at once under the service's quota of 5 requests/s per API.

Every contender tears down the same fleets in the same run: this provider as deployed (its Delete
paced for the fleet, ``lookoutvision_cdk_provider.paced_delete``), and two CDK Provider framework baselines
(``bench.cdk_framework``: the user's isComplete every 5 s through the local Lambda, the framework's
own failure rule): ``cdk_provider``, the user's functions as commonly written (a ThrottlingException
that survives boto3's retries fails the resource), and ``cdk_tolerant``, the well-written peer
(isComplete answers not complete on a throttle). Each Delete runs as Lambda runs it — one
function, N concurrent asynchronous invocations, each in its own execution environment, started
beforehand (``Rig.warm``) — against one emulator that enforces the quota in service time. The N
models are versions of one project, as in a stack with N models; each Delete carries the ``Fleet``
property the construct synthesizes (its rank, N).

Three duration sets (``bench.durations``): the current one (every model 20 / 10 / 5 s), a
non-aligned one drawn per model (stop 15-25 s, delete 7-13 s, ListModels lag 2-8 s: no multiple of
a polling interval) at 20 models, and a realistic one drawn per model (stop 120-300 s, delete 30-90
s, lag 2-10 s), with seeds that every contender shares. Each set runs at its own time scale, one
the rig-validity checks (``bench.validity``) show the figures hold at.

Figures per set and size, each measured in the run:

- wall time (first Delete sent → last response) ÷ the quota-aware bound (``bench.bound``) of the
  run's own durations, for every contender, with the targets (``wall_target``);
- against the well-written peer (``cdk_tolerant``): wall time ÷ its wall time (target < 1: ahead
  of it), Lookout requests per model ÷ its (target ≤ 1.25 on the non-aligned fleet); against the
  common one (``cdk_provider``): wall time ÷ its (reported);
- ThrottlingException answers per model (target ≤ 1), hand-overs per model (target 0 while the
  slowest model's own time is under half the function's timeout), and Deletes that ended FAILED
  (or unanswered) after meeting a throttle (target 0), from the responses' Status and the
  emulator's call record;
- where the time goes: when the StopModel calls were admitted, the lag from TRAINED to DeleteModel
  and from the version leaving ListModels to the response (``bench.measure``).

A baseline run whose Deletes did not all succeed has no wall time: a stack destroy that fails is
not finished. A target measured against it reads "n/a (baseline failed N of M)", never met.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.contenders import CdkContender, Contender, ProviderContender
from bench.durations import CURRENT, NON_ALIGNED, REALISTIC, DurationSet
from bench.measure import run_once
from bench.results import Figure, Section
from bench.rig import LAMBDA_TIMEOUT, PROVIDER, ProviderVariant, Rig

BASELINE_KEY = "cdk_provider"  # the CDK Provider baseline as commonly written: a throttle fails the resource
PEER_KEY = "cdk_tolerant"  # ... and well written, throttling tolerated: the peer to beat
BASELINE_KEYS = (PEER_KEY, BASELINE_KEY)
TARGET_EXCESS = 0.8  # one model (bench.teardown): excess over the model's own time ÷ the baseline's
TARGET_REQUESTS = 1.25  # requests per model ÷ the peer's, on the non-aligned fleet
TARGET_THROTTLED = 1.0


@dataclass(frozen=True)
class Case:
    """One duration set, the time scale it runs at, the fleet sizes and runs per size."""

    durations: DurationSet
    time_scale: float
    sizes: tuple[int, ...] = (1, 10, 50, 100)
    runs: int = 1


@dataclass(frozen=True)
class Options:
    cases: tuple[Case, ...] = (
        Case(CURRENT, 0.25, runs=2),
        Case(NON_ALIGNED, 0.25, (20,), runs=3),
        Case(REALISTIC, 0.05),
    )
    subjects: tuple[ProviderVariant, ...] = (PROVIDER,)
    baseline: bool = True
    notes: dict[str, str] = field(default_factory=dict)


_WALL_TARGETS = {
    CURRENT.key: {10: 1.05, 50: 1.15, 100: 1.25},
    NON_ALIGNED.key: {20: 1.08},
    REALISTIC.key: {10: 1.05, 50: 1.10, 100: 1.10},
}


def wall_target(durations: DurationSet, models: int) -> float | None:
    """The target for wall time ÷ bound at this size (None: none)."""
    return _WALL_TARGETS.get(durations.key, {}).get(models)


def requests_target(durations: DurationSet, models: int) -> float | None:
    """The target for requests per model ÷ the peer's (None: reported only)."""
    return TARGET_REQUESTS if durations.key == NON_ALIGNED.key else None


def contenders(options: Options) -> list[Contender]:
    chosen: list[Contender] = [ProviderContender(s, replay=_replay(s)) for s in options.subjects]
    if options.baseline:
        chosen += [CdkContender.tolerant(), CdkContender()]
    return chosen


def _replay(variant: ProviderVariant) -> str:
    return "" if variant is PROVIDER else f"through this provider's code, configured at the edge {variant.edge}"


def run(options: Options) -> Section:
    began = time.monotonic()
    rows: list[dict[str, Any]] = []
    for case in options.cases:
        rows += run_case(case, contenders(options))
    figures = figures_of(rows, options)
    details = {
        "method": _method(options),
        "cases": [
            {"durations": c.durations.key, "label": c.durations.describe(), "time_scale": c.time_scale}
            for c in options.cases
        ],
        "contenders": {c.key: {"label": c.label, "replay": c.replay} for c in contenders(options)},
        "rows": rows,
        "markdown": matrix(rows, options),
    }
    return Section("fleet", figures, details, time.monotonic() - began)


def run_case(case: Case, chosen: Sequence[Contender]) -> list[dict[str, Any]]:
    """Every contender on every size and run of one case; each contender's functions live only while it runs."""
    rows: list[dict[str, Any]] = []
    with Rig(case.time_scale) as rig:
        for contender in chosen:
            warm_began = time.monotonic()
            contender.start(rig, max(case.sizes))
            warm_seconds = time.monotonic() - warm_began
            try:
                for models in case.sizes:
                    for number in range(case.runs):
                        durations = case.durations.draw(models, number)
                        timeout = 8 * max(d.service_time for d in durations) + 600
                        row = run_once(rig, contender, durations, timeout)
                        rows.append(
                            {
                                "durations": case.durations.key,
                                "contender": contender.key,
                                "run": number,
                                "time_scale": case.time_scale,
                                "warm_real_seconds": warm_seconds,
                                **row,
                            }
                        )
            finally:
                contender.stop(rig)
    return rows


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One contender at one size over its runs: median wall time, per-model figures over every model."""
    deletes = sum(r["models"] for r in rows)
    walls = [r["wall"] for r in rows]
    return {
        "models": rows[0]["models"],
        "runs": len(rows),
        "wall": statistics.median(walls),
        "walls": walls,
        "bound": statistics.median(r["bound"] for r in rows),
        "ratio": statistics.median(r["wall"] / r["bound"] for r in rows),
        "excess": statistics.median(r["wall"] - r["bound"] for r in rows),
        "slowest_model": max(r["slowest_model"] for r in rows),
        "requests_per_model": sum(r["requests"] for r in rows) / deletes,
        "throttled_per_model": sum(r["throttled"] for r in rows) / deletes,
        "hand_overs_per_model": sum(r["hand_overs"] for r in rows) / deletes,
        "invocations_per_model": sum(r["invocations"] for r in rows) / deletes,
        "failed": sum(r["failed"] for r in rows),
        "failed_throttled": sum(r["failed_throttled"] for r in rows),
        "deletes": deletes,
        "losses": rows[0]["losses"] if len(rows) == 1 else _median_losses(rows),
        "throttled_by_operation": _summed(r["throttled_by_operation"] for r in rows),
    }


def _median_losses(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    keys = rows[0]["losses"].keys()
    return {k: statistics.median(r["losses"][k] for r in rows) for k in keys}


def _summed(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for each in counts:
        for key, value in each.items():
            total[key] = total.get(key, 0) + value
    return total


def grouped(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, int, str], dict[str, Any]]:
    keys = sorted({(r["durations"], r["models"], r["contender"]) for r in rows}, key=lambda k: (k[0], k[1], k[2]))
    return {k: aggregate([r for r in rows if (r["durations"], r["models"], r["contender"]) == k]) for k in keys}


def figures_of(rows: Sequence[dict[str, Any]], options: Options) -> list[Figure]:
    groups = grouped(rows)
    figures: list[Figure] = []
    for case in options.cases:
        key = case.durations.key
        for models in case.sizes:
            bases = {b: groups.get((key, models, b)) for b in BASELINE_KEYS}
            for who, base in bases.items():
                if base is not None:
                    figures.append(_versus_bound(key, models, who, base, None))
            for subject in options.subjects:
                mine = groups.get((key, models, subject.key))
                if mine is None:
                    continue
                figures.append(_versus_bound(key, models, subject.key, mine, wall_target(case.durations, models)))
                figures += _versus_baselines(case.durations, models, subject.key, mine, bases)
                figures += _counts(key, models, subject.key, mine)
    return figures


def _name(durations: str, models: int, who: str) -> tuple[str, str]:
    return f"fleet.{durations}.{models}.{who}", f"{durations}, {models} model(s), {who}"


def _versus_bound(durations: str, models: int, who: str, row: dict[str, Any], target: float | None) -> Figure:
    key, title = _name(durations, models, who)
    losses = row["losses"]
    note = (
        f"{row['requests_per_model']:.1f} requests and {row['throttled_per_model']:.2f} throttled answers per model; "
        f"StopModel admitted by {losses['stop_admitted_max']:.1f} s (median {losses['stop_admitted_median']:.1f}); "
        f"TRAINED → DeleteModel median {losses['trained_to_delete_median']:.1f} s, max "
        f"{losses['trained_to_delete_max']:.1f}; unlisted → response median {losses['unlisted_to_response_median']:.1f}"
        f" s, max {losses['unlisted_to_response_max']:.1f}; throttled by operation {row['throttled_by_operation']}"
    )
    if row["failed"]:
        note = f"{row['failed']} of {row['deletes']} Deletes FAILED or unanswered; " + note
    met = None if target is None else (row["failed"] == 0 and row["ratio"] <= target)
    return Figure(
        key=f"{key}.vs_bound",
        title=f"{title}: wall time ÷ quota bound",
        measured=row["wall"],
        baseline=row["bound"],
        unit="s",
        measured_label="first Delete → last response",
        baseline_label="bound",
        target=None if target is None else f"≤ {target:g}",
        met=met,
        note=note,
    )


def _failed(base: dict[str, Any]) -> str:
    return f"baseline failed {base['failed']} of {base['deletes']}" if base["failed"] else ""


def _versus_baselines(
    durations: DurationSet, models: int, who: str, mine: dict[str, Any], bases: dict[str, dict[str, Any] | None]
) -> list[Figure]:
    """Wall time ÷ each baseline's (ahead of the peer: < 1), and requests per model ÷ the peer's."""
    key, title = _name(durations.key, models, who)
    figures = []
    for base_key, base in bases.items():
        if base is None:
            continue
        failed = _failed(base)
        figures.append(
            Figure(
                key=f"{key}.vs_{base_key}",
                title=f"{title}: wall time ÷ {base_key}'s",
                measured=mine["wall"],
                baseline=None if failed else base["wall"],
                unit="s",
                measured_label=who,
                baseline_label=base_key,
                target="< 1" if base_key == PEER_KEY else None,
                met=mine["failed"] == 0 and mine["wall"] < base["wall"] if base_key == PEER_KEY else None,
                not_applicable=failed if base_key == PEER_KEY else "",
                note=f"{base_key}: {failed}" if failed else "",
            )
        )
    peer = bases.get(PEER_KEY)
    if peer is not None:
        failed = _failed(peer)
        target = requests_target(durations, models)
        figures.append(
            Figure(
                key=f"{key}.requests_vs_{PEER_KEY}",
                title=f"{title}: Lookout requests per model ÷ {PEER_KEY}'s",
                measured=mine["requests_per_model"],
                # A baseline that gave up made fewer requests for it: no comparison.
                baseline=None if failed else peer["requests_per_model"],
                unit="",
                measured_label=who,
                baseline_label=PEER_KEY,
                target=None if target is None else f"≤ {target:g}",
                met=None if target is None else mine["requests_per_model"] <= target * peer["requests_per_model"],
                not_applicable=failed if target is not None else "",
                note=(
                    f"{PEER_KEY}: {peer['requests_per_model']:.1f} requests and {peer['throttled_per_model']:.2f} "
                    f"throttled answers per model" + (f"; {failed}" if failed else "")
                ),
            )
        )
    return figures


def _counts(durations: str, models: int, who: str, row: dict[str, Any]) -> list[Figure]:
    key, title = _name(durations, models, who)
    under_half = row["slowest_model"] < LAMBDA_TIMEOUT / 2
    return [
        Figure(
            key=f"{key}.throttled",
            title=f"{title}: ThrottlingException answers per model",
            measured=row["throttled_per_model"],
            baseline=1.0,
            unit="",
            measured_label="per model",
            baseline_label="target",
            target=f"≤ {TARGET_THROTTLED:g}",
            met=row["throttled_per_model"] <= TARGET_THROTTLED,
            target_on="measured",
            note=f"by operation {row['throttled_by_operation']}",
        ),
        Figure(
            key=f"{key}.hand_overs",
            title=f"{title}: hand-overs per model",
            measured=row["hand_overs_per_model"],
            baseline=row["invocations_per_model"],
            unit="",
            measured_label="hand-overs",
            baseline_label="Lambda invocations",
            target="0" if under_half else None,
            met=(row["hand_overs_per_model"] == 0) if under_half else None,
            target_on="measured",
            note=f"slowest model's own time {row['slowest_model']:.0f} s; function timeout {LAMBDA_TIMEOUT:g} s",
        ),
        Figure(
            key=f"{key}.throttling_failures",
            title=f"{title}: Deletes failed after a throttle",
            measured=row["failed_throttled"],
            baseline=row["deletes"],
            unit="",
            measured_label="FAILED or unanswered, throttled",
            baseline_label="Deletes",
            target="0",
            met=row["failed_throttled"] == 0,
            target_on="measured",
            note=f"{row['failed']} FAILED or unanswered in all",
        ),
    ]


def matrix(rows: Sequence[dict[str, Any]], options: Options) -> str:
    """The headline table: one line per duration set and size; per contender its wall time ÷ bound and its counts."""
    groups = grouped(rows)
    names = [s.key for s in options.subjects] + (list(BASELINE_KEYS) if options.baseline else [])
    subject = options.subjects[-1].key
    lines = [
        "| durations | models | bound | target | "
        + " | ".join(f"{n}: ÷ bound; requests, throttled per model" for n in names)
        + f" | {subject} ÷ {PEER_KEY}: wall / requests | {subject} ÷ {BASELINE_KEY}: wall | ahead of |",
        "|---|---|---|---|" + "---|" * len(names) + "---|---|---|",
    ]
    for case in options.cases:
        key = case.durations.key
        for models in case.sizes:
            found = {n: groups.get((key, models, n)) for n in names}
            present = [g for g in found.values() if g is not None]
            if not present:
                continue
            target = wall_target(case.durations, models)
            cells = [key, str(models), f"{present[0]['bound']:.0f} s", "-" if target is None else f"≤ {target:g}"]
            cells += [_contender_cell(found[n], target if n not in BASELINE_KEYS else None) for n in names]
            mine = found.get(subject)
            cells.append(_versus_cell(mine, found.get(PEER_KEY), with_requests=True))
            cells.append(_versus_cell(mine, found.get(BASELINE_KEY)))
            cells.append(_ahead_of(mine, {b: found.get(b) for b in BASELINE_KEYS}))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _contender_cell(row: dict[str, Any] | None, target: float | None) -> str:
    if row is None:
        return "-"
    counts = f"{row['requests_per_model']:.1f}, {row['throttled_per_model']:.1f}"
    if row["failed"]:
        return f"**{row['failed']}/{row['deletes']} FAILED**; {counts}"
    mark = "" if target is None else (" ✓" if row["ratio"] <= target else " ✗")
    return f"{row['ratio']:.3f}{mark}; {counts}"


def _versus_cell(mine: dict[str, Any] | None, base: dict[str, Any] | None, *, with_requests: bool = False) -> str:
    if mine is None or base is None:
        return "-"
    if base["failed"]:
        return f"n/a (baseline failed {base['failed']} of {base['deletes']})"
    wall = f"{mine['wall'] / base['wall']:.3f}"
    if not with_requests:
        return wall
    return f"{wall} / {mine['requests_per_model'] / base['requests_per_model']:.2f}"


def _ahead_of(mine: dict[str, Any] | None, bases: dict[str, dict[str, Any] | None]) -> str:
    """The baselines this run finished ahead of (a failed baseline is beaten by finishing at all)."""
    if mine is None or mine["failed"]:
        return "-"
    ahead = [
        key + (" (failed)" if base["failed"] else "")
        for key, base in bases.items()
        if base is not None and (base["failed"] or mine["wall"] < base["wall"])
    ]
    return ", ".join(ahead) or "none"


def _method(options: Options) -> str:
    cases = "; ".join(
        f"{c.durations.label} ({c.durations.describe()}) at time scale {c.time_scale:g}, sizes "
        f"{', '.join(map(str, c.sizes))}, {c.runs} run(s) each"
        for c in options.cases
    )
    return (
        f"{cases}. Quota 5 requests/s per API (token buckets of 5, service time). One local Lambda function per "
        "contender, one execution environment per concurrent invocation, started beforehand. Each Delete carries "
        "the Fleet property the construct synthesizes (its rank, the fleet's size). The CDK Provider baselines: the "
        "user's onEvent/isComplete (boto3 defaults) invoked through the local Lambda, the framework and its waiter "
        f"played by bench/cdk_framework.py (isComplete at once, then every 5 s; a function error answers FAILED); "
        f"{BASELINE_KEY} lets a ThrottlingException escape, {PEER_KEY} catches it (IsComplete false)."
    )
