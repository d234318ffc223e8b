from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lookoutvision_cdk_provider.budget import Budget, HandOver
from lookoutvision_cdk_provider.errors import (
    AccessDenied,
    DeadlineExceeded,
    OutOfTime,
    ServiceError,
    ServiceUnavailable,
)
from lookoutvision_cdk_provider.lifecycle import Action, Step
from lookoutvision_cdk_provider.progress import HandedOverWait
from lookoutvision_cdk_provider.timing import CallRetries
from lookoutvision_cdk_provider.waiter import Waiter, retried
from lookoutvision_localcloud.awslambda import LambdaContext
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

    skip = CallRetries().throttled_poll_skip
    assert polls_asked == [0, 1 + skip, 2 + skip]


def _budget_of(service_timeout: float) -> Budget:
    """A Budget whose ServiceTimeout lasts a thousandth of it in real seconds (60 s: 60 ms)."""
    clock = session_clock(1e-3)
    context = LambdaContext("r", "provider", "arn", deadline=time.time() + 60, time_scale=clock.scale)
    return Budget(clock, context, started=clock.now(), service_timeout=service_timeout)


def test_transient_failures_are_tried_again_for_as_long_as_the_deadline_allows() -> None:
    failures = iter([ServiceError("DescribeModel", "InternalServerException", "oops", status=500)] * 25)

    def observe() -> tuple[Action, str, str]:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return Action(Step.DONE), "gone", "gone"

    assert Waiter(_budget_of(3600), "model p/1", observe, lambda action: None).run() == "gone"


def test_the_deadline_names_the_status_last_seen_and_the_failure_still_going_on() -> None:
    seen: list[str] = []

    def observe() -> tuple[Action, str, str]:
        if not seen:
            seen.append("STOPPING_HOSTING")
            return Action(Step.WAIT), "STOPPING_HOSTING", "STOPPING_HOSTING"
        raise ServiceUnavailable("DescribeModel", "EndpointConnectionError", "Could not connect")

    with pytest.raises(DeadlineExceeded) as caught:
        Waiter(_budget_of(60), "model 1 of project p", observe, lambda action: None).run()

    assert caught.value.message == (
        "model 1 of project p is still STOPPING_HOSTING: ServiceTimeout (60 s) reached; DescribeModel got no answer"
    )
    assert caught.value.advice == ServiceUnavailable.advice
    assert caught.value.last_status == "STOPPING_HOSTING"


def test_a_refusal_ends_the_wait_at_once_naming_the_resource() -> None:
    calls: list[int] = []

    def observe() -> tuple[Action, str, str]:
        calls.append(1)
        raise AccessDenied("DescribeModel", "AccessDeniedException", "not authorized", status=403)

    with pytest.raises(AccessDenied) as caught:
        Waiter(_budget_of(3600), "model 1 of project p", observe, lambda action: None).run()

    assert caught.value.message.startswith("model 1 of project p: DescribeModel: AccessDeniedException")
    assert len(calls) == 1


def test_retried_answers_the_call_once_it_is_answered() -> None:
    answers = iter([ServiceError("CreateModel", "InternalServerException", "", status=503)] * 8 + ["created"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert retried(_budget_of(3600), call) == "created"


def _short_invocation() -> Budget:
    """An invocation of 100 s of service time (one real second): calls may start during its first 50 s, then it
    hands over (the request's deadline is far)."""
    clock = session_clock(1e-2)
    context = LambdaContext("r", "provider", "arn", deadline=time.time() + 1.0, time_scale=clock.scale)
    return Budget(clock, context, started=clock.now(), service_timeout=3600)


def test_a_hand_over_leaves_what_the_wait_saw_for_the_next_invocation() -> None:
    budget = _short_invocation()

    def observe() -> tuple[Action, str, str]:
        return Action(Step.WAIT), "TRAINING", "TRAINING"

    with pytest.raises(HandOver):
        Waiter(budget, "model 1 of project p", observe, lambda action: None, interval=lambda *_: 1.0).run()

    assert budget.handed_over_wait == HandedOverWait("model 1 of project p", status="TRAINING")


def test_a_retry_that_does_not_fit_hands_over_with_its_failure() -> None:
    budget = _short_invocation()
    looks = iter(["TRAINING", "unanswered"])

    def observe() -> tuple[Action, str, str]:
        if next(looks) == "unanswered":  # the call's retries would not end before the invocation's reserve
            raise OutOfTime(ServiceUnavailable("DescribeModel", "EndpointConnectionError", "Could not connect"))
        return Action(Step.WAIT), "TRAINING", "TRAINING"

    with pytest.raises(HandOver):
        Waiter(budget, "model 1 of project p", observe, lambda action: None, interval=lambda *_: 1.0).run()

    assert budget.handed_over_wait == HandedOverWait(
        "model 1 of project p", "TRAINING", "DescribeModel got no answer", ServiceUnavailable.advice
    )


def _past_its_deadline(handed_over: HandedOverWait) -> Budget:
    """The budget of a next invocation that starts after the request's deadline (3600 s less its 30 s margin)."""
    clock = session_clock(1e-3)
    context = LambdaContext("r", "provider", "arn", deadline=time.time() + 60, time_scale=clock.scale)
    return Budget(clock, context, started=clock.now() - 3590, service_timeout=3600, handed_over_wait=handed_over)


def test_a_deadline_met_before_the_wait_sees_anything_names_what_the_invocation_before_saw() -> None:
    handed_over = HandedOverWait(
        "model 1 of project p", "TRAINING", "DescribeModel got no answer", ServiceUnavailable.advice
    )
    looks: list[int] = []

    def observe() -> tuple[Action, str, str]:
        looks.append(1)
        return Action(Step.WAIT), "TRAINING", "TRAINING"

    with pytest.raises(DeadlineExceeded) as caught:
        Waiter(_past_its_deadline(handed_over), "model 1 of project p", observe, lambda action: None).run()
    assert caught.value.message == (
        "model 1 of project p is still TRAINING: ServiceTimeout (3600 s) reached; DescribeModel got no answer"
    )
    assert caught.value.advice == ServiceUnavailable.advice
    assert caught.value.last_status == "TRAINING"
    assert looks == []

    with pytest.raises(DeadlineExceeded) as other:  # another wait's: not this one's to name
        Waiter(_past_its_deadline(handed_over), "model 2 of project p", observe, lambda action: None).run()
    assert other.value.message == "model 2 of project p: ServiceTimeout (3600 s) reached"
    assert other.value.last_status is None
