"""The quota-aware lower bound on tearing down a fleet of hosted models: no client can finish sooner.

The problem. N hosted model versions of one project are deleted at once, from time 0 (the first
Delete request sent). Model i needs, in this order:

1. a StopModel call admitted at some time s_i >= 0; it is TRAINED S_i seconds later
   (``stopping_hosting``);
2. a DeleteModel call admitted at d_i >= s_i + S_i; the version is gone D_i seconds later
   (``deleting``) and leaves ListModels L_i seconds after that (``list_models_lag``);
3. a ListModels call admitted at c_i >= d_i + D_i + L_i that shows the version no longer
   listed. One call lists up to 100 versions of the project, so one call (ceil(N / 100) pages)
   confirms every version it no longer shows.

Each API has its own quota: a token bucket of ``burst`` tokens, full at time 0, refilled at
``rate`` tokens per second; a call is admitted only when it can take a token. Calls that only
observe (DescribeModel, ListModels before the end) are not needed by a client that knows every
S_i, D_i and L_i, and the answers take no time. The bound is

    min over admissible (s, d, c) of max_i c_i,

the wall time of the best schedule (the emulator's buckets are the same: ``backend.throttle``).

Computing it. For a given order of the StopModel calls and a given order of the DeleteModel
calls, admitting each call as early as its bucket and its ready time allow is optimal (an earlier
admission never leaves a bucket with fewer tokens later). ``brute_force`` tries every pair of
orders (small N only). ``bound`` is the larger of two relaxations, each exact for its part of the
problem and each a true lower bound:

- stops only (no DeleteModel quota): the bucket's earliest slots t_0 <= t_1 <= ... paired with
  the tails S_i + D_i + L_i sorted longest first (pairing sorted against reversed-sorted
  minimises the largest sum);
- deletes only (every stop at time 0): for each threshold x in {S_i}, the versions that cannot be
  deleted before x (S_i >= x) need that many DeleteModel calls from x on, through a bucket holding
  at most ``burst`` tokens at x, longest D_i + L_i first.

``schedule`` builds an admissible schedule (stops longest tail first; each DeleteModel slot goes to
the ready version with the longest D_i + L_i): the plan the oracle client of ``bench.oracle``
carries out. Its gap to ``bound`` is reported with every figure, and is nil for the benchmark's
duration sets.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

MODELS_PER_LIST_PAGE = 100  # ListModels' largest MaxResults


@dataclass(frozen=True)
class ModelDurations:
    """One model version's service seconds: StopModel → TRAINED, DeleteModel → gone, gone → unlisted."""

    stopping_hosting: float
    deleting: float
    list_models_lag: float

    @property
    def service_time(self) -> float:
        """The model's own teardown time with no quota: stop + delete + ListModels lag."""
        return self.stopping_hosting + self.deleting + self.list_models_lag

    @property
    def after_delete(self) -> float:
        """DeleteModel admitted → no longer listed."""
        return self.deleting + self.list_models_lag


@dataclass(frozen=True)
class Quota:
    """One API's token bucket: ``rate`` requests per second, ``burst`` tokens, full at time 0."""

    rate: float = 5.0
    burst: float = 5.0

    @classmethod
    def of_emulator(cls, requests_per_second: float) -> Quota:
        """The emulator's bucket for a quota of ``requests_per_second`` (``backend.throttle``)."""
        return cls(rate=requests_per_second, burst=max(1.0, requests_per_second))


@dataclass(frozen=True)
class Schedule:
    """When each call is admitted (seconds from time 0), per model in the order given, and the end."""

    stops: tuple[float, ...]
    deletes: tuple[float, ...]
    unlisted: tuple[float, ...]
    confirmed: float  # the ListModels call that shows every version gone

    @property
    def wall(self) -> float:
        return self.confirmed


def admissions(ready: Sequence[float], quota: Quota) -> list[float]:
    """Earliest admission of calls made in this order, each no sooner than its ready time nor the one before."""
    tokens, last, admitted = quota.burst, 0.0, []
    for ready_at in ready:
        at = max(ready_at, last)
        tokens = min(quota.burst, tokens + (at - last) * quota.rate)
        if tokens < 1.0:
            at += (1.0 - tokens) / quota.rate
            tokens = 1.0
        tokens -= 1.0
        last = at
        admitted.append(at)
    return admitted


def slots(count: int, quota: Quota) -> list[float]:
    """The earliest times ``count`` calls can be admitted from a full bucket at time 0."""
    return admissions([0.0] * count, quota)


def _confirmation(unlisted: float, count: int, quota: Quota) -> float:
    pages = max(1, math.ceil(count / MODELS_PER_LIST_PAGE))
    return admissions([unlisted] * pages, quota)[-1]


def _stop_relaxation(models: Sequence[ModelDurations], quota: Quota) -> float:
    tails = sorted((m.service_time for m in models), reverse=True)
    return max(t + tail for t, tail in zip(slots(len(models), quota), tails, strict=True))


def _delete_relaxation(models: Sequence[ModelDurations], quota: Quota) -> float:
    best = 0.0
    for x in sorted({m.stopping_hosting for m in models}):
        tails = sorted((m.after_delete for m in models if m.stopping_hosting >= x), reverse=True)
        best = max([best, *(x + t + tail for t, tail in zip(slots(len(tails), quota), tails, strict=True))])
    return best


def bound(models: Sequence[ModelDurations], quota: Quota) -> float:
    """The quota-aware lower bound (see the module's docstring), seconds from the first Delete sent."""
    if not models:
        return 0.0
    latest = max(_stop_relaxation(models, quota), _delete_relaxation(models, quota))
    return _confirmation(latest, len(models), quota)


def evaluate(
    models: Sequence[ModelDurations], stop_order: Sequence[int], delete_order: Sequence[int], quota: Quota
) -> Schedule:
    """The schedule that admits each call as early as possible, the stops and the deletes in the orders given."""
    stops = [0.0] * len(models)
    for i, at in zip(stop_order, slots(len(models), quota), strict=True):
        stops[i] = at
    ready = [stops[i] + models[i].stopping_hosting for i in delete_order]
    deletes = [0.0] * len(models)
    for i, at in zip(delete_order, admissions(ready, quota), strict=True):
        deletes[i] = at
    unlisted = [d + m.after_delete for d, m in zip(deletes, models, strict=True)]
    return Schedule(tuple(stops), tuple(deletes), tuple(unlisted), _confirmation(max(unlisted), len(models), quota))


def schedule(models: Sequence[ModelDurations], quota: Quota) -> Schedule:
    """An admissible schedule: stops longest tail first, each DeleteModel slot to the ready model with the longest
    tail."""
    count = len(models)
    stop_order = sorted(range(count), key=lambda i: -models[i].service_time)
    stops = [0.0] * count
    for i, at in zip(stop_order, slots(count, quota), strict=True):
        stops[i] = at
    ready = {i: stops[i] + models[i].stopping_hosting for i in range(count)}
    delete_order: list[int] = []
    tokens, last = quota.burst, 0.0
    while ready:
        now = max(last, min(ready.values()))
        tokens = min(quota.burst, tokens + (now - last) * quota.rate)
        if tokens < 1.0:
            now += (1.0 - tokens) / quota.rate
            tokens = 1.0
        candidates = [i for i, at in ready.items() if at <= now + 1e-12]
        chosen = max(candidates, key=lambda i: (models[i].after_delete, -i))
        delete_order.append(chosen)
        del ready[chosen]
        tokens -= 1.0
        last = now
    return evaluate(models, stop_order, delete_order, quota)


def brute_force(models: Sequence[ModelDurations], quota: Quota) -> float:
    """The best wall time over every order of the stops and of the deletes (small N only: (N!)^2 schedules)."""
    if len(models) > 6:
        raise ValueError("brute force is for at most 6 models")
    orders = list(itertools.permutations(range(len(models))))
    return min(evaluate(models, stop, delete, quota).wall for stop in orders for delete in orders)
