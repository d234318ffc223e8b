"""What the handler runs with, in one value built where the handler is started.

``lookoutvision_cdk_provider.handler.handler`` — the function's entry point on AWS — runs with
``ProviderConfig()``, the production defaults. Nothing in the provider reads its configuration
from the environment; a harness that needs another clock or schedule builds its own handler with
``lookoutvision_cdk_provider.handler.make_handler(ProviderConfig(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lookoutvision_cdk_provider.clock import Clock, SystemClock
from lookoutvision_cdk_provider.timing import AdaptivePolls, FleetPolls, Timings


class PollSchedule(Protocol):
    def interval(self, polls: int, time_left: float) -> float:
        """Seconds before poll number ``polls`` (0-based, counted from the phase's start), within ``time_left``."""
        ...


@dataclass(frozen=True)
class ProviderConfig:
    """What the handler runs with.

    ``clock``: the time the provider reads and waits in. ``poll_schedule``: when its waits poll.
    ``list_models_page_size``: ListModels' MaxResults (None: the service's default page).
    ``extra_response_hosts``: ``host:port`` of ResponseURLs accepted besides CloudFormation's
    response bucket (``lookoutvision_cdk_provider.cfn_response.response_url_problem``): the local cloud's endpoint.
    ``fleet_polls``: how the Delete of a model version paces its calls for the fleet of Deletes
    it shares the service's quota with (``lookoutvision_cdk_provider.fleet_pace``); every other wait follows
    ``poll_schedule``. ``timings``: every other timing setting (``lookoutvision_cdk_provider.timing``).
    """

    clock: Clock = field(default_factory=SystemClock)
    poll_schedule: PollSchedule = field(default_factory=AdaptivePolls)
    list_models_page_size: int | None = None
    extra_response_hosts: tuple[str, ...] = ()
    fleet_polls: FleetPolls = field(default_factory=FleetPolls)
    timings: Timings = field(default_factory=Timings)
