from __future__ import annotations

import time
from collections.abc import Iterator

from localcloud.awslambda import LambdaContext
from provider.budget import Budget
from provider.lifecycle import THROTTLED_POLL_SKIP, Action, Step
from provider.waiter import Waiter
from tests.fixtures.clock import session_clock


def _budget() -> Budget:
    clock = session_clock(1e-6)
    context = LambdaContext("r", "provider", "arn", deadline=time.time() + 60, time_scale=clock.scale)
    return Budget(clock, context, started=clock.now(), service_timeout=3600)


def test_polls_restart_at_each_new_status_and_after_each_action() -> None:
    statuses: Iterator[str] = iter(["STOPPING_HOSTING"] * 3 + ["TRAINED", "DELETING", "DELETING", "gone"])
    acted: list[Action] = []
    polls_asked: list[int] = []

    def observe() -> tuple[Action, str, str]:
        status = next(statuses)
        if status == "gone":
            return Action(Step.DONE), status, status
        if status == "TRAINED":
            return Action(Step.DELETE), status, status
        return Action(Step.WAIT), status, status

    def interval(polls: int, time_left: float) -> float:
        polls_asked.append(polls)
        return 0.0

    seen = Waiter(_budget(), "model p/1", observe, acted.append, interval=interval).run()

    assert seen == "gone"
    assert [action.step for action in acted] == [Step.DELETE]
    # STOPPING_HOSTING x3 → 0, 1, 2; TRAINED (new status, then DeleteModel) → 0; DELETING (new) → 0, 1.
    assert polls_asked == [0, 1, 2, 0, 0, 1]


def test_a_throttled_step_moves_the_schedule_on() -> None:
    throttles = [0]
    statuses = iter(["TRAINING", "TRAINING", "TRAINING", "TRAINED"])
    polls_asked: list[int] = []

    def observe() -> tuple[Action, str, str]:
        status = next(statuses)
        if len(polls_asked) == 1:
            throttles[0] += 1  # the second DescribeModel met a ThrottlingException before its answer
        step = Step.DONE if status == "TRAINED" else Step.WAIT
        return Action(step), status, status

    def interval(polls: int, time_left: float) -> float:
        polls_asked.append(polls)
        return 0.0

    Waiter(
        _budget(), "model p/1", observe, lambda action: None, interval=interval, throttled=lambda: throttles[0]
    ).run()

    assert polls_asked == [0, 1 + THROTTLED_POLL_SKIP, 2 + THROTTLED_POLL_SKIP]
