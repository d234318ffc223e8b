"""Going on beyond one invocation: the continuation record and the hand-over.

``hand_over`` re-invokes the function asynchronously with the event plus the next record; the
record (``Continuation``) is parsed and checked once when it comes back: it starts at the
ResponseURL's signing time, counts its invocations, and carries the request's progress
(``lookoutvision_cdk_provider.progress``). An Invoke is tried again only when Lambda provably did not take the event;
one that got no clear answer raises ContinuationUncertain. Why: docs/decisions/0002, 0003, 0005.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import botocore.exceptions

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.budget import Budget, LambdaContext
from lookoutvision_cdk_provider.clock import Clock
from lookoutvision_cdk_provider.errors import ContinuationFailed, ContinuationUncertain, RejectedEvent
from lookoutvision_cdk_provider.progress import HandedOverWait, ResourceProgress, ServiceGoneProgress, is_time
from lookoutvision_cdk_provider.timing import InvocationTimings

logger = logging.getLogger(__name__)

# Lambda's limit for an asynchronous invocation's payload (256 KiB); the record adds ~100 bytes.
MAX_ASYNC_PAYLOAD = 256 * 1024
# Invocations of one request: far more than any request within 3600 s at 10 s per invocation needs.
MAX_INVOCATIONS = 10_000
# Lambda's answers that say the event was not taken.
_NOT_TAKEN = frozenset({"TooManyRequestsException", "ThrottlingException", "EC2ThrottledException"})


@dataclass
class Continuation:
    """The record a re-invocation carries: when the request began, which invocation this is, what is done.

    ``started`` is when the request began (the clock's epoch seconds); ``progress`` is the
    resource's record (``lookoutvision_cdk_provider.progress``; None for a resource type the provider does not
    handle) and ``service_gone`` the end-of-support bookkeeping, so that no step is repeated;
    ``wait`` is the wait the last invocation handed over in, so that a deadline met before this
    invocation sees anything still names what was seen.
    """

    started: float
    invocation: int = 1
    progress: ResourceProgress | None = None
    service_gone: ServiceGoneProgress = field(default_factory=ServiceGoneProgress)
    wait: HandedOverWait | None = None

    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        clock: Clock,
        service_timeout: float,
        parse_progress: Callable[[Mapping[str, Any]], ResourceProgress | None],
        max_clock_skew: float = InvocationTimings.max_clock_skew,
    ) -> Continuation:
        """The event's record, or a new one for a first invocation; RejectedEvent for a record out of bounds.

        The request starts when CloudFormation signed the ResponseURL — in every invocation, a
        Lambda retry of the first included, however far this clock lags behind CloudFormation's
        within ``max_clock_skew`` — else (no signing date) when its first invocation began. A
        record's start must be exactly that signing time, or (without one) lie between now less
        ServiceTimeout and now. ``parse_progress`` parses and checks the resource's record (an
        empty one for a first invocation).
        """
        now = clock.now()
        signed = request_signed_at(event.get("ResponseURL"))
        if signed is not None and signed > now + max_clock_skew:
            raise RejectedEvent(
                f"the ResponseURL is dated {_iso(signed)}, more than {max_clock_skew:g} s ahead of this clock "
                f"({_iso(now)})"
            )
        raw = event.get(consts.CONTINUATION)
        if raw is None:
            return cls(signed if signed is not None else now, progress=parse_progress({}))
        if not isinstance(raw, Mapping):
            raise RejectedEvent("the continuation record is not an object")
        started, invocation = raw.get("Started"), raw.get("Invocation")
        progress, gone = raw.get("Progress", {}), raw.get("ServiceGone", {})
        if not is_time(started):
            raise RejectedEvent("the continuation record's Started is not a time")
        if not isinstance(invocation, int) or isinstance(invocation, bool) or not 2 <= invocation <= MAX_INVOCATIONS:
            raise RejectedEvent(f"the continuation record's Invocation is not a number from 2 to {MAX_INVOCATIONS}")
        if not isinstance(progress, dict):
            raise RejectedEvent("the continuation record's Progress is not an object")
        if not isinstance(gone, dict):
            raise RejectedEvent("the continuation record's ServiceGone is not an object")
        if signed is not None and started != signed:
            raise RejectedEvent(
                f"the continuation record's Started is not the request's start ({_iso(started)}, not {_iso(signed)})"
            )
        if signed is None and not now - service_timeout <= started <= now:
            raise RejectedEvent(
                "the continuation record's Started is not between the request's earliest start and now "
                f"({_iso(started)} outside {_iso(now - service_timeout)} to {_iso(now)})"
            )
        started = float(started)
        gone_since = ServiceGoneProgress.from_json(gone, started - max_clock_skew, now)
        return cls(started, invocation, parse_progress(progress), gone_since, HandedOverWait.from_json(raw.get("Wait")))

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"Started": self.started, "Invocation": self.invocation}
        record["Progress"] = self.progress.to_json() if self.progress is not None else {}
        gone = self.service_gone.to_json()
        if gone:
            record["ServiceGone"] = gone
        if self.wait is not None:
            record["Wait"] = self.wait.to_json()
        return record

    def next_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event for the next invocation: the original event plus the updated record."""
        record = dataclasses.replace(self, invocation=self.invocation + 1)
        return {**event, consts.CONTINUATION: record.to_json()}


def request_signed_at(response_url: object) -> float | None:
    """When CloudFormation signed the request's ResponseURL (SigV4 ``X-Amz-Date``, to the second), if it says.

    That is when the request began, the same for every invocation of it — a Lambda retry of the
    first invocation included, which carries no continuation record.
    """
    if not isinstance(response_url, str):
        return None
    for value in parse_qs(urlsplit(response_url).query).get("X-Amz-Date", []):
        try:
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def _iso(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return repr(epoch)


def hand_over(
    client: Any, context: LambdaContext, event: Mapping[str, Any], record: Continuation, budget: Budget
) -> None:
    """Re-invoke the function asynchronously with the event and the next continuation record.

    Raises ContinuationFailed when Lambda did not take the event (nothing goes on: answer FAILED),
    ContinuationUncertain when it may have (nothing must answer: Lambda retries this invocation).
    """
    payload = json.dumps(record.next_event(event), separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_ASYNC_PAYLOAD:
        raise ContinuationFailed(
            f"the request is too large to continue in a new invocation ({len(payload)} bytes, "
            f"limit {MAX_ASYNC_PAYLOAD})"
        )
    function = context.invoked_function_arn
    retries = budget.timings.hand_over
    for attempt in range(1, retries.attempts + 1):
        try:
            with budget.timed_call():
                client.invoke(FunctionName=function, InvocationType="Event", Payload=payload)
            break
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
            failure: Exception = exc  # no connection: the event was not sent
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if status >= 500:
                raise ContinuationUncertain(f"lambda:Invoke of {function} answered {code} ({status})") from exc
            if code not in _NOT_TAKEN and status != 429:
                raise ContinuationFailed(f"lambda:Invoke of {function} failed: {exc}") from exc
            failure = exc
        except botocore.exceptions.BotoCoreError as exc:  # read timeout, dropped connection: it may be queued
            raise ContinuationUncertain(f"lambda:Invoke of {function} got no answer: {exc}") from exc
        if attempt == retries.attempts or not _fits_another(context, budget):
            raise ContinuationFailed(f"lambda:Invoke of {function} failed: {failure}") from failure
        logger.warning("lambda:Invoke was not taken (%s); trying again", failure)
        budget.clock.sleep(retries.pause * attempt)
    logger.info("continuing in invocation %d (%d bytes)", record.invocation + 1, len(payload))


def _fits_another(context: LambdaContext, budget: Budget) -> bool:
    """Whether a pause and one more Invoke at its worst end before the invocation does."""
    retries = budget.timings.hand_over
    return context.get_remaining_time_in_millis() / 1000 > budget.call_timeout + retries.pause * retries.attempts
