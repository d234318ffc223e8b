"""What the provider answers CloudFormation: an Outcome on success, a short Reason on failure.

crhelper sends the response; this module decides its content. A Reason is written for the
person reading ``cdk deploy`` output — the request, the resource, what the service said and what
to do — and is kept within crhelper's 256 characters (it would otherwise keep only the tail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
