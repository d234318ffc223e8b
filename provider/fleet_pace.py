"""When the Delete of a model version calls, as one of a fleet sharing the service's quota: pure timing, no I/O.

CloudFormation deletes every model of a stack at once: N invocations share the service's quota of
5 requests/s per API (a token bucket of 5). The construct gives each model its place in that
fleet (``Fleet``: its rank among the stack's models, and their number), so that every Delete keeps
to its own part of the quota without talking to the others, and the fleet as a whole spends it as a
coordinated client would:

- every call it makes to see the version takes one of its own slots (``Pace.slot``): each API's
  time is cut into slots of ``1 / (utilization x rate)`` s, in rounds of the fleet's size, and the
  Delete of rank r owns slot r of each round (its ListModels slot half a round after its
  DescribeModel slot). All Deletes compute the same rounds from the same clock, so their calls never
  fall together and stay within the quota, however many each decides to make and whenever Lambda
  started it;
- its first call (the owner check) takes its slot in rounds of ``1 / rate`` s slots
  (``Pace.first_call``): those calls and the StopModel that follows each are the only calls of
  their APIs, so the fleet's StopModel calls come one per slot, as fast as the quota admits them,
  never after a storm of refusals;
- which of its slots it takes follows the phase it waits in (stopping, deleting): on a grid from the
  phase's start, every ``grid`` seconds for 8 steps, then every 2 ``grid`` for 4 steps, then every 4
  ``grid`` (2.5 s to 20 s, 5 s to 40 s, then 10 s): a phase's length is unknown, and a long one is
  looked at less often;
- its ListModels pages show the fleet: once members have left the Delete's phase, and its phase is
  as old as the shortest one a member was seen through, the wanted interval shrinks with the share
  of the fleet still in the phase (``soonest`` at the least). With phase lengths that differ per
  model, the last to leave a phase are looked at most often, and they are the ones that end the
  teardown;
- while stopping, a look takes whichever of its two slots comes first (both calls show the
  version's status; a page also shows the fleet); while deleting, every look is a ListModels page:
  only it says when the version is no longer listed.

A throttled look is taken again at its first slot ``soonest`` seconds on; a throttled StopModel,
DeleteModel or owner check after RetryAfterSeconds plus a random share of a window doubling from
``first_backoff`` to ``widest_backoff``. Every wait is the caller's (``lookoutvision_cdk_provider.paced_delete``),
within the request's deadline. The figures are ``lookoutvision_cdk_provider.timing.FleetPolls``, which
``ProviderConfig.fleet_polls`` holds.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lookoutvision_cdk_provider.timing import FleetPolls

# Statuses of the versions whose Deletes run with this one: hosted, stopping or being deleted.
_RUNNING = frozenset({"HOSTED", "STOPPING_HOSTING", "DELETING"})
# ... and those that have left the stopping phase.
_STOPPED = frozenset({"TRAINED", "DELETING", "TRAINING_FAILED", "HOSTING_FAILED"})
_STOPPING = frozenset({"HOSTED", "STOPPING_HOSTING"})


class Look(enum.StrEnum):
    """The call a look makes."""

    LIST = "ListModels"
    DESCRIBE = "DescribeModel"


class Phase(enum.StrEnum):
    """What a Delete waits for: the version to be deletable (stopping), or to be gone (deleting)."""

    STOPPING = "stopping"
    DELETING = "deleting"


@dataclass(frozen=True)
class Fleet:
    """This model's place among the models of its stack, deleted together: ``rank`` from 0, ``size`` in all."""

    rank: int = 0
    size: int = 1


class Pace:
    """One Delete's view of its fleet and phase, and when and how it looks next.

    ``version`` is this Delete's model version; ``random_unit`` yields numbers in [0, 1).
    """

    def __init__(self, polls: FleetPolls, fleet: Fleet, version: str, random_unit: Callable[[], float]) -> None:
        self.polls = polls
        self.fleet = fleet
        self.version = version
        self.random_unit = random_unit
        self.phase = Phase.STOPPING
        self.phase_start = 0.0
        self.looks = 0  # looks in this phase
        self.members: set[str] = {version}  # the fleet's versions in this project, as pages showed them
        self.statuses: dict[str, str] = {}  # the last page, version → status
        self.paged = False
        self.started: float | None = None  # the fleet's start: this Delete's first phase
        self.seen_deleting: dict[str, float] = {}  # member → when a page first showed it DELETING
        self.shortest: dict[Phase, float] = {}  # the shortest phase the pages showed a member through
        self.throttled_look = False
        self.throttled = 0  # consecutive throttled StopModel, DeleteModel or owner checks
        self.retry_after = 0.0

    # -- what was seen and done ---------------------------------------------------------------

    def begin(self, phase: Phase, now: float) -> None:
        """A phase starts now (its action was admitted, or the version was first seen in it)."""
        self.phase, self.phase_start, self.looks = phase, now, 0
        if self.started is None:
            self.started = now

    def looked(self) -> None:
        """A look is taken."""
        self.looks += 1
        self.throttled_look = False

    def look_refused(self) -> None:
        """The last look was throttled: take it again soon."""
        self.throttled_look = True

    def saw(self, statuses: Mapping[str, str], now: float) -> None:
        """A ListModels page, answered ``now``: ``{ModelVersion: Status}`` of every version it lists.

        It also dates the members' phases as this Delete's pages see them: a member past stopping
        stopped within ``now`` less the fleet's start; one that a page showed DELETING and a later
        page no longer lists was deleted within the time between.
        """
        self.paged = True
        self.statuses = dict(statuses)
        self.members |= {version for version, status in statuses.items() if status in _RUNNING}
        started = self.started if self.started is not None else now
        for version in self.members - {self.version}:
            status = statuses.get(version)
            if status is None or status in _STOPPED:
                self._shortest(Phase.STOPPING, now - started)
            if status == "DELETING":
                self.seen_deleting.setdefault(version, now)
            elif status is None and version in self.seen_deleting:
                self._shortest(Phase.DELETING, now - self.seen_deleting[version])

    def _shortest(self, phase: Phase, seconds: float) -> None:
        self.shortest[phase] = min(seconds, self.shortest.get(phase, seconds))

    def refused(self, retry_after: float | None) -> None:
        """A StopModel, DeleteModel or owner check was throttled."""
        self.throttled += 1
        self.retry_after = retry_after or 0.0

    def admitted(self) -> None:
        self.throttled = 0

    # -- the fleet ------------------------------------------------------------------------------

    def alone(self) -> bool:
        """Whether the last ListModels page shows no other version of the project stopping or being deleted."""
        others = (status for version, status in self.statuses.items() if version != self.version)
        return self.paged and not any(status in ("STOPPING_HOSTING", "DELETING") for status in others)

    def remaining(self, now: float) -> float | None:
        """The share of the fleet still in this Delete's phase; None while none has left it, or while this
        Delete's phase is younger than the shortest one its pages showed a member through."""
        shortest = self.shortest.get(self.phase)
        if shortest is None or now - self.phase_start < shortest - self.polls.grid:
            return None
        return self.remaining_share()

    def remaining_share(self) -> float | None:
        """The share of the fleet still in this Delete's phase, as the last page shows it (None: none has left it)."""
        if not self.paged or len(self.members) < 2:
            return None
        if self.phase is Phase.STOPPING:
            left = sum(1 for v in self.members if v not in self.statuses or self.statuses[v] in _STOPPED)
            still = sum(1 for v in self.members if self.statuses.get(v) in _STOPPING)
        else:
            left = sum(1 for v in self.members if v not in self.statuses)
            still = len(self.members) - left
        if left == 0:
            return None
        return still / len(self.members)

    # -- the next look -------------------------------------------------------------------------

    def slot(self, look: Look, at: float) -> float:
        """The first of this Delete's slots for ``look`` at or after ``at`` (epoch seconds).

        Each API's time is cut into slots of ``1 / (utilization x rate)`` s, in rounds of the
        fleet's size; this Delete takes the slot of its rank in every round (its ListModels slot
        half a round after its DescribeModel slot). Every Delete computes the same rounds from the
        same clock and its own rank, so the fleet's looks never fall together, and its looks on an
        API stay within the quota whatever each Delete decides. A fleet of one looks when it wants,
        and so does a Delete whose last page shows no other version stopping or being deleted: the
        last of its fleet, or one deleted alone (a replaced model's old version).
        """
        size = self.fleet.size
        if size <= 1 or self.alone():
            return at  # a fleet of one owns every slot
        width = self.polls.slot
        period = size * width
        offset = (self.fleet.rank % size) * width + (period / 2 if look is Look.LIST else 0.0)
        return offset + math.ceil((at - offset) / period - 1e-9) * period

    def first_call(self, now: float) -> float:
        """Seconds from ``now`` to this Delete's first call: its slot in rounds of ``1 / rate`` s slots.

        The first calls (ListTagsForResource, then StopModel or DeleteModel) are the only ones of
        their APIs: they take the whole quota, one a slot.
        """
        size = self.fleet.size
        if size <= 1:
            return 0.0
        width = self.polls.first_call_slot
        offset = (self.fleet.rank % size) * width
        first = offset + math.ceil((now - offset) / (size * width) - 1e-9) * size * width
        return max(0.0, first - now)

    def next_look(self, now: float) -> tuple[float, Look]:
        """Seconds from ``now`` to the next look, and the call it makes."""
        p = self.polls
        if self.throttled:  # an owner check or action refused: back off before looking again
            return p.backoff(self.throttled, self.retry_after, self.random_unit()), Look.DESCRIBE
        at = now + p.soonest if self.throttled_look else self._wanted(now)
        by_list = self.slot(Look.LIST, at)
        if self.phase is Phase.DELETING:
            return max(0.0, by_list - now), Look.LIST
        # Stopping: whichever of its two slots comes first (either call shows the version's status).
        by_describe = self.slot(Look.DESCRIBE, at)
        if by_describe < by_list:
            return max(0.0, by_describe - now), Look.DESCRIBE
        return max(0.0, by_list - now), Look.LIST

    def _wanted(self, now: float) -> float:
        """When the next look is wanted: on the phase's grid, sooner as the fleet leaves the phase."""
        p = self.polls
        elapsed = max(0.0, now - self.phase_start)
        step = p.grid_step(elapsed)
        remaining = self.remaining(now)
        at = self.phase_start + (math.floor(elapsed / step + 1e-9) + 1) * step
        if remaining is not None:
            at = min(at, now + max(p.soonest, step * remaining))
        return at
