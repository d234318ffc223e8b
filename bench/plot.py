"""plot.png: one panel per benchmark that ran (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.results import Section


def write(path: Path, sections: list[Section], machine: dict[str, Any]) -> None:
    panels = [s for s in sections if s.name in _PANELS]
    if not panels:
        return
    columns = min(2, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 4.6 * rows), squeeze=False)
    for ax, section in zip(axes.flat, panels, strict=False):
        _PANELS[section.name](ax, section.details)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    figure.suptitle(
        f"{machine['cpu_count']} CPUs, Python {machine['python']}, {machine['date']}", fontsize=9, color="0.4"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _teardown(ax: Axes, details: dict[str, Any]) -> None:
    keys = list(details["runs"])
    labels = [k.replace("_", "\n") for k in keys]
    medians = [details["medians"][k]["overhead"] for k in keys]
    ax.bar(labels, medians, color=["tab:green", "tab:orange", "tab:red"][: len(keys)], alpha=0.7)
    for x, key in enumerate(keys):
        points = [r["overhead"] for r in details["runs"][key]]
        ax.scatter([x] * len(points), points, color="black", s=10, zorder=3)
        ax.annotate(f"{medians[x]:.3g} s", (x, medians[x]), ha="center", va="bottom", fontsize=8)
    ax.axhline(1.0, color="tab:blue", linestyle="--", linewidth=1, label="target 1 s")
    ax.set_yscale("log")
    ax.set_ylabel("service seconds (log)")
    ax.set_title("Teardown overhead: version unlisted → SUCCESS", fontsize=10)
    ax.legend(fontsize=8)


def _scale(ax: Axes, details: dict[str, Any]) -> None:
    rows = list(details["sizes"].values())
    labels = [str(r["models"]) for r in rows]
    walls = [r["wall"] if r["wall"] != float("inf") else 0.0 for r in rows]
    ax.bar(labels, walls, color="tab:green", alpha=0.7, label="wall time, median (first Delete → last response)")
    for x, row in enumerate(rows):
        points = [w for w in row["walls"] if w != float("inf")]
        ax.scatter([x] * len(points), points, color="black", s=10, zorder=3)
    ax.plot(labels, [r["quota_bound"] for r in rows], "o--", color="tab:purple", label="quota bound")
    baseline = details.get("baseline_row")
    if baseline and baseline["wall"] != float("inf") and str(baseline["models"]) in labels:
        points = [w for w in baseline["walls"] if w != float("inf")]
        ax.scatter(
            [labels.index(str(baseline["models"]))] * len(points),
            points,
            marker="x",
            s=60,
            color="tab:orange",
            zorder=4,
            label=f"{details['baseline']} ({baseline['requests'] / baseline['deletes']:.0f} req/model)",
        )
    physical = details["service_time"]
    ax.axhline(physical, color="black", linewidth=1, label=f"physical limit {physical:g} s")
    ax.axhline(physical * 1.15, color="tab:blue", linestyle="--", linewidth=1, label="target x 1.15")
    for x, row in enumerate(rows):
        text = f"{row['requests'] / row['deletes']:.0f} req/model\n{row['throttled'] / row['runs']:.0f} throttled/run"
        if row["failed"]:
            text += f"\n{row['failed']} of {row['deletes']} FAILED"
        top = max([walls[x], *(w for w in row["walls"] if w != float("inf"))])
        ax.annotate(text, (x, top), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("hosted models destroyed at once")
    ax.set_ylabel("service seconds")
    ax.set_title("Scale under 5 requests/s per API", fontsize=10)
    highest = max([*walls, physical * 1.15, *(w for r in rows for w in r["walls"] if w != float("inf"))])
    ax.set_ylim(0, highest * 1.8)  # room for the legend above the annotations
    ax.legend(fontsize=7, loc="upper left")


def _cold_start(ax: Axes, details: dict[str, Any]) -> None:
    names = ["bare", "provider"]
    labels = ["bare function\n(runtime's boto3)", "provider\n(its asset)"]
    medians = [details["medians"][n] * 1000 for n in names]
    ax.bar(labels, medians, color=["0.6", "tab:green"], alpha=0.8)
    for x, name in enumerate(names):
        points = [v * 1000 for v in details["samples"][name]]
        ax.scatter([x] * len(points), points, color="black", s=10, zorder=3)
    ax.set_ylabel("milliseconds to the first DescribeModel answered")
    title = f"Cold start, Python {details['interpreter']['version']} (grey: baseline)"
    title += f"\nasset.zip {details['asset']['zip_bytes'] / 1e6:.2f} MB"
    ax.set_title(title, fontsize=10)


def _synth(ax: Axes, details: dict[str, Any]) -> None:
    kinds = list(details["wall_medians"])
    walls = [details["wall_medians"][k] for k in kinds]
    inner = [details["synth_medians"][k] for k in kinds]
    positions = range(len(kinds))
    ax.bar([p - 0.2 for p in positions], walls, width=0.4, color="tab:green", alpha=0.7, label="fresh process")
    ax.bar([p + 0.2 for p in positions], inner, width=0.4, color="tab:olive", alpha=0.7, label="construct + synth")
    sizes = [details["samples"][k][0]["template_bytes"] for k in kinds]
    ax.set_xticks(list(positions), [f"{k}\n{s / 1000:.1f} kB template" for k, s in zip(kinds, sizes, strict=True)])
    ax.set_ylabel("seconds")
    ax.set_title(f"Synth (+{details['growth_per_model_bytes']:.0f} B of template per model)", fontsize=10)
    ax.legend(fontsize=8)


_PANELS = {"teardown": _teardown, "scale": _scale, "cold_start": _cold_start, "synth": _synth}
