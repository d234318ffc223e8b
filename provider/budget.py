"""The time a request may spend: in this invocation, and until its deadline.

Every figure is in the provider's clock. An invocation keeps a reserve at its end to hand over or
to answer, and starts a call only if the call, at its worst, ends before it; it hands over only
after progress, and when the deadline falls before its reserve it answers itself instead
(DeadlineExceeded). So no invocation is stopped by Lambda in the middle of its own work, and each
spends at least half its length on the request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from lookoutvision_cdk_provider.clock import Clock
from lookoutvision_cdk_provider.errors import DeadlineExceeded, OutOfTime, ProviderError
from lookoutvision_cdk_provider.progress import HandedOverWait
from lookoutvision_cdk_provider.timing import InvocationTimings, Timings


class LambdaContext(Protocol):
    """The part of Lambda's context object the provider uses."""

    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


class HandOver(Exception):
    """The request goes on in a new invocation; this one must not answer CloudFormation."""


class Budget:
    """One invocation's share of a request's time (the clock's seconds), and the timing settings it is spent by."""

    def __init__(
        self,
        clock: Clock,
        context: LambdaContext,
        started: float,
        service_timeout: float,
        timings: Timings | None = None,
        *,
        handed_over_wait: HandedOverWait | None = None,
    ) -> None:
        self.clock = clock
        # The wait the previous invocation handed over in; at this one's hand-over, the wait it hands over in.
        self.handed_over_wait = handed_over_wait
        self.timings = timings if timings is not None else Timings()
        invocation = self.timings.invocation
        self.service_timeout = service_timeout
        self.started = started
        self.invocation_length = max(0.0, context.get_remaining_time_in_millis() / 1000)
        self.call_timeout = invocation.call_timeout(self.invocation_length)
        # The hand-over's Invoke (or the response's PUT) at its worst, as its sockets time out: each
        # socket timeout has a floor in real seconds, which a scaled clock does not shorten.
        self._worst_call = max(self.call_timeout, sum(self.socket_timeouts()) / clock.real_seconds(1.0))
        self.deadline = started + service_timeout - invocation.deadline_margin(service_timeout)
        # The last moment a call may start: before the deadline, and early enough that it and the
        # answer, both at their worst, end before CloudFormation stops waiting.
        self._calls_until = min(
            self.deadline, started + service_timeout - 2 * self.call_timeout - invocation.answer_margin
        )
        self.progressed = False
        self._end = clock.now() + self.invocation_length
        self._slowest_call = 0.0

    # -- figures -------------------------------------------------------------------------------

    def reserve(self) -> float:
        return self.timings.invocation.hand_over_reserve(self.invocation_length, self._worst_call, self._slowest_call)

    def deadline_left(self) -> float:
        return self.deadline - self.clock.now()

    def call_window(self) -> float:
        """Seconds during which a call may still start: in time for the deadline, ending before the reserve."""
        last_start = self._end - self.reserve() - self.call_timeout
        return min(last_start, self._calls_until) - self.clock.now()

    def ends_here(self) -> bool:
        """Whether the deadline falls before this invocation's reserve: no hand-over, the answer comes from here."""
        return self.deadline <= self._end - self.reserve()

    def socket_timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts of one call in real seconds: together, ``call_timeout`` at most."""
        return socket_timeouts(self.call_timeout, self.clock, self.timings.invocation)

    # -- accounting ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def timed_call(self) -> Iterator[None]:
        """One call over the network: its time counts towards the reserve, its answer as progress."""
        began = self.clock.now()
        try:
            yield
        finally:
            self._slowest_call = max(self._slowest_call, self.clock.now() - began)
            self.progressed = True

    def check(self) -> None:
        """Before a step: DeadlineExceeded past the deadline, HandOver when no call fits in this invocation."""
        if self.deadline_left() <= 0:
            raise DeadlineExceeded(f"ServiceTimeout ({self.service_timeout:g} s) reached")
        if self.call_window() > 0:
            return
        if self.ends_here():  # the deadline is less than a call away
            raise DeadlineExceeded(f"ServiceTimeout ({self.service_timeout:g} s) reached")
        self.hand_over()

    def hand_over(self) -> None:
        """Raise HandOver, or fail if this invocation could not do anything at all."""
        if not self.progressed:
            raise ProviderError(
                f"the function's invocation ({self.invocation_length:g} s) is too short to call Lookout for Vision "
                "and still hand over or answer; give the function a timeout of at least 10 seconds"
            )
        raise HandOver

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """One observe-and-act step; a retry that ran out of time becomes a hand-over (or the deadline)."""
        self.check()
        try:
            yield
        except OutOfTime as exc:
            if self.deadline_left() <= 0 or self.ends_here():
                raise DeadlineExceeded(
                    f"ServiceTimeout ({self.service_timeout:g} s) reached; {exc.cause.brief}"
                ) from exc
            self.hand_over()

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` before the next step; to the deadline at most; hand over when they do not fit."""
        self.check()
        now = self.clock.now()
        if self.ends_here():
            self._sleep(min(seconds, self._calls_until - now))
            return
        window = self.call_window()
        if seconds <= window:
            self._sleep(seconds)
            return
        self._sleep(window)
        self.hand_over()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.clock.sleep(seconds)
            self.progressed = True


def socket_timeouts(call_timeout: float, clock: Clock, timings: InvocationTimings) -> tuple[float, float]:
    """(connect, read) real seconds of a call that may take ``call_timeout`` of ``clock``'s seconds at most."""
    connect = call_timeout * timings.connect_share
    floor = timings.min_socket_timeout_real
    return max(floor, clock.real_seconds(connect)), max(floor, clock.real_seconds(call_timeout - connect))
