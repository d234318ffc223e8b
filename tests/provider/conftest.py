"""Provider test fixtures: a local CloudFormation response endpoint and a request simulator.

``Requests`` plays CloudFormation for the in-process handler: it builds a custom-resource event
with a ResponseURL on the local HTTPS endpoint (signed in the tests' clock), calls a handler that
``provider.handler.make_handler`` built on that clock with a Lambda context in service time,
waits for the response and checks the invariants every response must
keep (echoed ids, a physical id, a Reason on FAILED, the physical id unchanged on Delete).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.awslambda import LambdaContext
from localcloud.cloudformation.response_endpoint import ResponseEndpoint
from localcloud.lookoutvision import Emulator
from localcloud.scaled_clock import ScaledClock
from provider import consts
from provider.config import ProviderConfig
from provider.handler import make_handler
from provider.identifiers import OWNER_TAG_KEY, owner_tag_value
from tests.fixtures.clock import session_clock

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/provider-tests/5b7b0a10-0000-4000-8000-000000000000"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:provider"
PROJECT = "proj"
# The in-process provider's clock runs this many times slower than the emulator's.
PROVIDER_SLOWER = 4
MANIFEST = {"GroundTruthManifest": {"S3Object": {"Bucket": "manifests", "Key": "train.manifest"}}}
OUTPUT = {"S3Location": {"Bucket": "output-bucket", "Prefix": "models/"}}


@pytest.fixture(scope="session")
def response_endpoint() -> Iterator[ResponseEndpoint]:
    with ResponseEndpoint() as endpoint:
        yield endpoint


def model_properties(**extra: Any) -> dict[str, Any]:
    return {"ServiceToken": FUNCTION_ARN, "ProjectName": PROJECT, "OutputConfig": OUTPUT, **extra}


def dataset_properties(**extra: Any) -> dict[str, Any]:
    return {
        "ServiceToken": FUNCTION_ARN,
        "ProjectName": PROJECT,
        "DatasetType": "train",
        "DatasetSource": MANIFEST,
        **extra,
    }


def make_event(
    endpoint: ResponseEndpoint,
    request_type: str,
    *,
    clock: ScaledClock,
    resource_type: str = consts.MODEL_RESOURCE_TYPE,
    logical_id: str = "Model",
    properties: dict[str, Any] | None = None,
    old_properties: dict[str, Any] | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": endpoint.response_url(request_id, signed_at=clock.now()),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": properties if properties is not None else model_properties(),
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    return event


def check_response(event: dict[str, Any], response: dict[str, Any]) -> None:
    """The invariants of every custom-resource response."""
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        assert response[key] == event[key], key
    assert response["Status"] in ("SUCCESS", "FAILED")
    assert response["PhysicalResourceId"]
    if response["Status"] == "FAILED":
        assert response["Reason"]
        assert len(response["Reason"]) <= 256
    if event["RequestType"] == "Delete":
        assert response["PhysicalResourceId"] == event["PhysicalResourceId"]


class Requests:
    """CloudFormation's side of the protocol for the handler called in process."""

    def __init__(self, endpoint: ResponseEndpoint, emulator: Emulator) -> None:
        self.endpoint = endpoint
        self.emulator = emulator
        # Slower than the emulator's: a ServiceTimeout of 3600 s lasts 14 real seconds, which a
        # loaded machine does not outlast between signing an event and handling it.
        self.use_clock(session_clock(emulator.settings.time_scale * PROVIDER_SLOWER))

    def use_clock(self, clock: ScaledClock) -> None:
        """Sign the events and run the handler on ``clock``."""
        self.clock = clock
        self.handler = make_handler(self.config())

    def config(self, **settings: Any) -> ProviderConfig:
        """The provider's configuration in these tests: the tests' clock, the local response endpoint."""
        return ProviderConfig(clock=self.clock, extra_response_hosts=(self.endpoint.host,), **settings)

    def event(self, request_type: str, **kwargs: Any) -> dict[str, Any]:
        return make_event(self.endpoint, request_type, clock=self.clock, **kwargs)

    def invoke(self, event: dict[str, Any], real_timeout: float = 30.0) -> None:
        """One invocation of the handler with ``event``.

        In process there is no Lambda to hand over to, so the invocation gets ``real_timeout``
        real seconds (not 900 s of service time, under a second at the fast time scale): a loaded
        machine slows it without making it hand over.
        """
        context = LambdaContext(
            aws_request_id=str(uuid.uuid4()),
            function_name="provider",
            invoked_function_arn=FUNCTION_ARN,
            deadline=time.time() + real_timeout,
            time_scale=self.clock.scale,
        )
        self.handler(event, context)

    def send(self, event: dict[str, Any], real_timeout: float = 30.0) -> dict[str, Any]:
        """Invoke the handler once and return the one response it PUT (checked)."""
        self.invoke(event, real_timeout)
        response = self.endpoint.wait(event["RequestId"], timeout=real_timeout)
        assert len(self.endpoint.responses(event["RequestId"])) == 1
        check_response(event, response)
        return response

    def request(self, request_type: str, **kwargs: Any) -> dict[str, Any]:
        return self.send(self.event(request_type, **kwargs))


@pytest.fixture
def requests(response_endpoint: ResponseEndpoint, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Requests:
    monkeypatch.setenv("SSL_CERT_FILE", response_endpoint.ca_file)
    return Requests(response_endpoint, emulator)


# -- arranging the service's state directly on the emulator's backend ------------------------------


def project_with_dataset(emulator: Emulator, project: str = PROJECT) -> None:
    emulator.backend.create_project(project)
    emulator.backend.create_dataset(project, "train", dataset_source=MANIFEST)
    emulator.clock.advance(emulator.settings.durations.creating_dataset + 1)


# The RequestId of the Create that arranged model versions are tagged as made by.
ARRANGED_CREATE = "0a7a0a7a-0000-4000-8000-00000000c4ea"


def trained_model(emulator: Emulator, project: str = PROJECT, logical_id: str = "Model") -> str:
    """A new TRAINED model version in ``project``, created by the custom resource ``logical_id``; returns its ARN.

    It carries that resource's owner tag, as the versions the provider creates do (made by the
    Create ``ARRANGED_CREATE``).
    """
    owner = [{"Key": OWNER_TAG_KEY, "Value": owner_tag_value(STACK_ID, logical_id, ARRANGED_CREATE)}]
    answer = emulator.backend.create_model(project, output_config=OUTPUT, tags=owner)
    emulator.clock.advance(emulator.settings.durations.training + 1)
    version = answer["ModelMetadata"]["ModelVersion"]
    assert emulator.backend.model_status(project, version) == "TRAINED"
    return str(answer["ModelMetadata"]["ModelArn"])


def listed_versions(emulator: Emulator, project: str = PROJECT) -> list[str]:
    """Every version ListModels shows (read from the backend, all pages)."""
    versions: list[str] = []
    token = None
    while True:
        page = emulator.backend.list_models(project, next_token=token)
        versions += [m["ModelVersion"] for m in page["Models"]]
        token = page.get("NextToken")
        if not token:
            return versions
