"""What plays a resource type: the handler contract, the registry of the handlers a local cloud plugs in, and the
resources nothing plays (recorded only). The engine knows no service: each type's handler is registered here."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    ResourceDrift,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
)
from lookoutvision_localcloud.cloudformation.template import ResourceDefinition, creation_levels

SIMULATED = "simulated"  # the mode of a resource that is only recorded
CUSTOM_RESOURCE_TYPE = "AWS::CloudFormation::CustomResource"
# Types CloudFormation itself treats as records with no service behind them.
NO_OP_TYPES = frozenset({"AWS::CDK::Metadata", "AWS::CloudFormation::WaitConditionHandle"})


class ResourceHandler:
    """Plays resource types against the local cloud. Handlers never raise: failures are outcomes.

    ``mode`` says how (shown in the summary, kept in the stack's state to find the handler again);
    ``plays`` what, in a few words (a change set that holds a type nothing plays lists them).
    """

    mode: str = ""
    plays: str = ""

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        raise NotImplementedError

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        """In place (same physical id) or by replacement (a new one: the engine deletes the old in cleanup)."""
        raise NotImplementedError

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        raise NotImplementedError

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        """Bring back, in a new run, what lives only in memory (a local function, a moto resource)."""

    def refusal(self, definition: ResourceDefinition) -> str | None:
        """Why a resource written so cannot be played here (a change set fails naming it); None: it can."""
        return None

    def serves(self, properties: dict[str, Any]) -> bool:
        """Whether it can play a resource with these (resolved) properties now; otherwise it is recorded only."""
        return True

    def existing(self, record: ResourceRecord) -> list[str]:
        """What of ``record``'s physical resource still exists, each named (the leftover check)."""
        return []

    def drift(self, record: ResourceRecord) -> ResourceDrift | None:
        """Drift detection of ``record``'s physical resource; None: its type is not checked (as CloudFormation
        checks no custom resource)."""
        return None


# Why a resource whose type the local cloud checks by existence alone is UNKNOWN to drift detection while it exists.
EXISTENCE_ONLY = "The local cloud checks that this resource exists, not its properties"


def existence_drift(existing: list[str]) -> ResourceDrift:
    """Drift detection by existence alone (``existing``: what ``ResourceHandler.existing`` found): DELETED when the
    physical resource is gone, UNKNOWN (its properties not compared) while it exists."""
    return ResourceDrift("UNKNOWN", reason=EXISTENCE_ONLY) if existing else ResourceDrift("DELETED")


class SimulatedHandler(ResourceHandler):
    """Records a resource that no local service stands for: a physical id and an ARN, nothing else."""

    mode = SIMULATED

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        physical_id = physical_name(request.stack, request.logical_id)
        if is_custom_resource_type(request.resource_type):
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


class ResourceTypes:
    """The handlers of one local cloud, by resource type; the engine's HandlerLookup.

    ``simulate``: a resource nothing here plays is recorded only (``python -m lookoutvision_localcloud deploy``);
    otherwise it fails, as the CloudFormation API fails a change set naming it.
    """

    def __init__(self, *, simulate: bool = False) -> None:
        self.simulate = simulate
        self.simulated = SimulatedHandler()
        self._by_type: dict[str, ResourceHandler] = {}
        self._by_match: list[tuple[Callable[[str], bool], ResourceHandler]] = []
        self._by_mode: dict[str, ResourceHandler] = {SIMULATED: self.simulated}

    def add(
        self, handler: ResourceHandler, types: Iterable[str] = (), matches: Callable[[str], bool] | None = None
    ) -> None:
        """``handler`` plays ``types``, and every type ``matches`` accepts."""
        self._by_type.update(dict.fromkeys(types, handler))
        if matches is not None:
            self._by_match.append((matches, handler))
        self._by_mode[handler.mode] = handler

    def described(self) -> str:
        """What the registered handlers play, in a few words each."""
        handlers = {id(handler): handler for handler in [*self._by_type.values(), *(h for _, h in self._by_match)]}
        return "; ".join(handler.plays for handler in handlers.values() if handler.plays)

    def handler_of(self, resource_type: str) -> ResourceHandler | None:
        """The handler registered for ``resource_type``, if any."""
        found = self._by_type.get(resource_type)
        return found or next((handler for matches, handler in self._by_match if matches(resource_type)), None)

    def unsupported(self, resources: dict[str, ResourceDefinition]) -> list[str]:
        """``TYPE (logical ids)`` for each resource type that cannot be played here: no handler, or one that refuses
        the resource as written (e.g. a function runtime the local Lambda does not run)."""
        found: dict[str, list[str]] = {}
        for logical_id, definition in sorted(resources.items()):
            kind = definition.resource_type
            handler = self.handler_of(kind)
            if handler is None and kind not in NO_OP_TYPES:
                found.setdefault(kind, []).append(logical_id)
            elif handler is not None and (refusal := handler.refusal(definition)) is not None:
                found.setdefault(f"{kind} {refusal}", []).append(logical_id)
        return [f"{kind} ({', '.join(ids)})" for kind, ids in found.items()]

    def for_request(self, resource_type: str, properties: dict[str, Any]) -> ResourceHandler:
        handler = self.handler_of(resource_type)
        if handler is None or (self.simulate and not handler.serves(properties)):
            return self.simulated
        return handler

    def for_record(self, record: ResourceRecord) -> ResourceHandler:
        return self._by_mode[record.mode]

    def restore(self, records: dict[str, ResourceRecord], stack: StackContext) -> list[str]:
        """Bring back, in creation order, what a previous run left only in memory (functions, moto).

        Returns a warning per resource that could not be brought back (its Delete will say more).
        """
        graph = {key: set(record.dependencies) & set(records) for key, record in records.items()}
        warnings = []
        for level in creation_levels(graph):
            for logical_id in level:
                record = records[logical_id]
                if not record.physical_id:
                    continue
                try:
                    self.for_record(record).restore(record, stack)
                except Exception as exc:  # reported, and the Delete goes on
                    warnings.append(f"{logical_id}: could not restore the local {record.mode}: {exc}")
        return warnings


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


def is_custom_resource_type(resource_type: str) -> bool:
    """A custom resource's type: ``Custom::*`` or ``AWS::CloudFormation::CustomResource``."""
    return resource_type.startswith("Custom::") or resource_type == CUSTOM_RESOURCE_TYPE
