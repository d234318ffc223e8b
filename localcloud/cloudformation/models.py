"""Stacks as the local cloud keeps them: the engine's state of a stack, and what the API describes beside it.

A stack's document (``Stack.to_dict``) holds both; it is what ``persistence.StackFiles`` writes,
and reads back unchanged.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import ResourceRecord, Status


@dataclass
class CleanupItem:
    """A physical resource a cleanup phase deletes. ``forget``: one of the stack's resources (removed by the update,
    or added by an update that rolls back), dropped from the stack once deleted; otherwise a physical id already
    out of the stack (a replaced one). ``retain``: kept without a Delete (None: as its DeletionPolicy says)."""

    record: ResourceRecord
    forget: bool
    retain: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"Record": self.record.to_dict(), "Forget": self.forget, "Retain": self.retain}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleanupItem:
        return cls(ResourceRecord.from_dict(data["Record"]), bool(data["Forget"]), data.get("Retain"))


@dataclass
class UpdateJournal:
    """What a stack update has changed, kept in the stack's document until the update (or its rollback) ends, so
    that a rollback can be continued (ContinueUpdateRollback) and an operation cut off by a stop of the local
    cloud carried on.

    ``before``: the stack's resources when the update began. ``changed``: each logical id the update sent a
    request for, in the order sent, with the properties requested; the rollback takes an id out once it is
    reverted. ``cleanup``: what the running cleanup phase still has to delete, or, while a rollback is under
    way, the replaced physical ids it has already put out of the stack.
    """

    before: dict[str, ResourceRecord]
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    cleanup: list[CleanupItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Copies first: an operation's threads change the journal while another thread saves.
        return {
            "Before": {key: record.to_dict() for key, record in dict(self.before).items()},
            "Changed": [{"LogicalResourceId": key, "Properties": value} for key, value in dict(self.changed).items()],
            "Cleanup": [item.to_dict() for item in list(self.cleanup)],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpdateJournal:
        return cls(
            before={key: ResourceRecord.from_dict(value) for key, value in data.get("Before", {}).items()},
            changed={entry["LogicalResourceId"]: entry["Properties"] for entry in data.get("Changed", [])},
            cleanup=[CleanupItem.from_dict(item) for item in data.get("Cleanup", [])],
        )


@dataclass
class StackState:
    """A deployed (or partly deployed) stack as the engine plays it: its identity and the resources that exist."""

    context: StackContext
    status: str
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    # The time scale the stack was deployed at: a later destroy keeps the emulator's pace.
    time_scale: float | None = None
    # Every physical resource the stack has held (replaced and deleted ones too), for the leftover check.
    history: dict[str, ResourceRecord] = field(default_factory=dict)
    # The update under way or whose rollback failed (None otherwise): what its rollback or cleanup needs.
    update: UpdateJournal | None = None

    def failed_rollbacks(self) -> list[str]:
        """The resources whose rollback failed (UPDATE_FAILED, not reverted yet): those ContinueUpdateRollback may
        skip."""
        pending = self.update.changed if self.update is not None else None
        return sorted(
            key
            for key, record in dict(self.resources).items()
            if record.status == Status.UPDATE_FAILED and (pending is None or key in pending)
        )

    def remember(self, record: ResourceRecord) -> None:
        """Keep ``record`` in the history, once per logical id and physical id."""
        if record.physical_id:
            self.history[f"{record.logical_id}|{record.physical_id}"] = record

    def to_dict(self) -> dict[str, Any]:
        return {
            "StackName": self.context.stack_name,
            "StackId": self.context.stack_id,
            "Region": self.context.region,
            "AccountId": self.context.account_id,
            "StackStatus": self.status,
            "TimeScale": self.time_scale,
            # Copies first: an operation's threads may add a resource while another thread saves.
            "Resources": {logical_id: record.to_dict() for logical_id, record in dict(self.resources).items()},
            "History": [record.to_dict() for record in list(self.history.values())],
            "Update": self.update.to_dict() if self.update is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackState:
        context = StackContext(
            stack_name=data["StackName"],
            stack_id=data["StackId"],
            region=data["Region"],
            account_id=data["AccountId"],
        )
        resources = {key: ResourceRecord.from_dict(value) for key, value in data.get("Resources", {}).items()}
        state = cls(context=context, status=data["StackStatus"], resources=resources, time_scale=data.get("TimeScale"))
        for record in data.get("History", []):
            state.remember(ResourceRecord.from_dict(record))
        if data.get("Update"):
            state.update = UpdateJournal.from_dict(data["Update"])
        return state


@dataclass
class ChangeSet:
    """One change set: the template and parameter values it would deploy, and what it would change."""

    change_set_id: str
    name: str
    stack_id: str
    change_set_type: str
    template_body: str
    parameters: list[dict[str, Any]]  # the API's Parameters: ParameterKey, ParameterValue, ResolvedValue
    values: dict[str, Any]  # each parameter's value as the template sees it (SSM parameters resolved)
    tags: list[dict[str, str]]
    capabilities: list[str]
    description: str | None
    created: float
    status: str = "CREATE_COMPLETE"
    status_reason: str = ""
    execution_status: str = "AVAILABLE"
    changes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stack:
    """A stack as the API describes it; ``state`` is what the engine keeps (resources, status)."""

    state: StackState
    template_body: str = ""
    parameters: list[dict[str, Any]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    description: str | None = None
    termination_protection: bool = False
    outputs: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first; Timestamp in epoch seconds
    change_sets: dict[str, ChangeSet] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    updated: float | None = None
    deleted: float | None = None
    status_reason: str = ""
    last_change_set_id: str | None = None
    # While an update runs: the stack as it was before (TemplateBody, Parameters, Values, Outputs, Description),
    # which its rollback brings back.
    previous: dict[str, Any] | None = None
    # The stack's drift detections, newest last (``drift.py``).
    drift_detections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stack_id(self) -> str:
        return self.state.context.stack_id

    @property
    def name(self) -> str:
        return self.state.context.stack_name

    @property
    def status(self) -> str:
        return str(self.state.status)

    @property
    def busy(self) -> bool:
        return self.status.endswith("_IN_PROGRESS") and self.status != Status.REVIEW_IN_PROGRESS

    def to_dict(self) -> dict[str, Any]:
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "state"}
        document["change_sets"] = {key: dataclasses.asdict(value) for key, value in self.change_sets.items()}
        return {"State": self.state.to_dict(), **document}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stack:
        values = {key: value for key, value in data.items() if key != "State"}
        values["change_sets"] = {key: ChangeSet(**value) for key, value in values.get("change_sets", {}).items()}
        return cls(state=StackState.from_dict(data["State"]), **values)


def live_stack(stacks: Iterable[Stack], name: str) -> Stack | None:
    """The stack called ``name`` that is not deleted (the newest, should there be several)."""
    live = [stack for stack in stacks if stack.name == name and stack.status != Status.DELETE_COMPLETE]
    return max(live, key=lambda stack: stack.created) if live else None
