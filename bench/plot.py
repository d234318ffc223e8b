"""plot.png: one panel per benchmark that ran (matplotlib, Agg backend)."""

from __future__ import annotations

import statistics
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


_COLORS = {"provider": "tab:red", "cdk_tolerant": "tab:brown", "cdk_provider": "tab:orange", "crhelper": "tab:purple"}


def _teardown(ax: Axes, details: dict[str, Any]) -> None:
    keys = list(details["runs"])
    medians = [details["medians"][k]["excess"] for k in keys]
    ax.bar([k.replace("_", "\n") for k in keys], medians, color=[_COLORS.get(k, "0.5") for k in keys], alpha=0.7)
    for x, key in enumerate(keys):
        points = [r["excess"] for r in details["runs"][key]]
        ax.scatter([x] * len(points), points, color="black", s=10, zorder=3)
        ax.annotate(f"{medians[x]:.3g} s", (x, medians[x]), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("service seconds (log)")
    ax.set_title("1 model, non-aligned durations: wall time - the model's own time", fontsize=10)


def _fleet(ax: Axes, details: dict[str, Any]) -> None:
    rows = details["rows"]
    cases = [c["durations"] for c in details["cases"]]
    contenders = list(details["contenders"])
    width = 0.8 / max(1, len(contenders))
    labels = []
    x = -1
    for ci, case in enumerate(cases):
        x += 1  # a gap between duration sets
        for si, models in enumerate(sorted({r["models"] for r in rows if r["durations"] == case})):
            x += 1
            labels.append((x, f"{models}\n{case.replace('_', '-')}"))
            for k, key in enumerate(contenders):
                mine = [r for r in rows if (r["durations"], r["models"], r["contender"]) == (case, models, key)]
                if not mine:
                    continue
                ratios = [r["wall"] / r["bound"] if r["failed"] == 0 else float("nan") for r in mine]
                finite = [v for v in ratios if v == v]
                height = statistics.median(finite) if finite else 0.0
                ax.bar(
                    x - 0.4 + width * (k + 0.5),
                    height,
                    width=width,
                    color=_COLORS.get(key, "0.5"),
                    alpha=0.75,
                    label=key if (ci, si) == (0, 0) else None,  # once per contender
                )
                if not finite:
                    ax.annotate("FAILED", (x - 0.4 + width * (k + 0.5), 1.0), rotation=90, fontsize=6, ha="center")
    ax.axhline(1.0, color="black", linewidth=1)
    for level, style in ((1.05, ":"), (1.08, (0, (1, 3))), (1.10, "--"), (1.15, (0, (5, 2, 1, 2))), (1.25, "-.")):
        ax.axhline(level, color="tab:blue", linestyle=style, linewidth=0.8, label=f"target {level:g}")
    ax.set_xticks([x for x, _ in labels], [text for _, text in labels], fontsize=7)
    ax.set_ylabel("wall time ÷ quota-aware bound")
    ax.set_ylim(0.9, None)
    ax.set_title("Fleet teardown under 5 requests/s per API (bars: median run)", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")


def _cold_start(ax: Axes, details: dict[str, Any]) -> None:
    names = ["bare", "provider"]
    labels = ["bare function\n(runtime's boto3)", "provider\n(its asset)"]
    medians = [details["medians"][n] * 1000 for n in names]
    ax.bar(labels, medians, color=["0.6", "tab:green"], alpha=0.8)
    for x, name in enumerate(names):
        points = [v * 1000 for v in details["samples"][name]]
        ax.scatter([x] * len(points), points, color="black", s=10, zorder=3)
    ax.set_ylabel("milliseconds to the first Lookout call answered")
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


_PANELS = {"fleet": _fleet, "teardown": _teardown, "cold_start": _cold_start, "synth": _synth}
