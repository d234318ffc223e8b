"""The provider's boto3 clients: botocore's own endpoint settings, one attempt, the caller's timeouts."""

from __future__ import annotations

import pytest

from lookoutvision_cdk_provider import clients
from lookoutvision_localcloud.lookoutvision import Emulator


def test_the_client_honours_the_endpoint_variable(emulator: Emulator) -> None:
    client = clients.lookoutvision(5.0, 10.0)
    assert client.meta.endpoint_url == emulator.endpoint_url
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (5.0, 10.0)


def test_a_new_endpoint_gets_a_new_client(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    first = clients.lookoutvision(5.0, 10.0)
    assert clients.lookoutvision(5.0, 10.0) is first  # built once
    monkeypatch.setenv("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://127.0.0.1:9")
    moved = clients.lookoutvision(5.0, 10.0)
    assert moved is not first and moved.meta.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    assert clients.awslambda(1.0, 2.0).meta.endpoint_url == "http://127.0.0.1:9"


def test_invocations_with_slightly_different_timeouts_share_a_client(emulator: Emulator) -> None:
    # An invocation's timeouts follow the time it has left when it starts: a few milliseconds
    # apart from one invocation to the next must not build (and keep) a client each time.
    first = clients.lookoutvision(1.79994, 4.19986)
    assert clients.lookoutvision(1.7999, 4.1991) is first
    assert (first.meta.config.connect_timeout, first.meta.config.read_timeout) == (1.7, 4.1)  # never longer
    built = {id(clients.lookoutvision(1.0 + n / 10_000, 2.0)) for n in range(1000)}  # 1 s to 1.0999 s
    assert len(built) == 1
