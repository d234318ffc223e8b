"""Smoke test of the benchmark harness: ``python -m bench --quick`` end to end, at tiny sizes.

Not a timing assertion: it checks that every result file is written with its structure, that each
ratio is the measured figure divided by the baseline, and that those figures come from the raw
measurements the run recorded (medians of the samples, rows of the emulator's call record).
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as cli
from bench.results import Figure, ratio
from bench.scale import quota_bound


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench-results")
    assert cli.main(["--quick", "--out", str(out)]) == 0
    return out, json.loads((out / "results.json").read_text())


def _figures(data: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in data["sections"][section]["figures"]}


def test_every_result_file_is_written(results: tuple[Path, dict[str, Any]]) -> None:
    out, data = results
    assert set(data["sections"]) == {"teardown", "scale", "cold_start", "synth"}
    assert data["machine"]["cpu_count"] >= 1
    assert data["machine"]["python"].count(".") == 2
    markdown = (out / "results.md").read_text()
    assert "| Figure | Ratio | Measured | Baseline | Target | Met |" in markdown
    assert f"| Python | CPython {data['machine']['python']} |" in markdown
    assert "![benchmark plot](plot.png)" in markdown
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_each_ratio_is_measured_over_baseline(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    figures = [f for section in data["sections"].values() for f in section["figures"]]
    assert len(figures) >= 10
    for figure in figures:
        assert math.isfinite(figure["measured"]), figure["key"]
        assert figure["baseline"], figure["key"]
        assert figure["ratio"] == pytest.approx(figure["measured"] / figure["baseline"]), figure["key"]
        if figure["met"] is not None:
            assert figure["target"]


def test_teardown_figures_come_from_the_runs(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    details = data["sections"]["teardown"]["details"]
    runs = details["runs"]
    assert set(runs) == {"provider", "cdk_provider_5s", "crhelper_defaults"}
    for samples in runs.values():
        for sample in samples:
            assert sample["status"] == "SUCCESS"
            assert sample["overhead"] == pytest.approx(sample["poll_lag"] + sample["response_latency"])
            assert sample["total"] >= details["service_time"]  # nothing beats the service's own time
    medians = {key: statistics.median(s["overhead"] for s in samples) for key, samples in runs.items()}
    figures = _figures(data, "teardown")
    assert figures["teardown.overhead"]["measured"] == pytest.approx(medians["provider"])
    assert figures["teardown.overhead_vs_crhelper_defaults"]["baseline"] == pytest.approx(medians["crhelper_defaults"])
    assert figures["teardown.overhead_vs_cdk_provider_5s"]["baseline"] == pytest.approx(medians["cdk_provider_5s"])
    # The baselines really were replayed: crhelper waits 120 s before answering, polls a minute apart.
    assert all(s["calls"] < 10 for s in runs["crhelper_defaults"])


def test_scale_figures_come_from_the_call_record(results: tuple[Path, dict[str, Any]]) -> None:
    _, data = results
    details = data["sections"]["scale"]["details"]
    rows = {row["models"]: row for row in details["rows"]}
    assert set(rows) == {1, 3}
    assert len(details["rows"]) == 2  # --quick: one run per size
    figures = _figures(data, "scale")
    for count, row in rows.items():
        assert details["sizes"][str(count)]["walls"] == [row["wall"]]
        assert sum(row["by_operation"].values()) == row["requests"]
        assert row["by_operation"]["StopModel"] >= count
        assert row["polls"] <= row["describe_requests"] == row["by_operation"]["DescribeModel"]
        assert row["invocations"] >= count
        assert row["wall"] >= row["quota_bound"] == quota_bound(count, details["service_time"], 5.0)
        assert figures[f"scale.{count}.wall_vs_physical"]["measured"] == row["wall"]
        assert figures[f"scale.{count}.requests_per_poll"]["baseline"] == row["polls"]
        assert figures[f"scale.{count}.requests_per_model"]["measured"] == row["requests"] / count
        assert row["requests"] / count >= 6  # no Delete of a hosted model takes fewer
        assert figures[f"scale.{count}.throttling_failures"]["measured"] == row["throttling_failures"]
    baseline = details["baseline_row"]
    assert (details["baseline"], baseline["models"]) == ("cdk_provider_5s", 3)
    assert figures["scale.3.requests_vs_cdk_provider_5s"]["baseline"] == baseline["requests"] / 3
    assert figures["scale.3.wall_vs_cdk_provider_5s"]["baseline"] == baseline["wall"]
    assert [row["wall"] for row in details["baseline_rows"]] == baseline["walls"]


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


def test_quota_bound_adds_the_calls_the_bucket_must_spread() -> None:
    assert quota_bound(1, 35.0, 5.0) == 35.0
    assert quota_bound(50, 35.0, 5.0) == pytest.approx(44.0)  # 45 calls beyond the burst of 5, at 5/s
    assert quota_bound(50, 35.0, None) == 35.0


def test_a_ratio_needs_a_baseline() -> None:
    assert ratio(3.0, 0.0) is None
    figure = Figure("k", "t", measured=3.0, baseline=1.5, unit="s", measured_label="m", baseline_label="b")
    assert figure.ratio == 2.0


def test_only_rejects_an_unknown_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--only", "teardown,speed"])
    assert "speed" in capsys.readouterr().err
