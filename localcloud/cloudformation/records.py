"""The driver's typed data: resource requests and outcomes, statuses, stack events, resource records."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext

STACK_TYPE = "AWS::CloudFormation::Stack"  # the resource type of a stack's own events


class RequestType(enum.StrEnum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


class Status(enum.StrEnum):
    """Resource and stack statuses, in CloudFormation's words."""

    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"
    DELETE_SKIPPED = "DELETE_SKIPPED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED = "UPDATE_FAILED"
    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    UPDATE_ROLLBACK_IN_PROGRESS = "UPDATE_ROLLBACK_IN_PROGRESS"
    UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
    UPDATE_ROLLBACK_COMPLETE = "UPDATE_ROLLBACK_COMPLETE"
    UPDATE_ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"
    REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
    IMPORT_COMPLETE = "IMPORT_COMPLETE"

    @property
    def failed(self) -> bool:
        return self.endswith("_FAILED")

    @property
    def ready(self) -> bool:
        """The resource exists and may be referred to."""
        return self in (Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE)


# A stack takes a change set (or UpdateStack) in these statuses.
UPDATABLE = frozenset(
    {Status.CREATE_COMPLETE, Status.UPDATE_COMPLETE, Status.UPDATE_ROLLBACK_COMPLETE, Status.IMPORT_COMPLETE}
)


@dataclass(frozen=True)
class ResourceRequest:
    """What the driver asks a resource handler to do (for custom resources: the event's content)."""

    request_type: RequestType
    logical_id: str
    resource_type: str
    properties: dict[str, Any]
    stack: StackContext
    physical_id: str | None = None
    old_properties: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceOutcome:
    """A handler's answer. A failed Create may still carry the physical id it answered."""

    success: bool
    mode: str  # how the local cloud played it: its handler's mode
    physical_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    note: str = ""
    # What a later run needs to bring the resource back (e.g. where a function's code is).
    local: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(cls, mode: str, reason: str, physical_id: str | None = None) -> ResourceOutcome:
        return cls(success=False, mode=mode, physical_id=physical_id, reason=reason)


@dataclass(frozen=True)
class ResourceDrift:
    """What a handler found of a resource's physical resource, for drift detection: ``status`` in CloudFormation's
    words (``IN_SYNC``: as its template says; ``DELETED``: gone; ``UNKNOWN``: not compared, ``reason`` says why),
    and the properties found (IN_SYNC)."""

    status: str
    actual: dict[str, Any] | None = None
    reason: str = ""


@dataclass
class ResourceRecord:
    """What the stack state keeps of one resource between runs."""

    logical_id: str
    resource_type: str
    status: Status
    mode: str
    properties: dict[str, Any]
    dependencies: list[str]
    physical_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    retained: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    local: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResourceRecord:
        values = dict(data)
        values["status"] = Status(values["status"])
        return cls(**values)


@dataclass(frozen=True)
class StackEvent:
    """One line of the stack's event stream."""

    timestamp: float
    elapsed: float
    stack_name: str
    logical_id: str
    resource_type: str
    status: Status
    reason: str = ""
    physical_id: str | None = None
