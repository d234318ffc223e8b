"""The CDK Provider framework as it runs, played around the user's functions (``bench.cdk_handlers``).

``aws_cdk.custom_resources.Provider`` (packages/aws-cdk-lib/custom-resources/lib/provider-framework)
deploys three framework functions and a Step Functions state machine; this driver plays them, and
invokes the user's onEvent and isComplete functions through the local Lambda, one invocation per
call, as the framework's functions do (``lambda:Invoke``, RequestResponse):

- framework onEvent (the ServiceToken, invoked by CloudFormation): invokes the user's onEvent,
  merges its answer into the event (a Delete may not change the PhysicalResourceId) and starts
  the waiter state machine;
- the waiter: its one Task calls framework isComplete at once, and on every error retries it
  ``IntervalSeconds`` later (``queryInterval``, 5 s by default, ``BackoffRate`` 1) up to
  ``MaxAttempts`` = totalTimeout / queryInterval (30 min / 5 s = 360); when they run out, its Catch
  calls framework onTimeout, which answers FAILED "Operation timed out";
- framework isComplete: invokes the user's isComplete; not complete → it throws ``Retry`` (the
  waiter's next attempt); complete → SUCCESS with the merged Data;
- ``safeHandler`` around both: an error of the user's function (boto3's retries exhausted on
  throttling, say) is not retried: it answers FAILED with the error as the Reason.

What is left out, in the baseline's favour: the framework functions' own cold starts and
invocation latency, and Step Functions' state transition latency (here both are nil).
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.rig import Baseline, Request, Rig
from lookoutvision_localcloud.awslambda import LambdaService
from lookoutvision_localcloud.scaled_clock import ScaledClock

QUERY_INTERVAL = 5.0  # Provider's queryInterval default, seconds
TOTAL_TIMEOUT = 30 * 60.0  # Provider's totalTimeout default
MAX_ATTEMPTS = int(TOTAL_TIMEOUT / QUERY_INTERVAL)  # calculateRetryPolicy


@dataclass(frozen=True)
class UserFunctions:
    """A baseline's onEvent and isComplete: the local functions' names and their handlers in ``bench.cdk_handlers``."""

    on_event: str
    is_complete: str

    def handler(self, name: str) -> tuple[str, str]:
        """(``module.function`` handler, ``module:edge``) of ``name`` in ``bench.cdk_handlers``."""
        return f"bench.cdk_handlers.{name}", f"bench.cdk_handlers:{name}_edge"


NAIVE = UserFunctions("on_event", "is_complete")
TOLERANT = UserFunctions("on_event_tolerant", "is_complete_tolerant")

CDK_PROVIDER = Baseline(
    "cdk_provider",
    "CDK Provider framework, isComplete every 5 s (throttling fails it)",
    "user onEvent/isComplete functions (bench/cdk_handlers.py, boto3 defaults) invoked through the local Lambda "
    "once per call; the framework's functions and its waiter state machine played by bench/cdk_framework.py "
    "(isComplete at once, then 5 s after each incomplete answer; a function error answers FAILED)",
)
CDK_TOLERANT = Baseline(
    "cdk_tolerant",
    "CDK Provider framework, isComplete every 5 s, throttling tolerated",
    "the same user functions, whose onEvent and isComplete catch a ThrottlingException that survives boto3's "
    "retries (isComplete answers IsComplete false; onEvent leaves the stop to isComplete), invoked through the "
    "local Lambda once per call; the framework played by bench/cdk_framework.py as for cdk_provider",
)


class ProviderFramework:
    """The framework's onEvent, isComplete and onTimeout and its waiter, for the user's two functions."""

    def __init__(self, rig: Rig, user: UserFunctions = NAIVE, query_interval: float = QUERY_INTERVAL) -> None:
        self.rig = rig
        self.user = user
        handler, edge = user.handler(user.on_event)
        self.on_event = rig.function(f"cdk_{user.on_event}", handler, edge=edge)
        handler, edge = user.handler(user.is_complete)
        self.is_complete = rig.function(f"cdk_{user.is_complete}", handler, edge=edge)
        self.query_interval = query_interval
        self.max_attempts = int(TOTAL_TIMEOUT / query_interval)
        self._clock = ScaledClock(rig.time_scale)

    def functions(self) -> tuple[LambdaService, LambdaService]:
        return self.on_event, self.is_complete

    def send(self, events: Sequence[dict[str, Any]], timeout: float) -> list[Request]:
        """CloudFormation sends every Delete at once; the framework handles each; wait for every response."""
        requests = self.rig.awaiting(events, timeout)
        threads = [threading.Thread(target=self.handle, args=(r,), daemon=True) for r in requests]
        for request, thread in zip(requests, threads, strict=True):
            request.sent = self.rig.now()
            thread.start()
        for request in requests:
            request.done.wait()
        return requests

    def handle(self, request: Request) -> None:
        """framework onEvent, then the waiter's attempts at framework isComplete."""
        event = request.event
        outcome, answer = self._invoke(self.on_event, event)
        if outcome != "ok":
            self._respond(event, "FAILED", reason=answer)
            return
        result = answer if isinstance(answer, dict) else {}
        physical_id = result.get("PhysicalResourceId") or event.get("PhysicalResourceId")
        if event["RequestType"] == "Delete" and physical_id != event.get("PhysicalResourceId"):
            self._respond(event, "FAILED", reason="DELETE: cannot change the physical resource ID during deletion")
            return
        resource_event = {**event, **result, "PhysicalResourceId": physical_id}
        for attempt in range(self.max_attempts + 1):
            outcome, answer = self._invoke(self.is_complete, resource_event)
            if outcome != "ok":
                self._respond(resource_event, "FAILED", reason=answer)
                return
            done = answer if isinstance(answer, dict) else {}
            if done.get("IsComplete"):
                data = {**resource_event.get("Data", {}), **done.get("Data", {})}
                self._respond({**resource_event, **done, "Data": data}, "SUCCESS")
                return
            if done.get("Data"):
                self._respond(resource_event, "FAILED", reason='"Data" is not allowed if "IsComplete" is "False"')
                return
            if attempt < self.max_attempts:
                self._clock.sleep(self.query_interval)
        self._respond(resource_event, "FAILED", reason="Operation timed out")

    def _invoke(self, function: LambdaService, event: dict[str, Any]) -> tuple[str, str | Any]:
        """One RequestResponse invocation of a user function: ("ok", its answer) or ("error", the message)."""
        invocation = function.invoke(event)
        if invocation.outcome == "ok":
            return "ok", invocation.result
        if invocation.outcome == "error":
            message = (invocation.result or {}).get("errorMessage", "error")
        else:
            message = "timed out"
        return "error", f"{message}\n\nLogs: /aws/lambda/{function.function_name}\n"

    def _respond(self, event: dict[str, Any], status: str, reason: str | None = None) -> None:
        body = {
            "Status": status,
            "Reason": reason or status,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "PhysicalResourceId": event.get("PhysicalResourceId") or "MISSING_PHYSICAL_ID",
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": event.get("Data"),
        }
        put_response(str(event["ResponseURL"]), body, self.rig.endpoint.ca_file)


def put_response(url: str, body: dict[str, Any], ca_file: str, attempts: int = 5) -> None:
    """PUT a custom-resource response over HTTPS, trusting ``ca_file``; retried as the framework does (5 x, 1 s)."""
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    context = ssl.create_default_context(cafile=ca_file)
    for attempt in range(attempts):
        try:
            connection = http.client.HTTPSConnection(parts.netloc, context=context, timeout=10)
            path = f"{parts.path}?{parts.query}" if parts.query else parts.path
            connection.request("PUT", path, body=data, headers={"content-type": "", "content-length": str(len(data))})
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if attempt + 1 == attempts:
                raise
            time.sleep(1.0)
