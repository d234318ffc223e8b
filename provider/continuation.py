"""Waiting beyond one invocation: the time budget, the continuation record and the hand-over.

The provider polls inside its invocation with short adaptive intervals. When what remains of the
invocation runs low, it re-invokes its own function asynchronously —
``lambda.invoke(FunctionName=context.invoked_function_arn, InvocationType="Event")`` with the
CloudFormation event plus a small continuation record — and this invocation sends no response;
the new one carries on and eventually answers. The request's deadline is the first invocation's
start + ServiceTimeout - a margin; past it the request ends FAILED with a clear reason.

Why not crhelper's ``poll_*``: it schedules re-invocations with a CloudWatch Events rule, so it
polls at whole-minute granularity at best; the rule is named after the LogicalResourceId plus 8
characters and PutRule fails for logical ids over 56 characters; the rule's target input (the
whole event) is capped at 8192 characters; on a Lambda timeout it answers FAILED but leaves the
rule and the Lambda permission behind; polling has no overall deadline; and it sleeps
``sleep_on_delete`` before every Delete response. A self-invocation creates nothing that can
leak, has no naming limit, carries up to Lambda's asynchronous payload limit, and needs only
``lambda:InvokeFunction`` on the function itself.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.config
import botocore.exceptions

from provider import consts
from provider.clock import Clock
from provider.errors import ContinuationFailed, DeadlineExceeded, OutOfTime
from provider.lifecycle import deadline_margin, hand_over_reserve

logger = logging.getLogger(__name__)

# Lambda's limit for an asynchronous invocation's payload (256 KiB); the record adds ~100 bytes.
MAX_ASYNC_PAYLOAD = 256 * 1024
# Real seconds kept in hand whatever the clock: HTTP round trips do not shrink with it.
REAL_RESERVE = 0.25


class LambdaContext(Protocol):
    """The part of Lambda's context object the provider uses."""

    invoked_function_arn: str

    def get_remaining_time_in_millis(self) -> int: ...


class HandOver(Exception):
    """The wait goes on in a new invocation; this one must not answer CloudFormation."""


@dataclass
class Continuation:
    """The record a re-invocation carries: when the request began and what it has done so far.

    ``started`` is when the request began (the clock's epoch seconds); ``progress`` holds a few facts
    (e.g. the ARN of the model this request created) so no step is repeated.
    """

    started: float
    invocation: int = 1
    progress: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: Mapping[str, Any], clock: Clock) -> Continuation:
        """The event's record, or a fresh one for the first invocation (or a malformed record)."""
        raw = event.get(consts.CONTINUATION)
        if isinstance(raw, Mapping):
            started, invocation, progress = raw.get("Started"), raw.get("Invocation"), raw.get("Progress", {})
            if isinstance(started, int | float) and isinstance(invocation, int) and isinstance(progress, dict):
                return cls(float(started), invocation, dict(progress))
            logger.warning("ignoring a malformed continuation record")
        return cls(request_signed_at(event.get("ResponseURL"), clock) or clock.now())

    def to_json(self) -> dict[str, Any]:
        return {"Started": self.started, "Invocation": self.invocation, "Progress": self.progress}

    def next_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The event for the next invocation: the original event plus the updated record."""
        record = Continuation(self.started, self.invocation + 1, self.progress)
        return {**event, consts.CONTINUATION: record.to_json()}


class Budget:
    """The time a request may still spend: in this invocation, and until its deadline.

    All figures are the clock's seconds. The hand-over reserve grows with the slowest step seen, so
    a slow endpoint leaves room to hand over and answer before the invocation is stopped.
    """

    def __init__(self, clock: Clock, context: LambdaContext, started: float, service_timeout: float) -> None:
        self.clock = clock
        self.service_timeout = service_timeout
        self._context = context
        self._deadline = started + service_timeout - deadline_margin(service_timeout)
        self._longest_step = 0.0

    def deadline_left(self) -> float:
        return self._deadline - self.clock.now()

    def reserve(self) -> float:
        return max(hand_over_reserve(self._longest_step), REAL_RESERVE / self.clock.real_seconds(1.0))

    def invocation_left(self) -> float:
        """Seconds this invocation may still spend before it must hand over."""
        return self._context.get_remaining_time_in_millis() / 1000 - self.reserve()

    def time_left(self) -> float:
        return min(self.invocation_left(), self.deadline_left())

    def check(self) -> None:
        """Raise DeadlineExceeded past the deadline, HandOver when this invocation is spent."""
        if self.deadline_left() <= 0:
            raise DeadlineExceeded(f"ServiceTimeout ({self.service_timeout:g} s) reached")
        if self.invocation_left() <= 0:
            raise HandOver

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        """One observe-and-act step: timed, and a retry that ran out of time becomes a hand-over."""
        self.check()
        began = self.clock.now()
        try:
            yield
        except OutOfTime as exc:
            if self.deadline_left() <= 0:
                raise DeadlineExceeded(
                    f"ServiceTimeout ({self.service_timeout:g} s) reached while retrying {exc.message}"
                ) from exc
            raise HandOver from exc
        finally:
            self._longest_step = max(self._longest_step, self.clock.now() - began)

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (less if the deadline is nearer); hand over if they do not fit.

        A deadline that falls within this invocation (its reserve half included) is awaited here,
        so that the FAILED answer comes from this invocation and no new one starts past it.
        """
        self.check()
        deadline_left = max(0.0, self.deadline_left())
        pause = min(seconds, deadline_left)
        fits = self.invocation_left()
        if fits < pause and deadline_left > fits + self.reserve() / 2:
            self.clock.sleep(max(0.0, fits))
            raise HandOver
        self.clock.sleep(pause)


_LAMBDA_CONFIG = botocore.config.Config(
    retries={"total_max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10
)


def request_signed_at(response_url: object, clock: Clock) -> float | None:
    """When CloudFormation signed the request's ResponseURL (SigV4 ``X-Amz-Date``), if it says.

    That is when the request began, the same for every invocation of it — a Lambda retry of the
    first invocation included, which carries no continuation record. The date is read in the
    provider's clock, in which the URL was signed.
    """
    if not isinstance(response_url, str):
        return None
    for value in parse_qs(urlsplit(response_url).query).get("X-Amz-Date", []):
        try:
            signed = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
        return signed if signed <= clock.now() else None
    return None


@functools.cache
def _lambda_client(region: str | None, endpoint: str | None) -> Any:
    # The endpoint is part of the cache key only: boto3 reads AWS_ENDPOINT_URL_LAMBDA itself.
    return boto3.client("lambda", region_name=region, config=_LAMBDA_CONFIG)


def lambda_client() -> Any:
    return _lambda_client(os.environ.get("AWS_REGION"), os.environ.get("AWS_ENDPOINT_URL_LAMBDA"))


def hand_over(client: Any, context: LambdaContext, event: Mapping[str, Any], record: Continuation) -> None:
    """Re-invoke the function asynchronously with the event and the next continuation record."""
    payload = json.dumps(record.next_event(event), separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_ASYNC_PAYLOAD:
        raise ContinuationFailed(
            f"the request is too large to continue in a new invocation ({len(payload)} bytes, "
            f"limit {MAX_ASYNC_PAYLOAD})"
        )
    try:
        client.invoke(FunctionName=context.invoked_function_arn, InvocationType="Event", Payload=payload)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise ContinuationFailed(f"lambda:Invoke of {context.invoked_function_arn} failed: {exc}") from exc
    logger.info("continuing in invocation %d (%d bytes)", record.invocation + 1, len(payload))
