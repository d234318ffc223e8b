"""The schedules the benchmarks run through the provider's code, injected where the local Lambda starts it.

Each function is an edge for ``localcloud.awslambda.bootstrap`` (``--edge bench.replays:NAME``):
it builds the provider's handler on the local cloud's clock with a poll schedule of its own; the
edge's options (``extra_response_hosts``) go to ``ProviderConfig`` as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provider.clock import Clock
from provider.config import ProviderConfig
from provider.handler import make_handler


@dataclass(frozen=True)
class FixedPolls:
    """A poll every ``seconds``, whatever the phase (``provider.config.PollSchedule``)."""

    seconds: float

    def interval(self, polls: int, time_left: float) -> float:
        return max(0.0, min(self.seconds, time_left))


def provider(clock: Clock, **options: Any) -> Any:
    """This provider as deployed: the production schedule."""
    return make_handler(_config(clock, options))


def cdk_provider_5s(clock: Clock, **options: Any) -> Any:
    """CDK's custom_resources.Provider polls isComplete every queryInterval, 5 s by default."""
    return make_handler(_config(clock, options, poll_schedule=FixedPolls(5.0)))


def crhelper_defaults(clock: Clock, **options: Any) -> Any:
    """crhelper's poll_*: a CloudWatch Events rule re-invokes the function at whole minutes (1 minute at best)."""
    return make_handler(_config(clock, options, poll_schedule=FixedPolls(60.0)))


def _config(clock: Clock, options: dict[str, Any], **settings: Any) -> ProviderConfig:
    hosts = tuple(options.pop("extra_response_hosts", ()))
    return ProviderConfig(clock=clock, extra_response_hosts=hosts, **options, **settings)
