"""The poll loop: observe, decide, act, wait — until the goal is reached or the request's deadline passes."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Generic, TypeVar

from lookoutvision_cdk_provider.budget import Budget, HandOver
from lookoutvision_cdk_provider.errors import (
    Conflict,
    DeadlineExceeded,
    LookoutError,
    NotFound,
    OutOfTime,
    ResourceFailed,
)
from lookoutvision_cdk_provider.lifecycle import DONE, Action, Step
from lookoutvision_cdk_provider.progress import HandedOverWait
from lookoutvision_cdk_provider.timing import AdaptivePolls

logger = logging.getLogger(__name__)

T = TypeVar("T")

_NOT_OBSERVED = "not yet observed"


class Waiter(Generic[T]):
    """Drives one resource towards a goal.

    ``observe`` reads the resource and returns (next action, what was seen, its status for
    messages); ``act`` performs any action other than WAIT, DONE and FAIL. A Conflict or NotFound
    answered to an action means a transition is under way or the resource went: observe again
    (but NotFound answered to a CREATE means its project is missing: that fails).

    Only three things end the wait short of its goal: a refusal (an error retrying cannot fix:
    AccessDenied, validation, another 4xx, the service's end-of-support answer), a FAIL decision,
    and the request's deadline. A step whose call still fails transiently after
    ``lookoutvision_cdk_provider.lookout``'s own retries (throttling, a 5xx, no answer) is tried again after the
    poll interval or, if longer, the backoff of ``budget.timings.calls``, for as long
    as the Budget allows; its waits are the Budget's, so hand-overs carry it on. At the deadline,
    DeadlineExceeded names the status last seen and the failure still going on, with that
    failure's advice — those the invocation before saw (``Budget.handed_over_wait``), when the
    deadline comes before this one sees anything. Messages start with ``subject`` (none when it is empty).

    ``interval(polls, time_left)`` gives the seconds before the next poll
    (``lookoutvision_cdk_provider.timing.AdaptivePolls`` by default); ``polls`` counts from the last action or the
    last change of status, so every new phase (stopping, deleting, waiting for ListModels) is
    polled at a short interval first. ``throttled()`` counts the ThrottlingException answers so
    far; a step that met one moves the schedule ``CallRetries.throttled_poll_skip`` intervals on.
    """

    def __init__(
        self,
        budget: Budget,
        subject: str,
        observe: Callable[[], tuple[Action, T, str]],
        act: Callable[[Action], None],
        *,
        interval: Callable[[int, float], float] | None = None,
        throttled: Callable[[], int] = lambda: 0,
        random_unit: Callable[[], float] = random.random,
    ) -> None:
        self._budget = budget
        self._interval = interval if interval is not None else AdaptivePolls().interval
        self._throttled = throttled
        self._random = random_unit
        self._subject = subject
        self._observe = observe
        self._act = act

    def run(self) -> T:
        polls = 0
        failed_steps = 0  # consecutive steps that ended on a transient error despite the retries
        failing: LookoutError | None = None  # the transient error of the last step, if it failed
        status = _NOT_OBSERVED
        try:
            while True:
                throttled_before = self._throttled()
                pause = 0.0
                try:
                    with self._budget.step():
                        previous, (action, seen, status) = status, self._observe()
                        if status != previous:
                            logger.info("%s is %s", self._subject, status)
                            polls = 0
                        if action.step is Step.DONE:
                            self._forget_handed_over()
                            return seen
                        if action.step is Step.FAIL:
                            raise ResourceFailed(self._named(action.reason))
                        if action.step is not Step.WAIT:
                            polls = self._perform(action, status, polls)
                    failed_steps, failing = 0, None
                except LookoutError as exc:
                    if not exc.retryable:
                        exc.message = self._named(exc.message)  # which resource
                        raise
                    failed_steps += 1
                    failing = exc
                    pause = self._budget.timings.calls.delay(failed_steps - 1, self._random(), exc.retry_after)
                    logger.warning("%s: %s; trying again (%d in a row)", self._subject, exc.message, failed_steps)
                if self._throttled() > throttled_before:
                    polls += self._budget.timings.calls.throttled_poll_skip
                time_left = max(0.0, self._budget.deadline_left())
                self._budget.wait(min(time_left, max(pause, self._interval(polls, time_left))))
                polls += 1
        except HandOver as exc:
            if isinstance(exc.__context__, OutOfTime):  # a retry that did not fit: its failure is the latest
                failing = exc.__context__.cause
            handed = self._seen(status, failing)
            if handed.status is not None or handed.failing is not None:
                self._budget.handed_over_wait = handed
            raise
        except DeadlineExceeded as exc:
            raise self._deadline(exc, self._seen(status, failing)) from exc

    def _forget_handed_over(self) -> None:
        """This wait is over: what an earlier invocation saw of it no longer holds."""
        earlier = self._budget.handed_over_wait
        if earlier is not None and earlier.subject == self._subject:
            self._budget.handed_over_wait = None

    def _seen(self, status: str, failing: LookoutError | None) -> HandedOverWait:
        """What this invocation saw of the wait: the status last seen, the transient failure still going on."""
        return HandedOverWait(
            self._subject,
            status if status != _NOT_OBSERVED else None,
            failing.brief if failing is not None else None,
            failing.advice if failing is not None else None,
        )

    def _deadline(self, exc: DeadlineExceeded, seen: HandedOverWait) -> DeadlineExceeded:
        """The deadline's error: the status last seen, and the failure still going on (its advice too)."""
        earlier = self._budget.handed_over_wait
        if seen.status is None and seen.failing is None and earlier is not None and earlier.subject == self._subject:
            seen = earlier  # the deadline came before this invocation saw anything
        message = f"{self._subject} is still {seen.status}: {exc.message}" if seen.status else self._named(exc.message)
        advice = seen.advice
        if isinstance(exc.__cause__, OutOfTime):  # its failure is already in the message
            advice = exc.__cause__.cause.advice
        elif seen.failing is not None:
            message = f"{message}; {seen.failing}"
        return DeadlineExceeded(message, advice=advice or None, last_status=seen.status)

    def _named(self, message: str) -> str:
        return f"{self._subject}: {message}" if self._subject else message

    def _perform(self, action: Action, status: str, polls: int) -> int:
        logger.info("%s: %s", self._subject, action.step)
        try:
            self._act(action)
        except (Conflict, NotFound) as exc:
            if isinstance(exc, NotFound) and action.step is Step.CREATE:
                raise  # what it would be created in (the project) does not exist
            logger.info("%s: %s; observing again", self._subject, exc.code)
            return polls
        return 0


def retried(budget: Budget, call: Callable[[], T]) -> T:
    """``call()`` as one step, tried again after each transient failure until it is answered or the deadline passes.

    A refusal is raised at once, as in ``Waiter``; the errors name the operation, not a resource.
    """

    def observe() -> tuple[Action, T, str]:
        return DONE, call(), _NOT_OBSERVED  # no status to log: a call's answer, not a resource's state

    def act(action: Action) -> None:  # observe only ever answers DONE
        raise AssertionError(f"no action expected, not {action.step}")

    return Waiter(budget, "", observe, act).run()
