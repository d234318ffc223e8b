"""How the local Lambda starts the provider: its production handler, built on the local cloud's clock.

The local Lambda's runtime calls ``build_handler(clock, **options)`` in the execution environment, where
the function's own code (``provider``, from its asset) is importable, instead of importing
``lookoutvision_cdk_provider.handler.handler``: the provider then runs with ``ProviderConfig(clock=clock,
**options)`` — e.g. ``extra_response_hosts``, the local response endpoint (JSON lists become
tuples) — and every other setting at its production default. The options come as JSON from
``LambdaService(edge_options=...)``; a name that is no ``ProviderConfig`` field is an error.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lookoutvision_localcloud.scaled_clock import ScaledClock

PROVIDER_HANDLER = "lookoutvision_cdk_provider.handler.handler"
EDGE = "lookoutvision_localcloud.awslambda.provider_edge:build_handler"


def build_handler(clock: ScaledClock, **options: Any) -> Any:
    from lookoutvision_cdk_provider.config import ProviderConfig  # noqa: PLC0415 - the function's code, in its environment
    from lookoutvision_cdk_provider.handler import make_handler  # noqa: PLC0415

    known = {field.name for field in dataclasses.fields(ProviderConfig)} - {"clock"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"provider edge: unknown option(s) {unknown}; ProviderConfig takes {sorted(known)}")
    settings: dict[str, Any] = {key: tuple(v) if isinstance(v, list) else v for key, v in options.items()}
    return make_handler(ProviderConfig(clock=clock, **settings))
