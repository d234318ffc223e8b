"""The provider's handlers the benchmarks run, each built where the local Lambda starts it.

Each function is an edge for ``localcloud.awslambda.bootstrap`` (``--edge bench.replays:NAME``):
it builds the provider's handler on the local cloud's clock with the production configuration; the
edge's options (``extra_response_hosts``) go to ``ProviderConfig`` as they are.
"""

from __future__ import annotations

from typing import Any

from provider.clock import Clock
from provider.config import ProviderConfig
from provider.handler import make_handler


def provider(clock: Clock, **options: Any) -> Any:
    """This provider as deployed: the production configuration."""
    return make_handler(_config(clock, options))


def _config(clock: Clock, options: dict[str, Any], **settings: Any) -> ProviderConfig:
    hosts = tuple(options.pop("extra_response_hosts", ()))
    return ProviderConfig(clock=clock, extra_response_hosts=hosts, **options, **settings)
