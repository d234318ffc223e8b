"""The Delete of a model version, one of a fleet: its calls paced for the service's quota.

CloudFormation deletes every model of a stack at once: N invocations, one per model, share the
service's quota of 5 requests/s per API. This loop does what ``ModelResource._converge`` does for
the goal Absent (stop, delete, wait until the version is gone), spending as few calls as it can
and only its part of the quota (``lookoutvision_cdk_provider.fleet_pace`` says when, and with which call):

- in the request's first invocation, its first call waits for its first slot of the quota
  (``lookoutvision_cdk_provider.fleet_pace.Pace.first_call``);
- the first look is the version's tags (ListTagsForResource): no step acts on a version this
  resource did not create. Then, in the request's first invocation, it acts on what the
  properties say the version is — StopModel for a model with ``Hosting``, else DeleteModel —
  without a DescribeModel first: the service refuses (Conflict) an action the version's status
  does not allow, and the next look is then a DescribeModel, whose status decides as
  ``lookoutvision_cdk_provider.lifecycle.next_model_action`` does. A later invocation looks first;
- while the version stops (or is in any other transition), it looks by DescribeModel or by a
  ListModels page, which also shows the fleet's progress; once it is TRAINED (or any state
  DeleteModel accepts), DeleteModel; while it is deleted, by ListModels pages. When, and with which
  call, is ``lookoutvision_cdk_provider.fleet_pace.Pace``'s decision: each look in one of the Delete's own slots of
  the quota;
- the version is gone once DescribeModel has answered ResourceNotFound AND a ListModels page no
  longer lists it, taken after a page that listed it or after that answer: ListModels is
  eventually consistent both ways (a version created seconds ago may not be listed yet), so a
  version missing from ListModels while DescribeModel still finds it is observed again, never
  taken for gone. A page that no longer lists it is followed at once by a DescribeModel;
- a throttled look is taken again soon; a throttled StopModel, DeleteModel or owner check is
  tried again after its backoff, without a look in between: the waits are the Budget's, between
  steps, so they count against the deadline but never inflate the hand-over reserve, and no number
  of throttled answers fails the Delete before its deadline.

StopModel and DeleteModel keep their ClientToken; the loop ends only once the version is gone,
and the Budget's deadline and hand-over apply to every step and wait: a 5xx or a lost answer is
observed again, for as long as the deadline allows (``lookoutvision_cdk_provider.waiter.Waiter``).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from lookoutvision_cdk_provider.budget import Budget
from lookoutvision_cdk_provider.errors import Conflict, DeadlineExceeded, NotFound, Throttled
from lookoutvision_cdk_provider.fleet_pace import Fleet, Look, Pace, Phase
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
from lookoutvision_cdk_provider.progress import ModelProgress
from lookoutvision_cdk_provider.timing import FleetPolls
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_cdk_provider.waiter import Waiter

_DELETING = "DELETING"
_GONE = "deleted, still listed by ListModels"
_UNLISTED = "not listed by ListModels, looking again with DescribeModel"


def tear_down(
    lookout: Lookout,
    budget: Budget,
    ref: ModelRef,
    *,
    check_owner: Callable[[dict[str, str]], None],
    token_key: str,
    progress: ModelProgress,
    schedule: FleetPolls,
    fleet: Fleet,
    hosted: bool,
    page_size: int | None = None,
    random_unit: Callable[[], float] = random.random,
) -> None:
    """Stop, delete, and wait until the version ``ref`` names is gone (DescribeModel and ListModels).

    Looks are single attempts (``lookout.single_attempt``: the next look is the retry); StopModel
    and DeleteModel keep ``lookout``'s retries except for throttling (``throttling_not_retried``):
    what follows a throttled answer is this loop's decision. ``check_owner`` gets the tags of a
    version that exists and raises unless this resource may act on it. ``token_key`` is what the
    ClientTokens derive from; ``progress`` is the request's record (``fleet_first_call_answered``,
    ``described_gone``: what an earlier invocation saw). ``fleet`` is the model's place in its
    stack's fleet, ``hosted`` whether its properties host it. At the
    deadline, DeadlineExceeded names the status last seen (its ``last_status``) and what was still
    failing.
    """
    pace = Pace(schedule, fleet, ref.model_version, random_unit)
    first = not progress.fleet_first_call_answered
    teardown = _Teardown(
        lookout, budget, ref, check_owner=check_owner, token_key=token_key, pace=pace, page_size=page_size
    )
    teardown.blind = hosted if first else None
    teardown.progress = progress
    if first:
        offset = pace.first_call(budget.clock.now())
        if offset > 0:
            budget.wait(offset)
    pace.begin(Phase.STOPPING, budget.clock.now())
    if progress.described_gone:  # nothing left to act on: ListModels alone says when it is no longer listed
        teardown.owned = teardown.described_gone = True
        teardown.next_look = Look.LIST
        pace.begin(Phase.DELETING, budget.clock.now())
    try:
        Waiter(budget, str(ref), teardown.observe, teardown.act, interval=teardown.interval).run()
    except DeadlineExceeded as exc:
        if teardown.refusal:  # what kept it waiting: the service's last ThrottlingException
            exc.message = f"{exc.message}; {teardown.refusal}"
        raise


class _Teardown:
    """The looks and actions of one Delete (``lookoutvision_cdk_provider.waiter.Waiter`` runs them).

    ``blind``: in the request's first invocation, whether the properties host the model (the first
    action is then StopModel, else DeleteModel, without a look first); None in a later invocation.
    """

    def __init__(
        self,
        calls: Lookout,
        budget: Budget,
        ref: ModelRef,
        *,
        check_owner: Callable[[dict[str, str]], None],
        token_key: str,
        pace: Pace,
        page_size: int | None,
    ) -> None:
        self.calls = calls.single_attempt()  # looks: the next look is the retry
        self.acts = calls.throttling_not_retried()  # StopModel, DeleteModel: this loop paces throttled ones
        self.clock = budget.clock
        self.ref, self.check_owner, self.token_key = ref, check_owner, token_key
        self.pace, self.page_size = pace, page_size
        self.blind: bool | None = None
        self.progress = ModelProgress()
        self.owned = False
        self.status = "not yet observed"
        self.pending: Step | None = None  # an action the service throttled: tried again next
        self.describe_next = False  # the next look is a DescribeModel, at once
        self.next_look = Look.DESCRIBE
        self.described_gone = False  # DescribeModel answered ResourceNotFound
        self.listed = False  # a ListModels page listed the version
        self.unlisted = False  # a page no longer listed it, after one that did or after described_gone
        self.refusal = ""  # the last throttled call, while no call since has been answered

    # -- looks ---------------------------------------------------------------------------------

    def observe(self) -> tuple[Action, None, str]:
        if self.pending is not None:
            return Action(self.pending), None, self.status
        try:
            if not self.owned:
                return self._first_look()
            look = self.next_look
            self.pace.looked()
            if look is Look.DESCRIBE:
                found = self._describe()
                self.describe_next = False  # taken (a throttled one is taken again)
            else:
                found = self._list()
        except Throttled as exc:
            self.refusal = exc.brief
            if self.owned:
                self.pace.look_refused()
            else:  # the owner check: spread out like the actions' retries
                self.pace.refused(exc.retry_after)
            return WAIT, None, self.status
        self.refusal = ""
        if self.described_gone and self.unlisted:
            return DONE, None, "gone"
        if found is None:
            return WAIT, None, self.status
        return self._decide(found), None, self.status

    def _first_look(self) -> tuple[Action, None, str]:
        """The version's tags (its owner), then the first action: the one its properties imply, or a look."""
        tags = self.calls.tags_of(self.ref.model_arn)
        if tags is not None:
            self.check_owner(tags)
        self.pace.admitted()
        self.owned = True
        self.progress.fleet_first_call_answered = True
        if tags is None:  # gone (by ListTagsForResource): DescribeModel and ListModels must say so too
            self.describe_next = True
            return WAIT, None, self.status
        if self.blind is None:
            self.describe_next = True
            return WAIT, None, self.status
        return Action(Step.STOP if self.blind else Step.DELETE), None, self.status

    def _describe(self) -> str | None:
        model = self.calls.describe_model(self.ref.project_name, self.ref.model_version)
        if model is None:
            self.described_gone = True
            self.progress.described_gone = True
            self._enter(Phase.DELETING)
            if not self.unlisted:
                self.status = _GONE
            return None
        if self.unlisted:  # DescribeModel still finds it: ListModels is behind, look again
            self.unlisted = False
        return str(model.status)

    def _list(self) -> str | None:
        statuses = self.calls.model_statuses(self.ref.project_name, self.page_size)
        self.pace.saw(statuses, self.clock.now())
        status = statuses.get(self.ref.model_version)
        if status is None:
            if self.listed or self.described_gone:
                self.unlisted = True
            if not self.described_gone:  # DescribeModel must say so too, at once
                self.status = _UNLISTED if self.listed else self.status
                self.describe_next = True
            return None
        self.listed = True
        if self.described_gone:
            return None  # still listed for a while after DescribeModel stopped finding it
        return status

    def _decide(self, status: str) -> Action:
        self.status = status
        if status == _DELETING:
            self._enter(Phase.DELETING)
            return WAIT
        action = next_model_action(Absent(), ModelObservation(status=ModelStatus(status)))
        if action.step is Step.WAIT:
            self._enter(Phase.STOPPING)
        return action

    def _enter(self, phase: Phase) -> None:
        if self.pace.phase is not phase:
            self.pace.begin(phase, self.clock.now())

    # -- actions ---------------------------------------------------------------------------------

    def act(self, action: Action) -> None:
        project, version = self.ref.project_name, self.ref.model_version
        try:
            if action.step is Step.STOP:
                self.acts.stop_model(project, version, client_token(self.token_key, TokenKind.STOP_MODEL))
            elif action.step is Step.DELETE:
                self.acts.delete_model(project, version, client_token(self.token_key, TokenKind.DELETE_MODEL))
        except Throttled as exc:
            self.refusal = exc.brief
            self.pace.refused(exc.retry_after)
            self.pending = action.step
            return
        except (Conflict, NotFound):
            # Another status than assumed (a transition, or gone): look with DescribeModel at once.
            self.pending, self.describe_next = None, True
            self.pace.admitted()
            raise
        except Exception:
            self.pending = None
            self.pace.admitted()
            raise
        self.refusal, self.pending = "", None
        self.pace.admitted()
        if action.step is Step.STOP:
            self.status = "STOPPING_HOSTING"
            self.pace.begin(Phase.STOPPING, self.clock.now())
        elif action.step is Step.DELETE:
            self.status = _DELETING
            self.pace.begin(Phase.DELETING, self.clock.now())

    # -- waits -----------------------------------------------------------------------------------

    def interval(self, polls: int, time_left: float) -> float:
        """Seconds before the next step (``lookoutvision_cdk_provider.waiter.Waiter``'s ``interval``; ``polls`` unused).

        A DescribeModel that must come next (after a refused action, or a page that no longer lists
        the version) is taken at once, or soon after a throttled one.
        """
        delay, look = self.pace.next_look(self.clock.now())
        if self.describe_next and self.pending is None and self.owned:
            look = Look.DESCRIBE
            delay = delay if self.pace.throttled_look else 0.0
        self.next_look = look
        return max(0.0, min(delay, time_left))
