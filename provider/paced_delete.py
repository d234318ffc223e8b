"""The Delete of a model version, one of a fleet: its calls paced for the service's quota.

CloudFormation deletes every model of a stack at once: N invocations, one per model, share the
service's quota of 5 requests/s per API. This loop does what ``ModelResource._converge`` does for
the goal Absent (stop, delete, wait until ListModels no longer shows the version), with these
changes:

- its first look is the provider's usual one (DescribeModel, and the version's tags: no step acts
  on a version this resource did not create); from then on it acts and looks as below;
- it observes by ListModels and DescribeModel in turn (two quotas); once DescribeModel no longer
  finds the deleted version, by ListModels only (the one call that can say the version is no
  longer listed), soon after and then at growing intervals: ListModels lags DescribeModel by
  seconds, and this one call per Delete is let past the fleet's share;
- the version is gone once DescribeModel has answered ResourceNotFound AND ListModels no longer
  lists it: ListModels is eventually consistent both ways (a version created seconds ago may not
  be listed yet), so a version missing from ListModels while DescribeModel still answers it is
  observed again, never taken for gone;
- it paces its polls for the fleet it sees: every ListModels page shows the status of up to 100
  versions of the project, and the versions HOSTED, STOPPING_HOSTING or DELETING are the Deletes
  (about to be) polling at the same time, so each polls no more often than its share of
  ``utilization`` of the two quotas; before the first page, each throttled first look, StopModel
  or DeleteModel doubles the fleet it assumes (from 5, the quota's burst);
- within that share, each phase is polled soon after it starts and then at intervals growing by
  ``growth`` up to ``cap``, drawn within ``jitter`` so that the fleet's polls do not fall together;
- a throttled call is tried again after the wait the loop would make anyway (a throttled poll
  after its interval; StopModel and DeleteModel after RetryAfterSeconds plus a random share of a
  window that doubles with each throttle, up to ``widest_backoff``): the waits are the Budget's,
  between steps, so they count against the deadline but never inflate the hand-over reserve, and
  no number of throttled answers fails the Delete before its deadline.

StopModel and DeleteModel keep their ClientToken; the loop ends only once the version is gone,
and the Budget's deadline and hand-over apply to every step and wait: a 5xx or a lost answer is
observed again, for as long as the deadline allows (``lookoutvision_cdk_provider.waiter.Waiter``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from lookoutvision_cdk_provider.budget import Budget
from lookoutvision_cdk_provider.errors import DeadlineExceeded, Throttled
from lookoutvision_cdk_provider.identifiers import ModelRef
from lookoutvision_cdk_provider.lifecycle import (
    DONE,
    WAIT,
    Absent,
    Action,
    ModelObservation,
    ModelStatus,
    Step,
    next_model_action,
)
from lookoutvision_cdk_provider.lookout import Lookout
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_cdk_provider.waiter import Waiter

# The statuses of the versions whose Deletes are (about to be) polling with this one.
_FLEET = frozenset({"HOSTED", "STOPPING_HOSTING", "DELETING"})
_DELETING = "DELETING"
_GONE = "deleted, still listed by ListModels"
_UNLISTED = "not listed by ListModels yet"  # a ListModels page without the version, which DescribeModel still finds


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
    check_owner: Callable[[dict[str, str] | None], None],
    token_key: str,
    schedule: FleetPolls,
    page_size: int | None = None,
    random_unit: Callable[[], float] = random.random,
) -> None:
    """Stop, delete, and wait until ListModels no longer shows ``ref``'s version.

    A look is one attempt (``lookout.single_attempt``: the next look is its retry); StopModel and
    DeleteModel keep ``lookout``'s retries except for throttling (``throttling_not_retried``): what
    follows a throttled answer is this loop's decision. ``check_owner`` gets the version's tags
    (None: it is gone) and raises unless this resource may act on it. ``token_key`` is what the
    ClientTokens derive from. At the deadline, DeadlineExceeded names the status last seen (its
    ``last_status``) and what was still failing.
    """
    pace = _Pace(schedule, random_unit)
    teardown = _Teardown(lookout, ref, check_owner=check_owner, token_key=token_key, pace=pace, page_size=page_size)
    try:
        Waiter(budget, str(ref), teardown.observe, teardown.act, interval=teardown.pace.interval).run()
    except DeadlineExceeded as exc:
        if teardown.refusal:  # what kept it waiting: the service's last ThrottlingException
            exc.message = f"{exc.message}; {teardown.refusal}"
        raise


class _Teardown:
    """The observations and actions of one Delete (``lookoutvision_cdk_provider.waiter.Waiter`` runs them)."""

    def __init__(
        self,
        calls: Lookout,
        ref: ModelRef,
        *,
        check_owner: Callable[[dict[str, str] | None], None],
        token_key: str,
        pace: _Pace,
        page_size: int | None,
    ) -> None:
        self.calls = calls.single_attempt()  # observations: the next poll is the retry
        self.acts = calls.throttling_not_retried()  # StopModel, DeleteModel: this loop paces throttled ones
        self.ref, self.check_owner, self.token_key = ref, check_owner, token_key
        self.pace, self.page_size = pace, page_size
        self.owned = False
        self.list_next = True
        self.status = "not yet observed"
        self.refusal = ""  # the last throttled call, while no call since has been answered

    def observe(self) -> tuple[Action, None, str]:
        try:
            status = self._look() if self.owned else self._first_look()
        except Throttled as exc:
            self.refusal = exc.brief
            if not self.owned:  # the first look: spread out like StopModel's retries
                self.pace.refused(exc)
            return WAIT, None, self.status  # look again after the interval
        self.refusal = ""
        if status is None:
            return DONE, None, "gone"
        if status == _UNLISTED:  # DescribeModel still finds it: look again, by DescribeModel next
            return WAIT, None, self.status
        self.status = status
        if status in (_DELETING, _GONE):
            return WAIT, None, status
        return next_model_action(Absent(), ModelObservation(status=ModelStatus(status))), None, status

    def _first_look(self) -> str | None:
        """DescribeModel, then the owner tag of a version that exists (as ``ModelResource._converge`` looks)."""
        model = self.calls.describe_model(self.ref.project_name, self.ref.model_version)
        if model is not None:
            self.check_owner(self.calls.tags_of(self.ref.model_arn))
        self.pace.admitted()
        self.owned = True
        if model is None:
            self.pace.gone = True
            return _GONE
        return str(model.status)

    def _look(self) -> str | None:
        """The version's status by ListModels or DescribeModel in turn; None once it is gone.

        Gone: DescribeModel has answered ResourceNotFound, and ListModels no longer lists it.
        """
        project, version = self.ref.project_name, self.ref.model_version
        use_list = self.pace.gone or self.list_next
        self.list_next = not use_list
        if use_list:
            statuses = self.calls.model_statuses(project, self.page_size)
            self.pace.saw(statuses)
            status = statuses.get(version)
            if status is None:
                return None if self.pace.gone else _UNLISTED
            return _GONE if status == _DELETING and self.pace.gone else status
        model = self.calls.describe_model(project, version)
        if model is None:  # gone: still listed for a few seconds, maybe
            self.pace.gone = True
            return _GONE
        return str(model.status)

    def act(self, action: Action) -> None:
        project, version = self.ref.project_name, self.ref.model_version
        try:
            if action.step is Step.STOP:
                self.acts.stop_model(project, version, client_token(self.token_key, TokenKind.STOP_MODEL))
            elif action.step is Step.DELETE:
                self.acts.delete_model(project, version, client_token(self.token_key, TokenKind.DELETE_MODEL))
        except Throttled as exc:
            self.refusal = exc.brief
            self.pace.refused(exc)
            return
        except Exception:
            self.pace.admitted()
            raise
        self.refusal = ""
        self.pace.admitted()
