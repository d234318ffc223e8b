"""The boto3 clients the provider calls: Lookout for Vision, and Lambda for the hand-over.

Each makes one attempt per call (the provider decides what is retried: ``provider.lookout`` and
``provider.continuation``), with connect and read timeouts (real seconds) that the caller sizes
so that an attempt ends before the invocation's reserve (``provider.budget``). The region and the
endpoint are botocore's own settings (``AWS_REGION``, ``AWS_ENDPOINT_URL_<SERVICE>``, which it
reads itself); a client is built once per process, and anew when they change.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import boto3
import botocore.config

_USER_AGENT = "lookoutvision-cdk-provider"


def lookoutvision(connect_timeout: float, read_timeout: float) -> Any:
    return _client("lookoutvision", connect_timeout, read_timeout)


def awslambda(connect_timeout: float, read_timeout: float) -> Any:
    return _client("lambda", connect_timeout, read_timeout)


def _client(service: str, connect_timeout: float, read_timeout: float) -> Any:
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
    return _cached(service, os.environ.get("AWS_REGION"), endpoint, connect_timeout, read_timeout)


@functools.cache
def _cached(service: str, region: str | None, endpoint: str | None, connect_timeout: float, read_timeout: float) -> Any:
    # The endpoint is part of the cache key only: botocore reads it from the environment itself.
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        user_agent_extra=_USER_AGENT,
    )
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]
