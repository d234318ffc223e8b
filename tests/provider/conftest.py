"""Provider test fixtures: the local CloudFormation response endpoint and the in-process request player.

The helpers they build on (events, the response invariants, ``Requests``, the emulator's arranged
state) are in ``tests/fixtures/provider.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.provider import Requests


@pytest.fixture(scope="session")
def response_endpoint() -> Iterator[ResponseEndpoint]:
    with ResponseEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def requests(response_endpoint: ResponseEndpoint, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Requests:
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    return Requests(response_endpoint, emulator)
