"""The local cloud the runtime benchmarks run in: the emulator, the ResponseURL endpoint, Lambda functions.

Every request goes the way it goes on AWS: a CloudFormation Delete event → the local Lambda
(``LambdaService``, each invocation in an execution-environment subprocess) → a handler →
botocore → HTTP → the emulator; the response is PUT to the HTTPS endpoint. The rig times each
response's arrival on the emulator's clock, so it compares directly with the emulator's status
history and call record (service seconds).

This provider starts as the local Lambda starts it everywhere, from the edge
``lookoutvision_localcloud.awslambda.provider_edge`` (a variant from another edge, to compare a design
through the provider's code); the baselines that are not this provider (``bench.cdk_framework``,
``bench.crhelper_baseline``) run their own handlers in functions of their own.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.bound import ModelDurations, Quota
from lookoutvision_cdk.lambda_asset import RUNTIME_NAME, provider_asset
from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.identifiers import OWNER_TAG_KEY, owner_tag_value
from lookoutvision_localcloud.awslambda import LambdaService
from lookoutvision_localcloud.awslambda.provider_edge import EDGE
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint, ResponseTimeout
from lookoutvision_localcloud.lookoutvision import Durations, Emulator, Settings, StatusChange
from lookoutvision_localcloud.lookoutvision.settings import model_key

ROOT = Path(__file__).resolve().parents[1]
HANDLER = "lookoutvision_cdk_provider.handler.handler"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/0b0e0c00-0000-4000-8000-000000000000"
# The RequestId of the Create that the arranged model versions are tagged as made by.
ARRANGED_CREATE = "0b0e0c00-0000-4000-8000-00000000c4ea"
MANIFEST = {"GroundTruthManifest": {"S3Object": {"Bucket": "bench-data", "Key": "train.manifest"}}}
OUTPUT = {"S3Location": {"Bucket": "bench-data", "Prefix": "output/"}}
# The provider function's timeout (lookoutvision_cdk.provider_function.TIMEOUT), service seconds.
LAMBDA_TIMEOUT = 900.0
QUOTA = 5.0  # the service's quota: requests per second per API
INIT_WAIT = 120.0  # real seconds an environment may take to import its handler while warming


@dataclass(frozen=True)
class ProviderVariant:
    """This provider, or a design tried through its code: the edge (``module:function``) that builds its handler."""

    key: str
    label: str
    edge: str = EDGE


PROVIDER = ProviderVariant("provider", "this provider")


@dataclass(frozen=True)
class Baseline:
    """A contender that is not this provider: its key, its label, and how the rig replays it."""

    key: str
    label: str
    replay: str


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

    @property
    def model_version(self) -> str:
        return str(self.event.get("PhysicalResourceId", "")).rsplit("/", 1)[-1]


class Rig:
    """An emulator, a ResponseURL endpoint and local Lambda functions on one time scale. A context manager."""

    def __init__(self, time_scale: float, *, requests_per_second: float | None = QUOTA) -> None:
        self.time_scale = time_scale
        self.settings = Settings(
            time_scale=time_scale,
            durations=Durations(stopping_hosting=20.0, deleting=10.0),
            requests_per_second=requests_per_second,
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
        for key in list(self._functions):
            self.close_function(key)
        self._stack.close()

    @property
    def quota(self) -> Quota:
        return Quota.of_emulator(self.settings.requests_per_second or float("inf"))

    def now(self) -> float:
        """Service time now (the emulator's clock)."""
        return self.emulator.clock.now()

    # -- functions -----------------------------------------------------------------------------

    def environment(self, **extra: str) -> dict[str, str]:
        """What every function gets: the repository importable, the emulator, the endpoint's CA, no user config."""
        return {
            "AWS_ENDPOINT_URL_LOOKOUTVISION": self.emulator.endpoint_url,
            "SSL_CERT_FILE": self.endpoint.ca_file,
            # No user's ~/.aws config (retry modes, endpoints) reaches the function.
            "AWS_CONFIG_FILE": self._no_aws_config,
            "AWS_SHARED_CREDENTIALS_FILE": self._no_aws_config,
            **extra,
        }

    def function(
        self,
        name: str,
        handler: str = HANDLER,
        *,
        edge: str | None = None,
        edge_options: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        timeout: float = LAMBDA_TIMEOUT,
    ) -> LambdaService:
        """The local function ``name``, started on first use and kept until ``close_function`` or the rig's end.

        Every function runs as deployed: the provider's asset (``lookoutvision_cdk.lambda_asset``) under its
        runtime, python3.13. The baselines' handlers come from ``bench`` through their edges; the
        asset lends them what their own bundle would hold (boto3 with the Lookout for Vision
        model, crhelper).
        """
        if name not in self._functions:
            service = LambdaService(
                handler,
                code=provider_asset(),
                runtime=RUNTIME_NAME,
                env=self.environment(**(env or {})),
                timeout=timeout,
                time_scale=self.time_scale,
                function_name=f"bench-{name.replace('_', '-')}",
                edge=edge,
                edge_options=edge_options,
            )
            self._functions[name] = service.__enter__()
        return self._functions[name]

    def provider_function(self, variant: ProviderVariant) -> LambdaService:
        """The provider, accepting this rig's ResponseURLs (``ProviderConfig.extra_response_hosts``)."""
        return self.function(
            variant.key, edge=variant.edge, edge_options={"extra_response_hosts": [self.endpoint.host]}
        )

    def close_function(self, name: str) -> None:
        """Stop the function's execution environments (each is a process holding ~45 MB)."""
        service = self._functions.pop(name, None)
        if service is not None:
            service.close()

    # -- the service's side --------------------------------------------------------------------

    def reset(self) -> None:
        """Nothing in the emulator, no calls recorded, the rig's settings."""
        self.emulator.reset()

    def hosted_models(self, project: str, durations: Sequence[ModelDurations]) -> list[str]:
        """One HOSTED model version per entry, each with its own durations (arranged on the backend); their ARNs.

        Version ``i`` carries the owner tag of the custom resource ``logical_id(i, count)``, as if it
        had created it (the provider acts on no other version).
        """
        backend = self.emulator.backend
        backend.create_project(project)
        backend.create_dataset(project, "train", dataset_source=MANIFEST)
        self.emulator.clock.advance(self.settings.durations.creating_dataset + 1)
        arns, own = [], {}
        for index, each in enumerate(durations):
            tag = owner_tag_value(STACK_ID, logical_id(index, len(durations)), ARRANGED_CREATE)
            owner = [{"Key": OWNER_TAG_KEY, "Value": tag}]
            model = backend.create_model(project, output_config=OUTPUT, tags=owner)["ModelMetadata"]
            backend.set_status(project, model["ModelVersion"], "HOSTED")
            arns.append(str(model["ModelArn"]))
            own[model_key(project, model["ModelVersion"])] = asdict(each)  # Durations' field names
        self.emulator.configure(model_durations=own)
        # A fleet torn down was created long before: ListModels lists every version of it.
        self.emulator.clock.advance(self.settings.durations.list_models_lag_after_create)
        return arns

    def unlisted(self, project: str, version: str) -> float | None:
        """Service time the version left ListModels, from the emulator's history."""
        changes: list[StatusChange] = self.emulator.backend.history(project, version, "MODEL")
        return next((c.time for c in changes if c.status == "UNLISTED"), None)

    # -- CloudFormation's side -----------------------------------------------------------------

    def delete_event(
        self, service_token: str, physical_id: str, logical_id: str, fleet: tuple[int, int] = (0, 1)
    ) -> dict[str, Any]:
        """CloudFormation's Delete request for a Custom::LookoutVisionModel.

        Its properties are those the construct synthesizes for a hosted model, with every scalar a
        string as CloudFormation passes them: ``Fleet`` is the model's (rank, size) among the
        stack's models. For a physical id that is no model ARN (the warm-up requests) the
        properties name no project, so the provider has nothing to look for and answers without
        calling the service.
        """
        request_id = str(uuid.uuid4())
        properties: dict[str, Any] = {consts.SERVICE_TOKEN: service_token}
        if physical_id.startswith("arn:"):
            rank, size = fleet
            properties.update(
                {
                    consts.PROJECT_NAME: physical_id.rsplit("/", 2)[-2],
                    consts.OUTPUT_CONFIG: OUTPUT,
                    consts.HOSTING: {consts.MIN_INFERENCE_UNITS: "1"},
                    consts.FLEET: {consts.FLEET_RANK: str(rank), consts.FLEET_SIZE: str(size)},
                }
            )
        return {
            "RequestType": "Delete",
            "ServiceToken": service_token,
            "ResponseURL": self.endpoint.response_url(request_id, signed_at=self.now()),
            "StackId": STACK_ID,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": consts.MODEL_RESOURCE_TYPE,
            "PhysicalResourceId": physical_id,
            "ResourceProperties": properties,
        }

    def awaiting(self, events: Sequence[dict[str, Any]], timeout: float) -> list[Request]:
        """A Request per event, each with a thread waiting (real seconds) for its response."""
        requests = [Request(str(e["RequestId"]), e) for e in events]
        for request in requests:
            threading.Thread(target=self._await, args=(request, timeout), daemon=True).start()
        return requests

    def send(self, function: LambdaService, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        """CloudFormation's way: invoke the function asynchronously per event, all at once; wait for each answer."""
        requests = self.awaiting(events, timeout)
        for request in requests:
            request.sent = self.now()
            function.invoke_async(request.event)
        for request in requests:
            request.done.wait()
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

    def warm(self, function: LambdaService, environments: int, *, request_type: str = "Delete", wave: int = 6) -> None:
        """Start ``environments`` execution environments, ``wave`` at a time, then give each one request at once.

        Lambda gives each concurrent invocation its own environment; here each is a process that
        must import its handler within 10 real seconds, which 100 processes started at once on a
        small shared machine would not. So they are started a few at a time (the one use of
        ``LambdaService``'s private ``_acquire``/``_release``: it has no public way to start an
        environment), then each takes one real request (``request_type``, for a physical id that
        is no model ARN): the handler answers without calling the service, and its first-request
        costs (clients, crhelper's set-up) fall outside the measured runs.
        """
        started: list[Any] = []
        try:
            for first in range(0, environments, wave):
                batch = [function._acquire() for _ in range(min(wave, environments - first))]
                started += batch
                if not all(environment.wait_ready(INIT_WAIT) for environment in batch):
                    raise RuntimeError(f"an environment of {function.function_name} did not finish its Init")
        finally:
            for environment in started:
                function._release(environment)
        events = [
            self.delete_event(function.function_arn, self._absent_model(i), f"Warm{i}") for i in range(environments)
        ]
        for event in events:
            event["RequestType"] = request_type
        self.emulator.configure(requests_per_second=None)  # warming is no run: no quota (reset restores it)
        threads = [threading.Thread(target=function.invoke, args=(e,), daemon=True) for e in events]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ids = {e["RequestId"] for e in events}
        failed = [i for i in function.invocations if i.event.get("RequestId") in ids and i.outcome != "ok"]
        if failed:
            raise RuntimeError(f"warming {function.function_name} failed: {failed[0].logs[-3:]}")
        self.reset()  # the warm-up's calls are no run's

    def _absent_model(self, i: int) -> str:
        """The ARN of a model in a project that does not exist: a Delete of it takes the real path to "gone"."""
        return f"arn:aws:lookoutvision:{self.settings.region}:{self.settings.account_id}:model/bench-warm/{i + 1}"
