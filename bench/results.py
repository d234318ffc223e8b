"""Figures, machine facts and the three result files (results.json, results.md, plot.png)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    """One reported figure: a measured number, the baseline it is divided by, the ratio.

    ``ratio`` is ``measured / baseline`` (None when the baseline is zero or missing). ``target``
    is a human-readable target ("≤ 1.2"); ``met`` whether the figure meets it (None: no target, or
    none can be judged). ``target_on`` says what the target applies to: the ratio or the measured
    value. ``not_applicable`` says why a target cannot be judged ("baseline failed 45 of 100"):
    the table then reads "n/a (...)", never "met".
    """

    key: str
    title: str
    measured: float
    baseline: float | None
    unit: str
    measured_label: str
    baseline_label: str
    target: str | None = None
    met: bool | None = None
    target_on: str = "ratio"
    note: str = ""
    not_applicable: str = ""
    ratio: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.ratio = ratio(self.measured, self.baseline)
        if self.not_applicable:
            self.met = None

    @property
    def verdict(self) -> str:
        """The Met column: yes, no, n/a (why), or - (no target)."""
        if self.not_applicable:
            return f"n/a ({self.not_applicable})"
        if self.met is None:
            return "-"
        return "yes" if self.met else "**no**"


def ratio(measured: float, baseline: float | None) -> float | None:
    if baseline is None or baseline == 0:
        return None
    return measured / baseline


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


@dataclass
class Section:
    """What one benchmark returns: its figures and the raw measurements behind them."""

    name: str
    figures: list[Figure]
    details: dict[str, Any]
    seconds: float = 0.0  # real seconds the benchmark took


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1min_at_start": load,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
        **_code(),
    }


def _code() -> dict[str, Any]:
    """The commit measured, and which measured packages had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    packages = ("provider", "localcloud", "cdk_app")  # their folders
    changed = git("diff", "--name-only", "HEAD", "--", *packages).splitlines()
    changed += git("ls-files", "--others", "--exclude-standard", "--", *packages).splitlines()
    dirty = sorted({path.split("/", 1)[0] + "/" for path in changed if path})
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown", "uncommitted_in": dirty}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def to_json(facts: dict[str, Any], sections: list[Section]) -> dict[str, Any]:
    return {
        "machine": facts,
        "sections": {
            s.name: {"seconds": round(s.seconds, 2), "figures": [asdict(f) for f in s.figures], "details": s.details}
            for s in sections
        },
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1, allow_nan=False, default=str) + "\n")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "B":
        return f"{value:,.0f} B"
    if not unit and float(value).is_integer():
        return f"{value:,.0f}"
    magnitude = abs(value)
    text = f"{value:.3g}" if magnitude < 10 else f"{value:,.1f}" if magnitude < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def markdown(facts: dict[str, Any], sections: list[Section], plot_name: str | None = "plot.png") -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Command: `{facts['command']}` — total {sum(s.seconds for s in sections):.0f} s of wall time.",
        "",
        "| Machine | |",
        "|---|---|",
        f"| CPUs | {facts['cpu_count']} x {facts['cpu']} |",
        f"| Python | {facts['implementation']} {facts['python']} |",
        f"| Platform | {facts['platform']} |",
        f"| Date | {facts['date']} |",
        f"| Code | commit {facts.get('commit', 'unknown')}"
        + (f", uncommitted changes in {', '.join(facts['uncommitted_in'])}" if facts.get("uncommitted_in") else "")
        + " |",
        f"| Load average (1 min), start / end | {_number(facts['load_average_1min_at_start'])} / "
        f"{_number(facts.get('load_average_1min_at_end'))} (the machine is shared) |",
        "",
        "Each ratio is the measured figure divided by the baseline measured (or, for limits, stated) "
        "in the same run; both absolute numbers are beside it.",
        "",
        "| Figure | Ratio | Measured | Baseline | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for section in sections:
        for f in section.figures:
            ratio_text = "-" if f.ratio is None else f"{f.ratio:.3g}"
            met = f.verdict
            target = "-" if f.target is None else f"{f.target} ({'ratio' if f.target_on == 'ratio' else 'measured'})"
            lines.append(
                f"| {f.title} | {ratio_text} | {f.measured_label}: {_number(f.measured, f.unit)} "
                f"| {f.baseline_label}: {_number(f.baseline, f.unit)} | {target} | {met} |"
            )
    for section in sections:
        table = section.details.get("markdown")
        if table:
            lines += ["", f"**{section.name}**", "", table]
    notes = [(s.name, f) for s in sections for f in s.figures if f.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- *{f.title}*: {f.note}" for _, f in notes]
    for section in sections:
        text = section.details.get("method")
        if text:
            lines += ["", f"**{section.name}** — {text}"]
    if plot_name:
        lines += ["", f"![benchmark plot]({plot_name})"]
    return "\n".join(lines) + "\n"
