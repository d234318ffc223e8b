"""The custom-resource request, read once from an event whose answer has a target.

``lookoutvision_cdk_provider.cfn_response.response_target`` first reads where the answer goes; ``parse_request``
then reads what the event asks, RejectedEvent for a request CloudFormation cannot have sent.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lookoutvision_cdk_provider.cfn_response import ResponseTarget
from lookoutvision_cdk_provider.errors import RejectedEvent
from lookoutvision_cdk_provider.identifiers import FailedCreate, PhysicalId, parse_physical_id


class RequestType(enum.StrEnum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"


@dataclass(frozen=True)
class CustomResourceRequest:
    """One request as CloudFormation sent it (a continuation carries the same event on).

    ``physical_id`` is None for a Create; ``properties`` and ``old_properties`` are the event's
    ResourceProperties and OldResourceProperties as given (``lookoutvision_cdk_provider.properties`` validates
    them); ``event`` is the event itself, which a hand-over passes on.
    """

    target: ResponseTarget
    request_type: RequestType
    resource_type: str
    physical_id: str | None
    properties: Any
    old_properties: Any
    event: Mapping[str, Any]

    @property
    def request_id(self) -> str:
        return self.target.request_id

    @property
    def logical_id(self) -> str:
        return self.target.logical_id

    @property
    def stack_id(self) -> str:
        return self.target.stack_id

    def named(self) -> PhysicalId | None:
        """What the event's physical id names (None for a Create)."""
        if self.physical_id is None:
            return None
        return parse_physical_id(self.physical_id, self.stack_id, self.logical_id)

    def property(self, name: str) -> object:
        """One of the ResourceProperties as given (None when they are no object or lack it)."""
        return self.properties.get(name) if isinstance(self.properties, Mapping) else None


def parse_request(event: Mapping[str, Any], target: ResponseTarget) -> CustomResourceRequest:
    """The request the event holds; RejectedEvent for one CloudFormation cannot have sent."""
    try:
        request_type = RequestType(str(event.get("RequestType")))
    except ValueError:
        raise RejectedEvent(f"unknown RequestType {event.get('RequestType')!r}") from None
    resource_type = event.get("ResourceType")
    if not isinstance(resource_type, str):
        raise RejectedEvent("the event has no ResourceType")
    physical_id = event.get("PhysicalResourceId")
    if request_type is RequestType.CREATE:
        physical_id = None
    elif not isinstance(physical_id, str) or not physical_id:
        raise RejectedEvent(f"the {request_type} has no PhysicalResourceId")
    return CustomResourceRequest(
        target=target,
        request_type=request_type,
        resource_type=resource_type,
        physical_id=physical_id,
        properties=event.get("ResourceProperties"),
        old_properties=event.get("OldResourceProperties"),
        event=event,
    )


def untouched_physical_id(event: Mapping[str, Any], target: ResponseTarget) -> str:
    """The physical id of an answer given before anything was done: the event's, or a failed Create's."""
    physical_id = event.get("PhysicalResourceId")
    if target.request_type != RequestType.CREATE and isinstance(physical_id, str) and physical_id:
        return physical_id
    return FailedCreate.of(target.stack_id, target.logical_id, target.request_id).physical_id
