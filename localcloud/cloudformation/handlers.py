"""The resource handler contract, CloudFormation-style generated names, and the simulated handler."""

from __future__ import annotations

import re
import secrets
import string
from typing import Protocol

from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.records import Mode, ResourceOutcome, ResourceRecord, ResourceRequest


class ResourceHandler(Protocol):
    """Plays one resource type against the local cloud. Handlers never raise: failures are outcomes."""

    mode: Mode

    def create(self, request: ResourceRequest) -> ResourceOutcome: ...

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        """In place (same physical id) or by replacement (a new one: the engine deletes the old in cleanup)."""

    def delete(self, request: ResourceRequest) -> ResourceOutcome: ...

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        """Bring back, in a new run, what lives only in memory (a local function, a moto resource)."""


def physical_name(stack: StackContext, logical_id: str, max_length: int = 64, lowercase: bool = False) -> str:
    """A name as CloudFormation generates one: ``<stack>-<logicalId>-<RANDOM>``, shortened to fit."""
    alphabet = string.ascii_uppercase + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(12))
    room = max_length - len(suffix) - 2
    stack_part = stack.stack_name[: room // 2]
    logical_part = logical_id[: room - len(stack_part)]
    name = f"{stack_part}-{logical_part}-{suffix}"
    if lowercase:
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())
    return name


def service_of(resource_type: str) -> str:
    """``AWS::IAM::Role`` → ``iam``; ``Custom::Thing`` → ``custom``."""
    parts = resource_type.split("::")
    return parts[1].lower() if len(parts) > 1 else resource_type.lower()


class SimulatedHandler:
    """Records a resource that no local service stands for: a physical id and an ARN, nothing else."""

    mode = Mode.SIMULATED

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        physical_id = physical_name(request.stack, request.logical_id)
        if request.resource_type.startswith("Custom::") or request.resource_type == _CUSTOM_RESOURCE:
            note = "no local function behind its ServiceToken"
        else:
            note = "no local service for this type"
        stack = request.stack
        arn = (
            f"arn:{stack.partition}:{service_of(request.resource_type)}:{stack.region}:{stack.account_id}:{physical_id}"
        )
        return ResourceOutcome(True, self.mode, physical_id, {"Arn": arn}, note=note)

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        return ResourceOutcome(True, self.mode, request.physical_id)  # the engine keeps its attributes

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        return ResourceOutcome(True, self.mode, request.physical_id)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        return None


_CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


def is_custom_resource(resource_type: str, properties: dict[str, object]) -> bool:
    """A custom resource: ``Custom::*`` or ``AWS::CloudFormation::CustomResource`` with a ServiceToken."""
    return (resource_type.startswith("Custom::") or resource_type == _CUSTOM_RESOURCE) and "ServiceToken" in properties
