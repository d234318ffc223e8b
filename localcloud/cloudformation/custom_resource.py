"""Custom resources: the request CloudFormation sends to the ServiceToken's function, and its response.

The event is the one CloudFormation builds (RequestType, RequestId, StackId, ResponseURL, ...,
ResourceProperties with every scalar turned into a string), delivered as an asynchronous Lambda
invocation; the driver then waits for the body PUT to the ResponseURL, at most ServiceTimeout.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    RequestType,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
)
from lookoutvision_localcloud.cloudformation.resources import ResourceHandler, physical_name
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint, ResponseTimeout

# The custom resource's deadline for each operation: a property of its own, 1 to 3600 s, by default 3600.
SERVICE_TIMEOUT = "ServiceTimeout"
SERVICE_TIMEOUT_MIN = 1
SERVICE_TIMEOUT_MAX = 3600
SERVICE_TIMEOUT_DEFAULT = 3600
MAX_RESPONSE_BYTES = 4096
# Real seconds added to every wait: starting a local execution environment is not scaled time.
START_UP_GRACE = 3.0
_WAIT_SLICE = 0.5  # real seconds between checks that the local cloud still runs


def stringify(value: Any) -> Any:
    """CloudFormation hands custom resources every scalar as a string (``5`` → ``"5"``, ``true`` → ``"true"``)."""
    if isinstance(value, dict):
        return {key: stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def service_timeout(properties: dict[str, Any]) -> float:
    """The resource's ServiceTimeout in service seconds (default 3600); ValueError outside 1-3600, as CloudFormation."""
    value = properties.get(SERVICE_TIMEOUT, SERVICE_TIMEOUT_DEFAULT)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not SERVICE_TIMEOUT_MIN <= seconds <= SERVICE_TIMEOUT_MAX:
        raise ValueError(
            f"Properties validation failed: ServiceTimeout {value!r} must be a number of seconds "
            f"from {SERVICE_TIMEOUT_MIN} to {SERVICE_TIMEOUT_MAX}"
        )
    return seconds


@dataclass
class SentRequest:
    """One request sent to a custom resource's function, for the final checks."""

    request_id: str
    logical_id: str
    request_type: RequestType
    function_arn: str
    stack_id: str = ""
    outcome: str = "pending"
    logs: list[str] = field(default_factory=list)


def build_event(request: ResourceRequest, request_id: str, response_url: str) -> dict[str, Any]:
    """The event CloudFormation sends for ``request``."""
    properties = stringify(request.properties)
    event: dict[str, Any] = {
        "RequestType": request.request_type.value,
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": response_url,
        "StackId": request.stack.stack_id,
        "RequestId": request_id,
        "LogicalResourceId": request.logical_id,
        "ResourceType": request.resource_type,
        "ResourceProperties": properties,
    }
    if request.request_type is not RequestType.CREATE:
        event["PhysicalResourceId"] = request.physical_id
    if request.request_type is RequestType.UPDATE:
        event["OldResourceProperties"] = stringify(request.old_properties or {})
    return event


def check_response(body: dict[str, Any], event: dict[str, Any]) -> list[str]:
    """What CloudFormation would reject in a response body (empty list: a valid response)."""
    problems = []
    if body.get("Status") not in ("SUCCESS", "FAILED"):
        problems.append(f"Status must be SUCCESS or FAILED, got {body.get('Status')!r}")
    for key in ("StackId", "RequestId", "LogicalResourceId"):
        if body.get(key) != event[key]:
            problems.append(f"{key} {body.get(key)!r} does not echo the request's {event[key]!r}")
    physical_id = body.get("PhysicalResourceId")
    if not isinstance(physical_id, str) or not physical_id:
        problems.append("Invalid PhysicalResourceId")
    if not isinstance(body.get("Data", {}), dict):
        problems.append("Data must be an object")
    if len(json.dumps(body).encode()) > MAX_RESPONSE_BYTES:
        problems.append(f"Response object is too long (over {MAX_RESPONSE_BYTES} bytes)")
    return problems


class Invocation(Protocol):
    """One invocation of a function: the event it carried and its log lines."""

    @property
    def event(self) -> dict[str, Any]: ...

    @property
    def logs(self) -> list[str]: ...


class ServiceFunction(Protocol):
    """The function a ServiceToken names, as CloudFormation uses it: asynchronous invocations, and their logs."""

    @property
    def function_name(self) -> str: ...

    @property
    def invocations(self) -> Sequence[Invocation]: ...

    def invoke_async(self, event: dict[str, Any]) -> object: ...


class Clock(Protocol):
    """Service time: the requests' signing time, and the real length of a ServiceTimeout."""

    def now(self) -> float: ...

    def real_seconds(self, seconds: float) -> float: ...


class CustomResourceHandler(ResourceHandler):
    """Sends each request to the local function named by the ServiceToken and waits for the response.

    ``functions`` finds the function a ServiceToken (an ARN) names; ``closing`` is set when the local
    cloud stops, which ends every wait; ``start_up_grace`` real seconds are added to each wait.
    """

    mode = "custom resource"
    plays = "custom resources served by a local function"

    def __init__(
        self,
        functions: Callable[[str], ServiceFunction | None],
        responses: ResponseEndpoint,
        clock: Clock,
        closing: threading.Event,
        start_up_grace: float = START_UP_GRACE,
    ) -> None:
        self._functions = functions
        self._responses = responses
        self._clock = clock
        self._closing = closing
        self.start_up_grace = start_up_grace
        self.sent: list[SentRequest] = []  # every request sent, for the final checks

    def serves(self, properties: dict[str, Any]) -> bool:
        return self._functions(str(properties.get("ServiceToken", ""))) is not None

    def answers(self, request_id: str) -> int:
        """How many responses the request received."""
        return len(self._responses.responses(request_id))

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        return self._send(request)

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        return self._send(request)

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        return self._send(request)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        return None  # lives in the emulator (and its function), which restore themselves

    def _wait(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        """The first response within ``timeout`` real seconds; None on timeout or when the local cloud stops."""
        deadline = time.monotonic() + timeout
        while not self._closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return self._responses.wait(request_id, timeout=min(remaining, _WAIT_SLICE))
            except ResponseTimeout:
                continue
        return None

    def _send(self, request: ResourceRequest) -> ResourceOutcome:
        token = str(request.properties.get("ServiceToken", ""))
        function = self._functions(token)
        fallback_id = request.physical_id or physical_name(request.stack, request.logical_id)
        if not token:
            reason = "Properties validation failed: required key [ServiceToken] not found"
            return ResourceOutcome.failed(self.mode, reason, fallback_id)
        if function is None:
            return ResourceOutcome.failed(self.mode, f"ServiceToken {token}: no such local function", fallback_id)
        try:
            timeout = service_timeout(request.properties)
        except ValueError as exc:  # CloudFormation refuses the request: nothing is sent
            if request.request_type is RequestType.DELETE and request.physical_id is None:
                return ResourceOutcome(True, self.mode, None, note="never created")
            return ResourceOutcome.failed(self.mode, str(exc), request.physical_id)
        request_id = str(uuid.uuid4())
        response_url = self._responses.response_url(request_id, signed_at=self._clock.now())
        event = build_event(request, request_id, response_url)
        sent = SentRequest(request_id, request.logical_id, request.request_type, token, request.stack.stack_id)
        self.sent.append(sent)
        function.invoke_async(event)
        body = self._wait(request_id, self._clock.real_seconds(timeout) + self.start_up_grace)
        if body is None:
            sent.outcome = "timeout"
            sent.logs = _logs_of(function, request_id)
            if self._closing.is_set():
                reason = f"the local cloud stopped before a response to RequestId {request_id} arrived"
                return ResourceOutcome.failed(self.mode, reason, fallback_id)
            return ResourceOutcome.failed(
                self.mode,
                f"CloudFormation did not receive a response from your Custom Resource within its ServiceTimeout "
                f"({timeout:g} s): the resource did not stabilize. Check the logs of {function.function_name} "
                f"for RequestId {request_id}.",
                fallback_id,
            )
        problems = check_response(body, event)
        physical_id = body.get("PhysicalResourceId") or fallback_id
        if problems:
            sent.outcome = "invalid"
            return ResourceOutcome.failed(
                self.mode, "Invalid response from the custom resource: " + "; ".join(problems), physical_id
            )
        sent.outcome = body["Status"]
        if body["Status"] == "FAILED":
            sent.logs = _logs_of(function, request_id)
            reason = (
                f"Received response status [FAILED] from custom resource. Message returned: {body.get('Reason', '')}"
            )
            return ResourceOutcome.failed(self.mode, f"{reason} (RequestId: {request_id})", physical_id)
        note = ""
        if request.request_type is RequestType.DELETE and physical_id != request.physical_id:
            note = f"the Delete response changed the physical id to {physical_id}"
        return ResourceOutcome(True, self.mode, physical_id, dict(body.get("Data") or {}), note=note)


def _logs_of(function: ServiceFunction, request_id: str) -> list[str]:
    """The log lines of every invocation (first and re-invocations) that carried ``request_id``."""
    return [
        line
        for invocation in list(function.invocations)
        if invocation.event.get("RequestId") == request_id
        for line in invocation.logs
    ]
