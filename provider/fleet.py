"""Deleting a hosted model as one of a fleet: the Delete's calls paced for the service's quota.

CloudFormation deletes every model of a stack at once: N invocations, one per model, share the
service's quota of 5 requests/s per API. This loop does what ``ModelResource._converge`` does for
the goal Absent (stop, delete, wait until ListModels no longer shows the version), with these
changes:

- it sends StopModel first, without looking: a hosted model (the common case) needs no
  DescribeModel before it; any other state answers ConflictException, and the loop then looks;
- it observes by ListModels and DescribeModel in turn (two quotas); once DescribeModel no longer
  finds the deleted version, by ListModels only (the one call that can say the version is no
  longer listed), soon after and then at growing intervals: ListModels lags DescribeModel by
  seconds, and this one call per Delete is let past the fleet's share;
- it paces its polls for the fleet it sees: every ListModels page shows the status of up to 100
  versions of the project, and the versions HOSTED, STOPPING_HOSTING or DELETING are the Deletes
  (about to be) polling at the same time, so each polls no more often than its share of
  ``utilization`` of the two quotas; before the first page, each throttled StopModel doubles the
  fleet it assumes (from 5, the quota's burst);
- within that share, each phase is polled soon after it starts and then at intervals growing by
  ``growth`` up to ``cap``, drawn within ``jitter`` so that the fleet's polls do not fall together;
- a throttled call is tried again after the wait the loop would make anyway (a throttled poll
  after its interval; StopModel and DeleteModel after RetryAfterSeconds plus a random share of a
  window that doubles with each throttle, up to ``widest_backoff``): the waits are the Budget's,
  between steps, so they count against the deadline but never inflate the hand-over reserve, and
  no number of throttled answers fails the Delete before its deadline.

StopModel and DeleteModel keep their ClientToken; the loop ends only once ListModels no longer
lists the version, and the Budget's deadline and hand-over apply to every step and wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from provider.continuation import Budget
from provider.errors import Throttled
from provider.identifiers import ModelRef
from provider.lifecycle import DONE, WAIT, Absent, Action, ModelObservation, ModelStatus, Step, next_model_action
from provider.lookout import Lookout
from provider.tokens import TokenKind, client_token
from provider.waiter import Waiter

# The statuses of the versions whose Deletes are (about to be) polling with this one.
_FLEET = frozenset({"HOSTED", "STOPPING_HOSTING", "DELETING"})
_DELETING = "DELETING"
_GONE = "deleted, still listed by ListModels"


@dataclass(frozen=True)
class FleetPolls:
    """When a Delete calls: growing intervals per phase, no more often than its share of the quota."""

    first: float = 0.5  # seconds before a phase's first poll
    growth: float = 1.2
    cap: float = 5.0  # the longest interval a Delete with no fleet around waits between polls
    rate: float = 5.0  # the service's quota, requests per second per API
    burst: int = 5  # ... and the calls it admits at once
    utilization: float = 0.8  # the share of the DescribeModel and ListModels quotas the fleet may use
    jitter: float = 0.3  # each interval is drawn within ± this fraction
    first_backoff: float = 2.0  # a throttled StopModel or DeleteModel: a random share of this window ...
    widest_backoff: float = 16.0  # ... doubling with each throttle up to this, after RetryAfterSeconds


class _Pace:
    """One Delete's view of its fleet, and the wait before its next call."""

    def __init__(self, polls: FleetPolls, random_unit: Callable[[], float]) -> None:
        self.polls = polls
        self.random_unit = random_unit
        self.fleet = 1  # Deletes polling, as the last ListModels page showed them
        self.gone = False  # DescribeModel no longer finds the version: ListModels only from now on
        self.throttled = 0  # consecutive throttled StopModel or DeleteModel calls
        self.retry_after = 0.0
        self.paged = False

    def interval(self, polls: int, time_left: float) -> float:
        p = self.polls
        if self.throttled:
            window = min(p.widest_backoff, p.first_backoff * 2 ** (self.throttled - 1))
            return max(0.0, min(self.retry_after + window * self.random_unit(), time_left))
        grown = min(p.cap, p.first * p.growth ** max(0, polls))
        share = self.fleet / (p.utilization * p.rate * 2)  # each quota once per 2 intervals
        if self.gone:  # waiting for ListModels to catch up: a few calls, soon
            share = 0.0 if polls == 0 else share / 2
        drawn = max(grown, share) * (1 + p.jitter * (2 * self.random_unit() - 1))
        return max(0.0, min(drawn, time_left))

    def saw(self, statuses: dict[str, str]) -> None:
        self.paged = True
        self.fleet = max(1, sum(1 for status in statuses.values() if status in _FLEET))

    def refused(self, exc: Throttled) -> None:
        self.throttled += 1
        self.retry_after = exc.retry_after or 0.0
        if not self.paged:
            self.fleet = max(self.fleet, self.polls.burst * 2**self.throttled)

    def admitted(self) -> None:
        self.throttled = 0


def tear_down(
    lookout: Lookout,
    budget: Budget,
    ref: ModelRef,
    *,
    token_key: str,
    schedule: FleetPolls,
    page_size: int | None = None,
    random_unit: Callable[[], float] = random.random,
) -> None:
    """Stop, delete, and wait until ListModels no longer shows ``ref``'s version.

    Every call is one attempt (``lookout.single_attempt``): what follows a throttled answer is this
    loop's decision. ``token_key`` is what the ClientTokens derive from.
    """
    project, version = ref.project_name, ref.model_version
    calls = lookout.single_attempt()
    pace = _Pace(schedule, random_unit)
    state = {"stopped": False, "list_next": True, "status": "not yet observed"}

    def observe() -> tuple[Action, None, str]:
        if not state["stopped"]:
            return Action(Step.STOP), None, str(state["status"])
        use_list = pace.gone or bool(state["list_next"])
        state["list_next"] = not use_list
        try:
            if use_list:
                statuses = calls.model_statuses(project, page_size)
                pace.saw(statuses)
                if version not in statuses:
                    return DONE, None, "gone"
                status = statuses[version]
            else:
                model = calls.describe_model(project, version)
                if model is None:  # gone: still listed for a few seconds, maybe
                    pace.gone = True
                    state["status"] = _GONE
                    return WAIT, None, _GONE
                status = str(model.status)
        except Throttled:
            return WAIT, None, str(state["status"])  # look again after the interval
        if status == _DELETING:
            status = _GONE if pace.gone else status
            state["status"] = status
            return WAIT, None, status
        state["status"] = status
        return next_model_action(Absent(), ModelObservation(status=ModelStatus(status))), None, status

    def act(action: Action) -> None:
        try:
            if action.step is Step.STOP:
                calls.stop_model(project, version, client_token(token_key, TokenKind.STOP_MODEL))
                state["stopped"] = True
            elif action.step is Step.DELETE:
                calls.delete_model(project, version, client_token(token_key, TokenKind.DELETE_MODEL))
        except Throttled as exc:
            pace.refused(exc)
            return
        except Exception:
            state["stopped"] = True  # not hosted (Conflict) or gone (NotFound): look from now on
            pace.admitted()
            raise
        pace.admitted()

    Waiter(budget, str(ref), observe, act, interval=pace.interval).run()
