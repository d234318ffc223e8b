"""``python -m bench``: run the benchmarks, print the table, write results.json, results.md and plot.png.

Options: ``--only fleet,teardown`` (any of fleet, teardown, validity, cold_start, synth), ``--quick``
(tiny sizes: a smoke run of the harness, not figures to quote), ``--fleet-case DURATIONS:SIZES[:RUNS[:SCALE]]``
(repeatable: the fleet benchmark's cases instead of its defaults, e.g. ``non_aligned:20:1``), ``--out DIR``
(default bench/results).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import coldstart, fleet, synth, teardown, validity
from bench.durations import CURRENT, NON_ALIGNED, REALISTIC, DurationSet
from bench.results import RESULTS_DIR, Section, machine, markdown, to_json, write_json

BENCHMARKS = ("fleet", "teardown", "validity", "cold_start", "synth")
DURATION_SETS: dict[str, DurationSet] = {d.key: d for d in (CURRENT, NON_ALIGNED, REALISTIC)}
# The time scale each duration set runs at by default (bench.fleet.Options).
DEFAULT_SCALES = {CURRENT.key: 0.25, NON_ALIGNED.key: 0.25, REALISTIC.key: 0.05}


def fleet_case(text: str) -> fleet.Case:
    """``DURATIONS:SIZES[:RUNS[:SCALE]]`` (``current:10,50:2``) as a fleet case."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4 or parts[0] not in DURATION_SETS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected DURATIONS:SIZES[:RUNS[:SCALE]], DURATIONS one of {sorted(DURATION_SETS)}"
        )
    try:
        sizes = tuple(int(size) for size in parts[1].split(","))
        runs = int(parts[2]) if len(parts) > 2 else 1
        scale = float(parts[3]) if len(parts) > 3 else DEFAULT_SCALES[parts[0]]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from exc
    return fleet.Case(DURATION_SETS[parts[0]], scale, sizes, runs)


def runners(
    quick: bool, done: list[Section], fleet_cases: tuple[fleet.Case, ...] = ()
) -> dict[str, Callable[[], Section]]:
    """Each benchmark with its default options, or tiny ones with ``quick``; ``done``: the sections run before."""

    def fleet_rows() -> list[dict[str, Any]] | None:
        return next((s.details["rows"] for s in done if s.name == "fleet"), None)

    if quick:
        quick_fleet = fleet_cases or (fleet.Case(CURRENT, 0.02, (1, 3)), fleet.Case(REALISTIC, 0.004, (3,)))
        quick_checks = (validity.Check(CURRENT, 3, 0.05, 0.1),)
        return {
            "fleet": lambda: fleet.run(fleet.Options(cases=quick_fleet)),
            "teardown": lambda: teardown.run(teardown.Options(runs=1, time_scale=0.01)),
            "validity": lambda: validity.run(
                validity.Options(checks=quick_checks, oracle_sizes=(1,), brute_force_cases=12), fleet_rows()
            ),
            "cold_start": lambda: coldstart.run(coldstart.Options(runs=1)),
            "synth": lambda: synth.run(synth.Options(runs=1, models=3)),
        }
    fleet_options = fleet.Options(cases=fleet_cases) if fleet_cases else fleet.Options()
    return {
        "fleet": lambda: fleet.run(fleet_options),
        "teardown": lambda: teardown.run(teardown.Options()),
        "validity": lambda: validity.run(validity.Options(), fleet_rows()),
        "cold_start": lambda: coldstart.run(coldstart.Options()),
        "synth": lambda: synth.run(synth.Options()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness in seconds")
    parser.add_argument(
        "--fleet-case",
        type=fleet_case,
        action="append",
        default=[],
        help="the fleet benchmark's cases instead of its defaults: DURATIONS:SIZES[:RUNS[:SCALE]] (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the result files go")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}")
    facts = machine()
    facts["quick"] = args.quick
    sections: list[Section] = []
    table = runners(args.quick, sections, tuple(args.fleet_case))
    for name in BENCHMARKS:
        if name not in chosen:
            continue
        print(f"== {name} ...", flush=True)
        began = time.monotonic()
        section = table[name]()
        section.seconds = time.monotonic() - began
        sections.append(section)
        for figure in section.figures:
            ratio = "-" if figure.ratio is None else f"{figure.ratio:.3g}"
            if figure.not_applicable:
                met = f"  [target n/a: {figure.not_applicable}]"
            else:
                met = "" if figure.met is None else ("  [target met]" if figure.met else "  [target NOT met]")
            print(
                f"  {figure.title}: {ratio}  ({figure.measured_label} {figure.measured:.4g} {figure.unit}, "
                f"{figure.baseline_label} {figure.baseline if figure.baseline is not None else '-'} {figure.unit})"
                f"{met}",
                flush=True,
            )
    facts["load_average_1min_at_end"] = _load()
    write_results(args.out, facts, sections)
    print(f"results in {args.out}/ (results.json, results.md, plot.png)")
    return 0


def write_results(directory: Path, facts: dict[str, Any], sections: list[Section]) -> None:
    from bench import plot  # noqa: PLC0415 (matplotlib only when writing)

    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / "results.json", _finite(to_json(facts, sections)))
    (directory / "results.md").write_text(markdown(facts, sections))
    plot.write(directory / "plot.png", sections, facts)


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _finite(value: Any) -> Any:
    """JSON has no NaN or Infinity: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
