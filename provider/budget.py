"""The time a request may spend: in this invocation, and until its deadline.

Every figure is in the provider's clock (``provider.clock``). An invocation lasts what Lambda's
context says remains when it starts (the function's timeout). At its end it keeps a reserve to
hand the request over to a new invocation or to answer CloudFormation (one call at its worst,
``provider.lifecycle.hand_over_reserve``), and it starts a call only while that call, at its
worst, ends before the reserve. So an invocation is never stopped by Lambda in the middle of its
own work, and spends at least half its length on the request.

The request's deadline is its start (when CloudFormation signed the ResponseURL) plus
ServiceTimeout, less a margin. When the deadline falls before this invocation's reserve, the
request ends here: waits stop at the deadline and the request answers FAILED. Otherwise the
invocation hands over when no call fits any more — the next invocation starts at once, well
before the deadline. An invocation hands over only after it made progress (a call answered or a
wait served).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol

from provider.clock import Clock
from provider.errors import DeadlineExceeded, OutOfTime, ProviderError
from provider.lifecycle import ANSWER_MARGIN, call_timeout, deadline_margin, hand_over_reserve

# Real seconds: no socket timeout is shorter, whatever the clock (a TCP round trip does not
# speed up with it). Below every timeout the provider derives on AWS, where the clock is real.
MIN_SOCKET_TIMEOUT = 1.0
# The share of a call's worst case given to connecting; the rest is for reading the answer.
CONNECT_SHARE = 0.3


class LambdaContext(Protocol):
    """The part of Lambda's context object the provider uses."""

    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


class HandOver(Exception):
    """The request goes on in a new invocation; this one must not answer CloudFormation."""


class Budget:
    """One invocation's share of a request's time (the clock's seconds)."""

    def __init__(self, clock: Clock, context: LambdaContext, started: float, service_timeout: float) -> None:
        self.clock = clock
        self.service_timeout = service_timeout
        self.started = started
        self.invocation_length = max(0.0, context.get_remaining_time_in_millis() / 1000)
        self.call_timeout = call_timeout(self.invocation_length)
        self.deadline = started + service_timeout - deadline_margin(service_timeout)
        # The last moment a call may start: before the deadline, and early enough that it and the
        # answer, both at their worst, end before CloudFormation stops waiting.
        self._calls_until = min(self.deadline, started + service_timeout - 2 * self.call_timeout - ANSWER_MARGIN)
        self.progressed = False
        self._end = clock.now() + self.invocation_length
        self._slowest_call = 0.0

    # -- figures -------------------------------------------------------------------------------

    def reserve(self) -> float:
        return hand_over_reserve(self.invocation_length, self._slowest_call)

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
        connect = self.call_timeout * CONNECT_SHARE
        read = self.call_timeout - connect
        return (
            max(MIN_SOCKET_TIMEOUT, self.clock.real_seconds(connect)),
            max(MIN_SOCKET_TIMEOUT, self.clock.real_seconds(read)),
        )

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
