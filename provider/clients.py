"""The boto3 clients the provider calls: Lookout for Vision, and Lambda for the hand-over.

Each makes one attempt per call (the provider decides what is retried: ``lookoutvision_cdk_provider.lookout`` and
``lookoutvision_cdk_provider.continuation``), with connect and read timeouts (real seconds) that the caller sizes
so that an attempt ends before the invocation's reserve (``lookoutvision_cdk_provider.budget``). The region and the
endpoint are botocore's own settings (``AWS_REGION``, ``AWS_ENDPOINT_URL_<SERVICE>``, which it
reads itself); a client is built once per process, and anew when they or the timeouts change.
The timeouts are taken to a tenth of a second, down: a function whose invocations each start
with a slightly different remaining time reuses its client instead of building one per
invocation, and a warm execution environment keeps a few clients at most.
"""

from __future__ import annotations

import functools
import math
import os
from typing import Any

import boto3
import botocore.config

_USER_AGENT = "lookoutvision-cdk-provider"
_TENTHS = 10  # timeouts in tenths of a real second
_KEPT_CLIENTS = 8


def lookoutvision(connect_timeout: float, read_timeout: float) -> Any:
    return _client("lookoutvision", connect_timeout, read_timeout)


def awslambda(connect_timeout: float, read_timeout: float) -> Any:
    return _client("lambda", connect_timeout, read_timeout)


def _client(service: str, connect_timeout: float, read_timeout: float) -> Any:
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
    region = os.environ.get("AWS_REGION")
    return _cached(service, region, endpoint, _step_down(connect_timeout), _step_down(read_timeout))


def _step_down(seconds: float) -> float:
    """``seconds`` to the tenth below (one tenth at least): a timeout no longer than the caller's."""
    return max(1, math.floor(seconds * _TENTHS + 1e-9)) / _TENTHS


@functools.lru_cache(maxsize=_KEPT_CLIENTS)
def _cached(service: str, region: str | None, endpoint: str | None, connect_timeout: float, read_timeout: float) -> Any:
    # The endpoint is part of the cache key only: botocore reads it from the environment itself.
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra=_USER_AGENT,
    )
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]
