from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Iterator

import pytest
from crhelper.utils import _send_response

from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint, ResponseTimeout


@pytest.fixture
def endpoint() -> Iterator[ResponseEndpoint]:
    with ResponseEndpoint() as served:
        yield served


def test_crhelper_response_reaches_the_endpoint_over_tls(
    endpoint: ResponseEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", endpoint.ca_file)
    url = endpoint.response_url("request-1", signed_at=time.time())
    assert url.startswith("https://127.0.0.1:")
    _send_response(url, {"Status": "SUCCESS", "PhysicalResourceId": "p"})
    _send_response(url, {"Status": "FAILED"})
    assert endpoint.wait("request-1", timeout=5) == {"Status": "SUCCESS", "PhysicalResourceId": "p"}
    assert [r["Status"] for r in endpoint.responses("request-1")] == ["SUCCESS", "FAILED"]
    assert endpoint.responses("another") == []


def test_a_client_that_does_not_trust_the_local_ca_is_refused(endpoint: ResponseEndpoint) -> None:
    request = urllib.request.Request(endpoint.response_url("r", signed_at=time.time()), data=b"{}", method="PUT")
    with pytest.raises(urllib.error.URLError) as caught:
        urllib.request.urlopen(request, context=ssl.create_default_context(), timeout=5)
    assert isinstance(caught.value.reason, ssl.SSLCertVerificationError)
    assert endpoint.responses("r") == []


def test_wait_gives_up_after_its_timeout(endpoint: ResponseEndpoint) -> None:
    with pytest.raises(ResponseTimeout):
        endpoint.wait("never", timeout=0.2)
