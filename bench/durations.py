"""The service's durations the benchmarks run with: one set of fixed durations, and sets drawn per model.

A ``DurationSet`` gives every model of a run its StopModel, DeleteModel and ListModels-lag
durations (``bench.bound.ModelDurations``). Draws are seeded by the set, the fleet size and the
run's number, so every schedule (this provider, each baseline, the oracle) meets the same
durations in the same run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.bound import ModelDurations


@dataclass(frozen=True)
class DurationSet:
    """Durations per model: uniform draws in [low, high] per step (a fixed duration when low == high)."""

    key: str
    label: str
    stopping_hosting: tuple[float, float]
    deleting: tuple[float, float]
    list_models_lag: tuple[float, float]

    def draw(self, count: int, run: int = 0) -> list[ModelDurations]:
        """The durations of ``count`` models in run number ``run`` (the same on every call)."""
        rng = random.Random(f"{self.key}/{count}/{run}")
        return [
            ModelDurations(
                stopping_hosting=_uniform(rng, self.stopping_hosting),
                deleting=_uniform(rng, self.deleting),
                list_models_lag=_uniform(rng, self.list_models_lag),
            )
            for _ in range(count)
        ]

    def describe(self) -> str:
        return (
            f"StopModel {_span(self.stopping_hosting)} s, DeleteModel {_span(self.deleting)} s, "
            f"ListModels lag {_span(self.list_models_lag)} s"
        )


def _uniform(rng: random.Random, span: tuple[float, float]) -> float:
    low, high = span
    return low if low == high else round(rng.uniform(low, high), 3)


def _span(span: tuple[float, float]) -> str:
    low, high = span
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


# The durations the benchmarks ran with so far: every model the same, each a multiple of 5 s.
CURRENT = DurationSet("current", "current (20 / 10 / 5 s)", (20.0, 20.0), (10.0, 10.0), (5.0, 5.0))
# Durations like the service's: stopping a hosted model takes minutes, deleting about a minute.
REALISTIC = DurationSet("realistic", "realistic (drawn per model)", (120.0, 300.0), (30.0, 90.0), (2.0, 10.0))
# One model at a time, durations that do not line up with a 5 s poll grid (around the current set).
NON_ALIGNED = DurationSet("non_aligned", "non-aligned (drawn per run)", (15.0, 25.0), (7.0, 13.0), (2.0, 8.0))
