"""The provider's timing settings, with production defaults, and the rules computed from them.

``lookoutvision_cdk_provider.config.ProviderConfig`` holds them (``poll_schedule`` and ``timings``); they are pure
values: no clock, no randomness of their own. Every figure is in seconds of the provider's clock
(``lookoutvision_cdk_provider.clock``) unless its name says real seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AdaptivePolls:
    """When a wait polls: each phase (status) ``first`` after it began, then at intervals growing by ``growth``.

    An answer thus trails the service by at most about ``growth - 1`` of the phase's length (at
    least ``first``, at most ``cap``). The Delete of a model version paces itself for its fleet
    instead (``FleetPolls``).
    """

    first: float = 0.5
    growth: float = 1.2
    cap: float = 20.0

    def interval(self, polls: int, time_left: float) -> float:
        """Seconds before poll ``polls`` (0-based) of a phase: short at first, growing, capped, within ``time_left``."""
        interval = min(self.cap, self.first * self.growth ** max(0, polls))
        return max(0.0, min(interval, time_left))


@dataclass(frozen=True)
class FleetPolls:
    """When the Delete of a model version looks, as one of a fleet sharing the quota (``fleet_pace``).

    Each API's quota is ``rate`` requests/s; ``utilization`` of it is cut into slots, one per
    Delete a round, and the rest is left for the calls no slot holds. A phase is looked at on a grid
    from its start (``grid_step``), never more often than ``soonest``; a throttled StopModel,
    DeleteModel or owner check waits RetryAfterSeconds plus a random share of a window doubling
    from ``first_backoff`` up to ``widest_backoff`` (``backoff``).
    """

    grid: float = 2.5  # seconds between looks early in a phase; doubled after 8 steps, and after 4 more
    soonest: float = 0.5  # the shortest interval between two looks
    rate: float = 5.0  # the service's quota, requests per second per API
    utilization: float = 0.9  # the share of each API's quota in slots; the rest for calls no slot holds
    first_backoff: float = 2.0  # a throttled StopModel or DeleteModel: a random share of this window ...
    widest_backoff: float = 16.0  # ... doubling with each throttle up to this, after RetryAfterSeconds

    @property
    def slot(self) -> float:
        """Seconds per slot of a look: each API's quota at ``utilization``, one call a slot."""
        return 1.0 / (self.utilization * self.rate)

    @property
    def first_call_slot(self) -> float:
        """Seconds per slot of a first call: the whole quota, one call a slot."""
        return 1.0 / self.rate

    def grid_step(self, elapsed: float) -> float:
        """The step ``elapsed`` seconds into a phase: ``grid``, then twice it after 8 steps, four times after 16."""
        if elapsed < 8 * self.grid:
            return self.grid
        if elapsed < 16 * self.grid:
            return 2 * self.grid
        return 4 * self.grid

    def backoff(self, throttled: int, retry_after: float, unit_random: float) -> float:
        """The wait after ``throttled`` (>= 1) throttled answers in a row; ``unit_random`` in [0, 1)."""
        window = min(self.widest_backoff, self.first_backoff * 2 ** (throttled - 1))
        return retry_after + window * unit_random


@dataclass(frozen=True)
class CallRetries:
    """How a call that failed transiently (throttling, a 5xx, no answer) is tried again.

    ``attempts`` per Lookout for Vision call (``lookoutvision_cdk_provider.lookout``); between them, and between the
    failed steps of a wait (``lookoutvision_cdk_provider.waiter``), a delay with full jitter on an exponential from
    ``backoff_base`` capped at ``backoff_cap``, after the service's RetryAfterSeconds.
    ``throttled_poll_skip``: a poll step that met a ThrottlingException moves its poll schedule on
    this many intervals (about twice as long at ``AdaptivePolls.growth``), so that many resources
    polling under the service's quota (5 requests/s per API) spread out instead of storming.
    """

    attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    throttled_poll_skip: int = 4

    def delay(self, attempt: int, unit_random: float, retry_after: float | None = None) -> float:
        """Delay before retry ``attempt`` (0-based); ``unit_random`` is a number in [0, 1) supplied by the caller."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt))
        return max(0.0, retry_after or 0.0) + unit_random * ceiling


@dataclass(frozen=True)
class InvocationTimings:
    """How one invocation shares its time between the request and its end (``lookoutvision_cdk_provider.budget``).

    One call (connect and read) takes ``call_share`` of the invocation at most, from ``call_min``
    to ``call_max``; ``connect_share`` of that is for connecting, and neither socket timeout is
    shorter than ``min_socket_timeout_real`` real seconds (a round trip does not speed up with a
    scaled clock). The reserve kept at the end to hand over or to answer is one call at its worst
    (its socket timeouts, in the clock's seconds) plus ``answer_margin``, or ``reserve_calls``
    times the slowest call timed, never so much that calls may not start during the first half of
    the invocation. The request gives up ``deadline_share`` of its ServiceTimeout (at most
    ``deadline_margin_max``) before CloudFormation would. The timer warns
    ``timer_margin_real`` real seconds before the invocation's end (crhelper's own margin).
    ``max_clock_skew``: how far the provider's clock may lag behind CloudFormation's, whose
    ResponseURL dates the request's start (SigV4's own tolerance: five minutes).
    """

    call_share: float = 0.1
    call_min: float = 1.0
    call_max: float = 10.0
    connect_share: float = 0.3
    min_socket_timeout_real: float = 1.0
    answer_margin: float = 0.5
    reserve_calls: int = 4
    deadline_share: float = 0.1
    deadline_margin_max: float = 30.0
    timer_margin_real: float = 0.5
    max_clock_skew: float = 300.0

    def call_timeout(self, invocation_length: float) -> float:
        """The longest one call may take (connect + read): a share of the invocation, within bounds."""
        return min(self.call_max, max(self.call_min, invocation_length * self.call_share))

    def hand_over_reserve(self, invocation_length: float, worst_call: float, slowest_call: float) -> float:
        """Seconds kept at the end of an invocation to hand over or to answer, whichever it ends with.

        Either is one call (lambda:Invoke, or the PUT of the response) at its worst, ``worst_call``,
        plus ``answer_margin``; or ``reserve_calls`` times the slowest call this invocation has
        timed, if more (network time only: back-off sleeps do not count). Never so much that a call
        (``call_timeout``) could not start before the invocation's half, so that every invocation
        spends at least half its length on the request — unless the invocation is too short for one
        call and the reserve.
        """
        call = self.call_timeout(invocation_length)
        most = max(invocation_length / 2 - call, call)
        return min(most, max(worst_call + self.answer_margin, self.reserve_calls * slowest_call))

    def deadline_margin(self, service_timeout: float) -> float:
        """How long before ServiceTimeout the provider gives up, to answer FAILED before CloudFormation does."""
        return min(self.deadline_margin_max, service_timeout * self.deadline_share)


@dataclass(frozen=True)
class HandOverTimings:
    """lambda:Invoke of the next invocation: ``attempts`` while Lambda did not take the event, pausing
    ``pause`` times the attempt's number between them (``lookoutvision_cdk_provider.continuation``)."""

    attempts: int = 3
    pause: float = 0.2


@dataclass(frozen=True)
class ResponseTimings:
    """The PUT of the response: ``attempts`` while S3 did not take it (no connection, a 5xx), ``pause_real``
    real seconds apart (``lookoutvision_cdk_provider.cfn_response``)."""

    attempts: int = 3
    pause_real: float = 1.0


@dataclass(frozen=True)
class UnansweredCreateTimings:
    """The Delete of a Create whose answer never named its versions (``lookoutvision_cdk_provider.model_resource``).

    It keeps looking for that Create's versions for ``landing`` after it began, every
    ``look_interval``: a CreateModel sent before the Delete began (each attempt lasts
    ``InvocationTimings.call_max`` at most) has landed by then. When CloudFormation made the id up,
    that Create began at most its ServiceTimeout plus ``margin`` before the Delete: CloudFormation
    sends the Delete once the Create's ServiceTimeout has passed and its rollback reaches the
    resource, after the operations still in progress (one ServiceTimeout each at most, 3600 s).
    """

    landing: float = 30.0
    look_interval: float = 5.0
    margin: float = 3600.0


@dataclass(frozen=True)
class ServiceGoneTimings:
    """Orphaning on the service's end-of-support answer (``lookoutvision_cdk_provider.unavailable``): it must last
    ``confirmation`` across attempts, ``recheck`` apart, before a resource is left behind."""

    confirmation: float = 180.0
    recheck: float = 30.0


@dataclass(frozen=True)
class Timings:
    """Every timing setting of the provider but its poll schedules (``poll_schedule``, ``fleet_polls``)."""

    calls: CallRetries = field(default_factory=CallRetries)
    invocation: InvocationTimings = field(default_factory=InvocationTimings)
    hand_over: HandOverTimings = field(default_factory=HandOverTimings)
    response: ResponseTimings = field(default_factory=ResponseTimings)
    unanswered_create: UnansweredCreateTimings = field(default_factory=UnansweredCreateTimings)
    service_gone: ServiceGoneTimings = field(default_factory=ServiceGoneTimings)
