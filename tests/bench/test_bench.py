"""Smoke test of the benchmark harness: ``python -m bench --quick`` end to end, at tiny sizes.

Not a timing assertion: it checks that every result file is written with its structure, that each
ratio is the measured figure divided by the baseline, and that those figures come from the raw
measurements the run recorded (the responses and the emulator's call record).
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as cli
from bench import fleet
from bench.durations import NON_ALIGNED
from bench.results import Figure, Section, markdown, ratio


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench-results")
    assert cli.main(["--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def _figures(data: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in data["sections"][section]["figures"]}


def test_every_result_file_is_written(results: tuple[Path, dict[str, Any]]) -> None:
    out, data = results
    assert set(data["sections"]) == {"fleet", "teardown", "validity", "cold_start", "synth"}
    assert data["machine"]["cpu_count"] >= 1
    markdown = (out / "results.md").read_text()
    assert "| Figure | Ratio | Measured | Baseline | Target | Met |" in markdown
    assert "| durations | models | bound |" in markdown  # the fleet matrix
    assert "![benchmark plot](plot.png)" in markdown
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_ratio_is_measured_over_baseline(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    figures = [f for section in data["sections"].values() for f in section["figures"]]
    assert len(figures) >= 40
    for figure in figures:
        if figure["baseline"] is None:  # a baseline that failed has no wall time (JSON: null)
            continue
        if figure["baseline"]:
            assert figure["ratio"] == pytest.approx(figure["measured"] / figure["baseline"]), figure["key"]
        if figure["met"] is not None:
            assert figure["target"], figure["key"]


def test_fleet_figures_come_from_the_runs(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    details = data["sections"]["fleet"]["details"]
    rows = details["rows"]
    assert {(r["durations"], r["models"]) for r in rows} == {("current", 1), ("current", 3), ("realistic", 3)}
    assert {r["contender"] for r in rows} == {"provider", "cdk_provider", "cdk_tolerant"}
    figures = _figures(data, "fleet")
    for row in rows:
        assert sum(row["by_operation"].values()) == row["requests"]
        assert row["by_operation"]["StopModel"] >= row["models"]
        assert row["succeeded"] + row["failed"] == row["models"]
        assert row["wall"] >= row["bound"] > 0  # nothing beats the bound
        key = f"fleet.{row['durations']}.{row['models']}.{row['contender']}"
        assert figures[f"{key}.vs_bound"]["measured"] == row["wall"]
        assert figures[f"{key}.vs_bound"]["baseline"] == row["bound"]
        if row["contender"] == "provider":
            assert figures[f"{key}.throttled"]["measured"] == row["throttled"] / row["models"]
            assert figures[f"{key}.hand_overs"]["measured"] == row["hand_overs"] / row["models"]
            assert figures[f"{key}.throttling_failures"]["measured"] == row["failed_throttled"]
    cdk = next(r for r in rows if (r["contender"], r["models"], r["durations"]) == ("cdk_tolerant", 3, "current"))
    mine = next(r for r in rows if (r["contender"], r["models"], r["durations"]) == ("provider", 3, "current"))
    requests = figures["fleet.current.3.provider.requests_vs_cdk_tolerant"]
    assert requests["measured"] == mine["requests"] / 3
    assert requests["baseline"] == (cdk["requests"] / 3 if cdk["failed"] == 0 else None)
    # One invocation per isComplete check: the baseline's Lambda invocations are its polls, plus onEvent.
    assert cdk["invocations"] >= 3 * 2


def test_teardown_figures_come_from_the_runs(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    details = data["sections"]["teardown"]["details"]
    runs = details["runs"]
    assert set(runs) == {"provider", "cdk_provider", "crhelper"}
    for samples in runs.values():
        for sample in samples:
            assert sample["excess"] == pytest.approx(sample["wall"] - sample["own_time"])
            assert sample["excess"] > 0
    medians = {key: statistics.median(s["excess"] for s in samples) for key, samples in runs.items()}
    figures = _figures(data, "teardown")
    assert figures["teardown.provider.excess_vs_baseline"]["measured"] == pytest.approx(medians["provider"])
    assert figures["teardown.provider.excess_vs_baseline"]["baseline"] == pytest.approx(medians["cdk_provider"])
    # crhelper's defaults: a first poll two minutes in, and 120 s of sleep before the answer.
    assert all(s["excess"] > 120 for s in runs["crhelper"])
    assert all(s["invocations"] >= 2 for s in runs["crhelper"])


def test_validity_figures(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    figures = _figures(data, "validity")
    assert figures["validity.bound_vs_brute_force"]["measured"] == 0
    oracle = [f for key, f in figures.items() if key.startswith("validity.oracle.")]
    assert oracle
    assert all(math.isfinite(f["measured"]) for f in oracle)


def test_cold_start_and_synth_figures_come_from_the_samples(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    cold = data["sections"]["cold_start"]["details"]
    figures = _figures(data, "cold_start")
    assert figures["cold_start.first_call"]["measured"] == statistics.median(cold["samples"]["provider"])
    assert figures["cold_start.first_call"]["baseline"] == statistics.median(cold["samples"]["bare"])
    assert figures["cold_start.asset_zip"]["measured"] == cold["asset"]["zip_bytes"]
    synth = data["sections"]["synth"]["details"]
    example, models = synth["samples"]["example"][0], synth["samples"]["models"][0]
    assert (models["models"], models["functions"], example["models"]) == (3, 1, 1)
    growth = (models["template_bytes"] - example["template_bytes"]) / 2
    assert _figures(data, "synth")["synth.template_growth_per_model"]["measured"] == pytest.approx(growth)
    assert growth > 0


def _row(contender: str, wall: float, failed: int = 0, requests: float = 12.0) -> dict[str, Any]:
    losses = dict.fromkeys(("first_call", "stop_admitted", "trained_to_delete", "unlisted_to_response"), 0.0)
    return {
        "durations": NON_ALIGNED.key,
        "models": 20,
        "contender": contender,
        "run": 0,
        "wall": wall if not failed else math.inf,
        "bound": 40.0,
        "slowest_model": 46.0,
        "requests": requests * 20,
        "throttled": 0,
        "hand_overs": 0,
        "invocations": 20,
        "failed": failed,
        "failed_throttled": failed,
        "losses": {f"{k}_{m}": v for k, v in losses.items() for m in ("median", "max")},
        "throttled_by_operation": {},
    }


def test_a_target_against_a_failed_baseline_reads_not_applicable_never_met() -> None:
    options = fleet.Options(cases=(fleet.Case(NON_ALIGNED, 0.25, (20,)),))
    rows = [_row("provider", 42.0), _row("cdk_tolerant", 44.0, failed=3), _row("cdk_provider", 45.0, failed=7)]
    figures = {f.key: f for f in fleet.figures_of(rows, options)}
    ahead = figures["fleet.non_aligned.20.provider.vs_cdk_tolerant"]
    assert ahead.met is None and ahead.not_applicable == "baseline failed 3 of 20"
    assert ahead.verdict == "n/a (baseline failed 3 of 20)"
    assert figures["fleet.non_aligned.20.provider.requests_vs_cdk_tolerant"].verdict.startswith("n/a")
    facts = dict.fromkeys(("command", "cpu", "implementation", "python", "platform", "date"), "-")
    facts |= {"cpu_count": 2, "load_average_1min_at_start": None}
    assert "n/a (baseline failed 3 of 20)" in markdown(facts, [Section("fleet", list(figures.values()), {})])
    table = fleet.matrix(rows, options)
    assert "cdk_tolerant (failed), cdk_provider (failed)" in table


def test_the_peer_finished_sets_the_targets_against_it() -> None:
    options = fleet.Options(cases=(fleet.Case(NON_ALIGNED, 0.25, (20,)),))
    rows = [_row("provider", 42.0, requests=14.0), _row("cdk_tolerant", 44.0), _row("cdk_provider", 41.0)]
    figures = {f.key: f for f in fleet.figures_of(rows, options)}
    assert figures["fleet.non_aligned.20.provider.vs_cdk_tolerant"].met is True
    assert figures["fleet.non_aligned.20.provider.vs_cdk_provider"].met is None  # reported, no target
    requests = figures["fleet.non_aligned.20.provider.requests_vs_cdk_tolerant"]
    assert requests.ratio == pytest.approx(14 / 12) and requests.met is True  # ≤ 1.25
    assert figures["fleet.non_aligned.20.provider.vs_bound"].met is True  # 42 / 40 = 1.05, within 1.08
    assert fleet.matrix(rows, options).endswith("| cdk_tolerant |")


def test_a_ratio_needs_a_baseline() -> None:
    assert ratio(3.0, 0.0) is None
    figure = Figure("k", "t", measured=3.0, baseline=1.5, unit="s", measured_label="m", baseline_label="b")
    assert figure.ratio == 2.0


def test_only_rejects_an_unknown_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--only", "teardown,speed"])
    assert "speed" in capsys.readouterr().err
