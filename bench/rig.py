"""The local cloud the runtime benchmarks run in: the emulator, the ResponseURL endpoint, provider functions.

Every request goes the way it goes on AWS: a CloudFormation Delete event → the local Lambda
(``LambdaService``, each invocation in an execution-environment subprocess) → the provider's
handler → botocore → HTTP → the emulator; crhelper PUTs the response to the HTTPS endpoint. The
rig times each response's arrival on the emulator's clock, so it compares directly with the
emulator's status history (service seconds).

Baseline schedules run through the same code: a ``Schedule`` names the edge (``bench.replays``)
that builds the provider's handler with that schedule in the execution environment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from localcloud.awslambda import LambdaService
from localcloud.cloudformation.response_endpoint import ResponseEndpoint, ResponseTimeout
from localcloud.lookoutvision import Durations, Emulator, Settings, StatusChange
from provider import consts
from provider.identifiers import OWNER_TAG_KEY, owner_tag_value

ROOT = Path(__file__).resolve().parents[1]
HANDLER = "provider.handler.handler"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/0b0e0c00-0000-4000-8000-000000000000"
MANIFEST = {"GroundTruthManifest": {"S3Object": {"Bucket": "bench-data", "Key": "train.manifest"}}}
OUTPUT = {"S3Location": {"Bucket": "bench-data", "Prefix": "output/"}}
# The provider function's timeout (cdk_app.provider_function.TIMEOUT), service seconds.
LAMBDA_TIMEOUT = 900.0
# Service seconds of the teardown: StopModel 20 s, DeleteModel 10 s (the figures); the
# emulator's default ListModels lag (5 s) stays: a Delete is done only once the version is unlisted.
TEARDOWN_DURATIONS = Durations(stopping_hosting=20.0, deleting=10.0)


@dataclass(frozen=True)
class Schedule:
    """When a Delete polls and answers: this provider's own, or a baseline replayed through it."""

    key: str
    label: str

    @property
    def edge(self) -> str:
        """The factory in ``bench.replays`` that builds the handler for this schedule."""
        return f"bench.replays:{self.key}"


PROVIDER = Schedule("provider", "this provider (adaptive polls)")
# CDK's custom_resources.Provider: isComplete every queryInterval, 5 s by default.
CDK_PROVIDER = Schedule("cdk_provider_5s", "CDK Provider framework (5 s polls)")
# crhelper's poll_*: a CloudWatch Events rule re-invokes the function at whole minutes (1 minute
# is its shortest; its default polling_interval is 2).
CRHELPER = Schedule("crhelper_defaults", "crhelper (1-minute rule)")
SCHEDULES = (PROVIDER, CDK_PROVIDER, CRHELPER)


def logical_id(index: int, count: int) -> str:
    """The logical id of model ``index`` of ``count`` in a benchmark stack: ``Model``, or ``Model0``, ``Model1``, ..."""
    return "Model" if count == 1 else f"Model{index}"


@dataclass
class Request:
    """One custom-resource request and its response, timed in service seconds on the emulator's clock."""

    request_id: str
    event: dict[str, Any]
    sent: float = 0.0
    arrived: float | None = None
    response: dict[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def status(self) -> str:
        return str(self.response.get("Status")) if self.response else "NO RESPONSE"

    @property
    def reason(self) -> str:
        return str(self.response.get("Reason") or "") if self.response else ""


class Rig:
    """An emulator, a ResponseURL endpoint and one local provider function per schedule. A context manager."""

    def __init__(
        self,
        time_scale: float,
        *,
        requests_per_second: float | None = 5.0,
        durations: Durations = TEARDOWN_DURATIONS,
    ) -> None:
        self.time_scale = time_scale
        self.settings = Settings(
            time_scale=time_scale, durations=Durations(**vars(durations)), requests_per_second=requests_per_second
        )
        self._stack = contextlib.ExitStack()
        self._functions: dict[str, LambdaService] = {}
        self.emulator: Emulator
        self.endpoint: ResponseEndpoint
        self._no_aws_config = ""

    def __enter__(self) -> Rig:
        self.emulator = self._stack.enter_context(Emulator(self.settings))
        self.endpoint = self._stack.enter_context(ResponseEndpoint())
        scratch = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-"))
        self._no_aws_config = str(Path(scratch) / "no-aws-config")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()

    def now(self) -> float:
        """Service time now (the emulator's clock)."""
        return self.emulator.clock.now()

    def function(self, schedule: Schedule) -> LambdaService:
        """The provider function for ``schedule``, started on first use and kept for the rig's life."""
        if schedule.key not in self._functions:
            env = {
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
                "AWS_ENDPOINT_URL_LOOKOUTVISION": self.emulator.endpoint_url,
                "SSL_CERT_FILE": self.endpoint.ca_file,
                # No user's ~/.aws config (retry modes, endpoints) reaches the function.
                "AWS_CONFIG_FILE": self._no_aws_config,
                "AWS_SHARED_CREDENTIALS_FILE": self._no_aws_config,
            }
            service = LambdaService(
                HANDLER,
                env=env,
                timeout=LAMBDA_TIMEOUT,
                time_scale=self.time_scale,
                function_name=f"bench-{schedule.key.replace('_', '-')}",
                edge=schedule.edge,
                edge_options={"extra_response_hosts": [self.endpoint.host]},
            )
            self._functions[schedule.key] = self._stack.enter_context(service)
        return self._functions[schedule.key]

    # -- the service's side --------------------------------------------------------------------

    def reset(self) -> None:
        """Nothing in the emulator, no calls recorded, the rig's settings."""
        self.emulator.reset()

    def hosted_models(self, project: str, count: int) -> list[str]:
        """``count`` HOSTED model versions in a new project (arranged on the backend, no API calls); their ARNs.

        Version ``i`` carries the owner tag of the custom resource ``logical_id(i)``, as if it had created it.
        """
        backend = self.emulator.backend
        backend.create_project(project)
        backend.create_dataset(project, "train", dataset_source=MANIFEST)
        self.emulator.clock.advance(self.settings.durations.creating_dataset + 1)
        arns = []
        for index in range(count):
            owner = [{"Key": OWNER_TAG_KEY, "Value": owner_tag_value(STACK_ID, logical_id(index, count))}]
            model = backend.create_model(project, output_config=OUTPUT, tags=owner)["ModelMetadata"]
            backend.set_status(project, model["ModelVersion"], "HOSTED")
            arns.append(str(model["ModelArn"]))
        return arns

    def disappearance(self, project: str, version: str) -> tuple[float | None, float | None]:
        """Service times the version was GONE (DescribeModel) and UNLISTED (ListModels), from the history."""
        changes: list[StatusChange] = self.emulator.backend.history(project, version, "MODEL")
        gone = next((c.time for c in changes if c.status == "GONE"), None)
        unlisted = next((c.time for c in changes if c.status == "UNLISTED"), None)
        return gone, unlisted

    # -- CloudFormation's side -----------------------------------------------------------------

    def delete_event(self, function: LambdaService, physical_id: str, logical_id: str) -> dict[str, Any]:
        """CloudFormation's Delete request for a Custom::LookoutVisionModel.

        For a physical id that is no model ARN (the warm-up requests) the properties name no
        project, so the provider has nothing to look for and answers without calling the service.
        """
        request_id = str(uuid.uuid4())
        properties: dict[str, Any] = {consts.SERVICE_TOKEN: function.function_arn}
        if physical_id.startswith("arn:"):
            properties.update(
                {
                    consts.PROJECT_NAME: physical_id.rsplit("/", 2)[-2],
                    consts.OUTPUT_CONFIG: OUTPUT,
                    consts.HOSTING: {consts.MIN_INFERENCE_UNITS: "1"},
                }
            )
        return {
            "RequestType": "Delete",
            "ServiceToken": function.function_arn,
            "ResponseURL": self.endpoint.response_url(request_id, signed_at=function.clock.now()),
            "StackId": STACK_ID,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": consts.MODEL_RESOURCE_TYPE,
            "PhysicalResourceId": physical_id,
            "ResourceProperties": properties,
        }

    def send(self, function: LambdaService, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        """Invoke the function asynchronously once per event, all at once; wait (real s) for every response."""
        requests = [Request(str(e["RequestId"]), e) for e in events]
        threads = [threading.Thread(target=self._await, args=(r, timeout), daemon=True) for r in requests]
        for thread in threads:
            thread.start()
        for request in requests:
            request.sent = self.now()
            function.invoke_async(request.event)
        for thread in threads:
            thread.join()
        function.wait_idle(timeout=timeout)
        return requests

    def _await(self, request: Request, timeout: float) -> None:
        try:
            request.response = self.endpoint.wait(request.request_id, timeout=timeout)
            request.arrived = self.now()
        except ResponseTimeout:
            pass
        finally:
            request.done.set()

    def warm(self, function: LambdaService, environments: int, timeout: float = 180.0) -> None:
        """Start ``environments`` execution environments at once (each imports the handler), then leave them idle.

        Concurrent Delete requests for a physical id that is no model ARN: the provider answers at
        once without calling the service, and each invocation takes its own environment.
        """
        events = [self.delete_event(function, f"bench-warm-{i}", f"Warm{i}") for i in range(environments)]
        calls_before = len(self.emulator.calls)
        requests = self.send(function, events, timeout)
        failed = [r.status for r in requests if r.status != "SUCCESS"]
        if failed:
            raise RuntimeError(f"warming {environments} execution environments failed: {failed}")
        if len(self.emulator.calls) != calls_before:
            raise RuntimeError("a warm-up request called the service: the warm-up would skew the figures")
