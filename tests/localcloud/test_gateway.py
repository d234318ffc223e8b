"""The local cloud's one endpoint: routing by the SigV4 credential scope, and HTTP and HTTPS on one port."""

from __future__ import annotations

import ssl
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from crhelper.utils import _send_response

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.gateway import credential_scope_service
from tests.fixtures.local_cloud import local_client


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=0.01) as running:
        yield running


@pytest.mark.parametrize(
    ("environ", "service"),
    [
        (
            {
                "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lookoutvision/"
                "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
            },
            "lookoutvision",
        ),
        ({"QUERY_STRING": "X-Amz-Credential=KEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x"}, "s3"),
        ({"HTTP_AUTHORIZATION": "AWS KEY:signature"}, None),
        ({}, None),
    ],
)
def test_the_service_is_read_from_the_credential_scope(environ: dict[str, str], service: str | None) -> None:
    assert credential_scope_service(environ) == service


def client(cloud: LocalCloud, service: str) -> Any:
    return local_client(cloud.endpoint_url, service)


def test_one_endpoint_serves_the_emulator_moto_and_the_lambda_api(cloud: LocalCloud) -> None:
    lookout = client(cloud, "lookoutvision")
    lookout.create_project(ProjectName="routed")
    assert [call.operation for call in cloud.emulator.calls][-1] == "CreateProject"
    assert client(cloud, "sts").get_caller_identity()["Account"] == "123456789012"
    client(cloud, "s3").create_bucket(Bucket="routed")
    assert "routed" in [b["Name"] for b in client(cloud, "s3").list_buckets()["Buckets"]]
    with pytest.raises(Exception, match="Function not found: nobody"):
        client(cloud, "lambda").invoke(FunctionName="nobody", Payload=b"{}")
    lookout.delete_project(ProjectName="routed")


def test_the_response_endpoint_speaks_tls_on_the_same_port(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    url = cloud.responses.response_url("over-tls", signed_at=time.time())
    assert url.startswith(cloud.endpoint_url.replace("http://", "https://") + "/cloudformation-responses/")
    request = urllib.request.Request(url, data=b"{}", method="PUT")
    with pytest.raises(urllib.error.URLError) as caught:  # a client that does not trust the local CA is refused
        urllib.request.urlopen(request, context=ssl.create_default_context(), timeout=5)
    assert isinstance(caught.value.reason, ssl.SSLCertVerificationError)
    monkeypatch.setenv("SSL_CERT_FILE", cloud.responses.ca_file)
    _send_response(url, {"Status": "SUCCESS", "PhysicalResourceId": "p"})  # crhelper's own PUT, over HTTPS
    assert cloud.responses.responses("over-tls") == [{"Status": "SUCCESS", "PhysicalResourceId": "p"}]
