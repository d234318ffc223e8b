"""CloudFormation's response protocol, and the one place that answers it.

``response_target`` reads where an event's answer goes: a ResponseURL CloudFormation hands out (a
presigned HTTPS URL of its custom-resource response bucket for the stack's region, or a host the
configuration names) and the ids a response echoes; an event without them is never acted on nor
answered, so nobody allowed to invoke the function can make it PUT to a host of their choosing.
``conclude`` carries out an invocation's verdict (``lookoutvision_cdk_provider.verdict``): it alone PUTs a
response, with a timeout and bounded attempts. A FAILED's Reason (``failure_reason``) names the
request, the resource, what the service said and what to do, within 256 characters.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import ssl
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lookoutvision_cdk_provider.errors import ContinuationUncertain
from lookoutvision_cdk_provider.timing import ResponseTimings
from lookoutvision_cdk_provider.verdict import Answer, HandedOver, Silence, Verdict

logger = logging.getLogger(__name__)

# The hosts of CloudFormation's custom-resource response bucket, one per region (its name carries the
# region without dashes): virtual-hosted S3 names, global or regional, in the aws, aws-cn and
# aws-us-gov partitions.
_RESPONSE_HOST = re.compile(
    r"cloudformation-custom-resource-response-(?P<bucket_region>[a-z0-9]+)"
    r"\.s3(?:[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+))?\.amazonaws\.com(?:\.cn)?"
)

# The longest Reason a response carries (crhelper's limit, kept).
REASON_LIMIT = 256
# Characters of the message kept before the advice is shortened.
MESSAGE_MIN = 120
_ELLIPSIS = "..."


@dataclass(frozen=True)
class ResponseTarget:
    """Where an answer goes and the ids it echoes; ``request_type`` as the event names it, for reasons."""

    response_url: str
    stack_id: str
    request_id: str
    logical_id: str
    request_type: str

    @property
    def names(self) -> str:
        """``<RequestType> <LogicalResourceId>``, for log lines."""
        return f"{self.request_type} {self.logical_id}"


@dataclass(frozen=True)
class Unanswerable:
    """An event that names no ResponseURL CloudFormation hands out, or lacks an id a response echoes."""

    why: str


def response_target(event: object, extra_response_hosts: Collection[str] = ()) -> ResponseTarget | Unanswerable:
    """Where the event's answer goes, or why it has none (it is then neither acted on nor answered)."""
    if not isinstance(event, Mapping):
        return Unanswerable("the event is not an object")
    ids = {key: event.get(key) for key in ("StackId", "RequestId", "LogicalResourceId")}
    missing = sorted(key for key, value in ids.items() if not isinstance(value, str) or not value)
    if missing:
        return Unanswerable(f"the event has no {', '.join(missing)}")
    problem = response_url_problem(event.get("ResponseURL"), ids["StackId"], extra_response_hosts)
    if problem:
        return Unanswerable(problem)
    return ResponseTarget(
        response_url=str(event["ResponseURL"]),
        stack_id=str(ids["StackId"]),
        request_id=str(ids["RequestId"]),
        logical_id=str(ids["LogicalResourceId"]),
        request_type=str(event.get("RequestType", "?")),
    )


def conclude(target: ResponseTarget, verdict: Verdict, *, put_timeout: float, sending: ResponseTimings) -> None:
    """Carry out an invocation's verdict: PUT an Answer, log the others.

    ``LambdaRetry`` raises ContinuationUncertain: the invocation ends with an error, and Lambda
    retries it. ``put_timeout`` is each PUT attempt's timeout in real seconds.
    """
    if isinstance(verdict, Answer):
        body = response_body(target, verdict)
        logger.info("%s: answering %s", target.names, verdict.status)
        if not put_response(target.response_url, body, timeout=put_timeout, sending=sending):
            logger.error("%s: the response could not be sent to CloudFormation", target.names)
        return
    if isinstance(verdict, HandedOver):
        logger.info(
            "%s: no response from this invocation: invocation %d carries the request on",
            target.names,
            verdict.next_invocation,
        )
        return
    if isinstance(verdict, Silence):
        logger.warning("%s: no response from this invocation: %s", target.names, verdict.why)
        return
    logger.warning("%s: no response from this invocation; Lambda retries it: %s", target.names, verdict.why)
    raise ContinuationUncertain(verdict.why)


def response_body(target: ResponseTarget, answer: Answer) -> dict[str, Any]:
    """The response document CloudFormation reads (``NoEcho`` false: no attribute is secret)."""
    return {
        "Status": str(answer.status),
        "Reason": answer.reason[:REASON_LIMIT],
        "PhysicalResourceId": answer.physical_id,
        "StackId": target.stack_id,
        "RequestId": target.request_id,
        "LogicalResourceId": target.logical_id,
        "NoEcho": False,
        "Data": dict(answer.data),
    }


def failure_reason(request_type: str, logical_id: str, message: str, advice: str = "") -> str:
    """``<RequestType> <LogicalResourceId>: <message>. <advice>`` within REASON_LIMIT characters."""
    head = f"{request_type} {_cut(logical_id, 80)}: "
    tail = f" {advice}" if advice else ""
    message = " ".join(message.split()).rstrip(".") + "."
    if len(head) + len(message) + len(tail) > REASON_LIMIT:  # the message keeps at least MESSAGE_MIN
        tail_room = max(0, REASON_LIMIT - len(head) - min(len(message), MESSAGE_MIN))
        if len(tail) > tail_room:
            tail = tail[: max(0, tail_room - len(_ELLIPSIS))] + _ELLIPSIS if tail_room > len(_ELLIPSIS) else ""
    room = REASON_LIMIT - len(head) - len(tail)
    if len(message) > room:
        message = message[: max(0, room - len(_ELLIPSIS))] + _ELLIPSIS
    return head + message + tail


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, its middle elided."""
    if len(text) <= limit:
        return text
    if limit <= len(_ELLIPSIS):
        return text[:limit]
    keep = limit - len(_ELLIPSIS)
    front = (keep + 1) // 2
    return text[:front] + _ELLIPSIS + text[len(text) - (keep - front) :]


def response_url_problem(url: object, stack_id: object, extra_hosts: Collection[str] = ()) -> str | None:
    """Why ``url`` is not a ResponseURL CloudFormation hands out for the stack (None: it is one).

    ``extra_hosts`` (``host:port``) are accepted as well: the local cloud's response endpoint.
    """
    if not isinstance(url, str):
        return "the ResponseURL is missing"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "the ResponseURL is not an HTTPS URL"
    if parts.username or parts.password:
        return "the ResponseURL carries credentials"
    if parts.netloc in extra_hosts:
        return None
    host = parts.hostname or ""
    match = _RESPONSE_HOST.fullmatch(host)
    if match is None or parts.port not in (None, 443):
        return f"the ResponseURL's host {host!r} is not CloudFormation's custom-resource response bucket"
    stack_region = str(stack_id).split(":")[3] if isinstance(stack_id, str) and stack_id.count(":") >= 5 else ""
    if match["bucket_region"] != stack_region.replace("-", "") or match["region"] not in (None, stack_region):
        return f"the ResponseURL's bucket is not the stack's region's ({stack_region or 'unknown'})"
    return None


def put_response(url: str, body: Mapping[str, Any], *, timeout: float, sending: ResponseTimings | None = None) -> bool:
    """PUT the response body to the ResponseURL; True once S3 took it (2xx).

    Each attempt waits ``timeout`` real seconds at most; a failed attempt (no connection, a 5xx)
    is retried after ``sending.pause_real`` real seconds, ``sending.attempts`` times in all. The URL
    is never logged.
    """
    sending = sending if sending is not None else ResponseTimings()
    attempts, pause = sending.attempts, sending.pause_real
    payload = json.dumps(body).encode("utf-8")
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    headers = {"content-type": "", "content-length": str(len(payload))}
    for attempt in range(1, attempts + 1):
        connection = http.client.HTTPSConnection(parts.netloc, timeout=timeout, context=ssl.create_default_context())
        try:
            connection.request("PUT", path, body=payload, headers=headers)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as exc:
            logger.warning("sending the response failed (attempt %d of %d): %s", attempt, attempts, type(exc).__name__)
        else:
            if 200 <= status < 300:
                logger.info("CloudFormation's response bucket took the response (%s)", status)
                return True
            logger.warning("the response bucket answered %s (attempt %d of %d)", status, attempt, attempts)
            if status < 500:
                return False
        finally:
            connection.close()
        if attempt < attempts:
            time.sleep(pause)
    return False
