"""The poll loop: observe, decide, act, wait — until the goal is reached, within a Budget."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from provider.budget import Budget
from provider.errors import Conflict, DeadlineExceeded, LookoutError, NotFound, ResourceFailed
from provider.lifecycle import THROTTLED_POLL_SKIP, TRANSIENT_STEP_LIMIT, Action, Step, poll_interval

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Waiter(Generic[T]):
    """Drives one resource towards a goal.

    ``observe`` reads the resource and returns (next action, what was seen, its status for
    messages); ``act`` performs any action other than WAIT, DONE and FAIL. A Conflict or NotFound
    answered to an action means a transition is under way or the resource went: observe again
    (but NotFound answered to a CREATE means its project is missing: that fails).
    A step whose call still fails after ``provider.lookout``'s retries (throttling, 5xx, no
    connection) is tried again after a poll interval, up to TRANSIENT_STEP_LIMIT times in a row.
    ``interval(polls, time_left)`` gives the seconds before the next poll
    (``provider.lifecycle.poll_interval`` by default); ``polls`` counts from the last action or
    the last change of status, so every new phase (stopping, deleting, waiting for ListModels) is
    polled at a short interval first. ``throttled()`` counts the ThrottlingException answers so
    far; a step that met one moves the schedule THROTTLED_POLL_SKIP intervals on.
    """

    def __init__(
        self,
        budget: Budget,
        subject: str,
        observe: Callable[[], tuple[Action, T, str]],
        act: Callable[[Action], None],
        *,
        interval: Callable[[int, float], float] = poll_interval,
        throttled: Callable[[], int] = lambda: 0,
    ) -> None:
        self._budget = budget
        self._interval = interval
        self._throttled = throttled
        self._subject = subject
        self._observe = observe
        self._act = act

    def run(self) -> T:
        polls = 0
        failed_steps = 0  # consecutive steps that ended on a retryable error despite the retries
        status = "not yet observed"
        try:
            while True:
                throttled_before = self._throttled()
                try:
                    with self._budget.step():
                        previous, (action, seen, status) = status, self._observe()
                        if status != previous:
                            logger.info("%s is %s", self._subject, status)
                            polls = 0
                        if action.step is Step.DONE:
                            return seen
                        if action.step is Step.FAIL:
                            raise ResourceFailed(f"{self._subject}: {action.reason}")
                        if action.step is not Step.WAIT:
                            polls = self._perform(action, status, polls)
                    failed_steps = 0
                except LookoutError as exc:
                    failed_steps += 1
                    if not exc.retryable or failed_steps > TRANSIENT_STEP_LIMIT:
                        exc.message = f"{self._subject}: {exc.message}"  # which resource
                        raise
                    logger.warning("%s: %s; trying again after a pause", self._subject, exc.message)
                if self._throttled() > throttled_before:
                    polls += THROTTLED_POLL_SKIP
                self._budget.wait(self._interval(polls, self._budget.deadline_left()))
                polls += 1
        except DeadlineExceeded as exc:
            raise DeadlineExceeded(f"{self._subject} is still {status}: {exc.message}") from exc

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
