"""What one invocation does about its request, as a value: every path of a request ends in exactly one.

``Answer`` (SUCCESS or FAILED, the physical id of what exists, Data, Reason), ``HandedOver`` (a
new invocation answers), ``Silence`` (CloudFormation stopped waiting) or ``LambdaRetry`` (ended
with an error, no answer). ``lookoutvision_cdk_provider.cfn_response.conclude`` carries a verdict out; nothing else
answers CloudFormation. Why: docs/decisions/0004.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ResponseStatus(enum.StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


@dataclass(frozen=True)
class Answer:
    """The response CloudFormation gets; ``reason`` is a FAILED's Reason, or a SUCCESS's note."""

    status: ResponseStatus
    physical_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def succeeded(cls, physical_id: str, data: Mapping[str, Any] | None = None, note: str = "") -> Answer:
        return cls(ResponseStatus.SUCCESS, physical_id, dict(data or {}), note)

    @classmethod
    def failed(cls, physical_id: str, reason: str) -> Answer:
        return cls(ResponseStatus.FAILED, physical_id, {}, reason)


@dataclass(frozen=True)
class HandedOver:
    """Invocation ``next_invocation`` of the function carries the request on."""

    next_invocation: int


@dataclass(frozen=True)
class Silence:
    why: str


@dataclass(frozen=True)
class LambdaRetry:
    why: str


Verdict = Answer | HandedOver | Silence | LambdaRetry
