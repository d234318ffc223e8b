"""CloudFormation's response protocol: what the provider answers, and where and how it PUTs it.

An Outcome on success, a short Reason on failure: a Reason is written for the person reading
``cdk deploy`` output — the request, the resource, what the service said and what to do — and is
kept within crhelper's 256 characters (it would otherwise keep only the tail). crhelper builds
the response body; ``put_response`` sends it, over HTTPS, with a timeout and a bounded number of
attempts (crhelper's own sender has no timeout and retries forever). ``response_url_problem``
says whether a ResponseURL is one CloudFormation hands out — a presigned HTTPS URL of its
custom-resource response bucket on S3 — so that an event from anyone else allowed to invoke the
function never makes the provider PUT to a host of their choosing.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import ssl
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

# The hosts of CloudFormation's custom-resource response bucket, one per region (its name carries the
# region without dashes): virtual-hosted S3 names, global or regional, in the aws, aws-cn and
# aws-us-gov partitions.
_RESPONSE_HOST = re.compile(
    r"cloudformation-custom-resource-response-(?P<bucket_region>[a-z0-9]+)"
    r"\.s3(?:[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+))?\.amazonaws\.com(?:\.cn)?"
)

# crhelper cuts longer reasons to their last 240 characters.
REASON_LIMIT = 256
# Characters of the message kept before the advice is shortened.
MESSAGE_MIN = 120
_ELLIPSIS = "..."


@dataclass(frozen=True)
class Outcome:
    """A successful request's answer: the physical id, the response Data and an optional note (its Reason)."""

    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    note: str = ""


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


def request_names(event: Mapping[str, Any]) -> tuple[str, str]:
    """The event's RequestType and LogicalResourceId, for messages ("?" when missing)."""
    return str(event.get("RequestType", "?")), str(event.get("LogicalResourceId", "?"))


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


def put_response(url: str, body: Mapping[str, Any], *, timeout: float, attempts: int = 3, pause: float = 1.0) -> bool:
    """PUT the response body to the ResponseURL; True once S3 took it (2xx).

    Each attempt waits ``timeout`` real seconds at most; a failed attempt (no connection, a 5xx)
    is retried after ``pause`` real seconds, ``attempts`` times in all. The URL is never logged.
    """
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
