"""CloudFormation's stacks and change sets over the local engine, as the CloudFormation API presents them.

A change set is computed when it is created (CREATE_COMPLETE, or FAILED with CloudFormation's
reason: no changes, or a resource type the local cloud cannot play); ExecuteChangeSet and
DeleteStack start the engine's operation in the background and return at once, and the
Describe/List/Get operations read what it has done so far. Each method takes the operation's
input as botocore's model names it and returns its output the same way (``front.py`` does the wire).

State: one JSON document per stack (``<state dir>/<stack uuid>.json``), written after every step,
so stacks survive a restart of the local cloud; a deleted stack stays describable by its id.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from localcloud.cloud import LocalCloud
from localcloud.cloudformation import change_sets
from localcloud.cloudformation.engine import StackOperation
from localcloud.cloudformation.errors import (
    AlreadyExistsError,
    ChangeSetNotFoundError,
    InsufficientCapabilitiesError,
    InvalidChangeSetStatusError,
    TemplateError,
    ValidationError,
)
from localcloud.cloudformation.records import UPDATABLE, ResourceRecord, StackEvent, Status
from localcloud.cloudformation.state import StackState
from localcloud.cloudformation.template import Template, load_template_body

logger = logging.getLogger(__name__)

STACK_TYPE = "AWS::CloudFormation::Stack"
REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
DELETE_COMPLETE = "DELETE_COMPLETE"
# What a stack found in progress when the local cloud starts becomes: its operation ended with the process.
_INTERRUPTED = {
    "CREATE_IN_PROGRESS": "ROLLBACK_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
}
_IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": "",
    "AWS::IAM::AccessKey": "",
    "AWS::IAM::UserToGroupAddition": "",
}
_SSM_PARAMETER_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")
_PAGE = 100


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
        return self.status.endswith("_IN_PROGRESS") and self.status != REVIEW_IN_PROGRESS

    def to_dict(self) -> dict[str, Any]:
        document = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "state"}
        document["change_sets"] = {key: dataclasses.asdict(value) for key, value in self.change_sets.items()}
        return {"State": self.state.to_dict(), **document}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stack:
        values = {key: value for key, value in data.items() if key != "State"}
        values["change_sets"] = {key: ChangeSet(**value) for key, value in values.get("change_sets", {}).items()}
        return cls(state=StackState.from_dict(data["State"]), **values)


class CloudFormationService:
    """The stacks of one local cloud. ``state_dir``: where stack documents are kept (None: in memory)."""

    def __init__(self, cloud: LocalCloud, state_dir: Path | None = None, *, max_workers: int = 8) -> None:
        self.cloud = cloud
        self.resources = cloud.resources
        self._state_dir = state_dir
        self._max_workers = max_workers
        self._lock = threading.RLock()
        self._stacks: dict[str, Stack] = {}
        self._operations: dict[str, threading.Thread] = {}
        # Per stack id: what a running change set does when the stack's status becomes final.
        self._endings: dict[str, Callable[[str], None]] = {}
        self._load()

    # -- change sets ---------------------------------------------------------------------------

    def create_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        stack_name, name = params["StackName"], params["ChangeSetName"]
        kind = params.get("ChangeSetType", "UPDATE")
        if kind not in ("CREATE", "UPDATE"):
            raise ValidationError(f"ChangeSetType {kind} is not supported by the local cloud (CREATE or UPDATE)")
        with self._lock:
            stack = self._live(stack_name)
            if kind == "CREATE" and stack is not None and stack.status != REVIEW_IN_PROGRESS:
                raise AlreadyExistsError(f"Stack [{stack_name}] already exists")
            if kind == "UPDATE":
                if stack is None:
                    raise ValidationError(f"Stack [{stack_name}] does not exist")
                self._check_updatable(stack)
            body = self._template_body(params, stack)
            template = _parse(body)
            _check_capabilities(template, params.get("Capabilities") or [])
            previous = {p["ParameterKey"]: p["ParameterValue"] for p in stack.parameters} if stack is not None else {}
            api_parameters, values = self._parameters(template, params.get("Parameters") or [], previous)
            if stack is None:
                stack = self._new_stack(stack_name, params)
            if any(existing.name == name for existing in stack.change_sets.values()):
                raise AlreadyExistsError(f"ChangeSet [{name}] already exists")
            region, account = stack.state.context.region, stack.state.context.account_id
            change_set = ChangeSet(
                change_set_id=f"arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{uuid.uuid4()}",
                name=name,
                stack_id=stack.stack_id,
                change_set_type=kind,
                template_body=body,
                parameters=api_parameters,
                values=values,
                tags=list(params.get("Tags") or []),
                capabilities=list(params.get("Capabilities") or []),
                description=params.get("Description"),
                created=time.time(),
            )
            self._describe_changes(stack, change_set, template)
            stack.change_sets[change_set.change_set_id] = change_set
            self._save(stack)
            return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    def describe_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack, change_set = self._change_set(params)
            return {
                "ChangeSetName": change_set.name,
                "ChangeSetId": change_set.change_set_id,
                "StackId": stack.stack_id,
                "StackName": stack.name,
                "Description": change_set.description,
                "Parameters": _shown(change_set.parameters, _no_echo(change_set.template_body)),
                "CreationTime": _time(change_set.created),
                "ExecutionStatus": change_set.execution_status,
                "Status": change_set.status,
                "StatusReason": change_set.status_reason or None,
                "NotificationARNs": [],
                "RollbackConfiguration": {},
                "Capabilities": change_set.capabilities,
                "Tags": change_set.tags,
                "Changes": change_set.changes,
                "IncludeNestedStacks": False,
            }

    def execute_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack, change_set = self._change_set(params)
            if change_set.execution_status != "AVAILABLE":
                raise InvalidChangeSetStatusError(
                    f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
                    f"[{change_set.execution_status}]"
                )
            if stack.busy:
                raise InvalidChangeSetStatusError(
                    f"Stack [{stack.stack_id}] is in {stack.status} state and can not be updated."
                )
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            # Once a change set runs, CloudFormation deletes the stack's other change sets.
            stack.change_sets = {change_set.change_set_id: change_set}
            stack.last_change_set_id = change_set.change_set_id
            self._start(stack, change_set, params.get("ClientRequestToken"), params.get("DisableRollback", False))
            return {}

    def delete_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                stack, change_set = self._change_set(params)
            except ChangeSetNotFoundError:
                return {}  # as CloudFormation: the CDK CLI deletes a change set it may never have made
            if change_set.execution_status == "EXECUTE_IN_PROGRESS":
                raise InvalidChangeSetStatusError(
                    f"Cannot delete ChangeSet in status {change_set.execution_status}: it is being executed"
                )
            del stack.change_sets[change_set.change_set_id]
            self._save(stack)
            return {}

    def list_change_sets(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"])
            summaries = [
                {
                    "StackId": stack.stack_id,
                    "StackName": stack.name,
                    "ChangeSetId": change_set.change_set_id,
                    "ChangeSetName": change_set.name,
                    "ExecutionStatus": change_set.execution_status,
                    "Status": change_set.status,
                    "StatusReason": change_set.status_reason or None,
                    "CreationTime": _time(change_set.created),
                    "Description": change_set.description,
                    "IncludeNestedStacks": False,
                }
                for change_set in stack.change_sets.values()
            ]
            return {"Summaries": summaries}

    # -- stacks --------------------------------------------------------------------------------

    def create_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._live(params["StackName"]) is not None:
                raise AlreadyExistsError(f"Stack [{params['StackName']}] already exists")
            return self._direct(params, "CREATE")

    def update_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._direct(params, "UPDATE")

    def _direct(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """CreateStack and UpdateStack: a change set of the service's own, executed at once."""
        name = f"direct-{uuid.uuid4()}"
        created = self.create_change_set({**params, "ChangeSetName": name, "ChangeSetType": kind})
        stack, change_set = self._change_set({"ChangeSetName": created["Id"]})
        if change_set.status == "FAILED":
            del stack.change_sets[change_set.change_set_id]
            if kind == "CREATE":
                self._forget_review_stack(stack)
            if change_set.status_reason == change_sets.NO_CHANGES:
                raise ValidationError("No updates are to be performed.")
            raise ValidationError(change_set.status_reason)
        self.execute_change_set(
            {"ChangeSetName": created["Id"], "ClientRequestToken": params.get("ClientRequestToken")}
        )
        return {"StackId": stack.stack_id}

    def delete_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._find(params["StackName"])
            if stack is None or stack.status in (DELETE_COMPLETE, "DELETE_IN_PROGRESS"):
                return {}  # CloudFormation answers success for a stack that is gone or going
            if stack.termination_protection:
                raise ValidationError(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
            if stack.busy:
                raise ValidationError(f"Stack [{stack.stack_id}] cannot be deleted while in status {stack.status}")
            retain = set(params.get("RetainResources") or [])
            if retain and stack.status != "DELETE_FAILED":
                raise ValidationError(
                    "Invalid operation on stack: RetainResources can only be specified when the stack is in the "
                    "DELETE_FAILED state"
                )
            for logical_id in retain & set(stack.state.resources):
                stack.state.resources[logical_id].retained = True
            stack.change_sets.clear()
            self._start(stack, None, params.get("ClientRequestToken"), False)
            return {}

    def update_termination_protection(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"])
            stack.termination_protection = bool(params["EnableTerminationProtection"])
            self._save(stack)
            return {"StackId": stack.stack_id}

    def describe_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if params.get("StackName"):
                stacks = [self._stack(params["StackName"])]
            else:
                stacks = [stack for stack in self._stacks.values() if stack.status != DELETE_COMPLETE]
            page, token = _page(sorted(stacks, key=lambda s: -s.created), params.get("NextToken"))
            return {"Stacks": [self._description(stack) for stack in page], "NextToken": token}

    def list_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("StackStatusFilter") or [])
        with self._lock:
            stacks = [s for s in self._stacks.values() if not wanted or s.status in wanted]
            page, token = _page(sorted(stacks, key=lambda s: -s.created), params.get("NextToken"))
            summaries = [
                {
                    "StackId": stack.stack_id,
                    "StackName": stack.name,
                    "TemplateDescription": stack.description,
                    "CreationTime": _time(stack.created),
                    "LastUpdatedTime": _time(stack.updated),
                    "DeletionTime": _time(stack.deleted),
                    "StackStatus": stack.status,
                    "StackStatusReason": stack.status_reason or None,
                }
                for stack in page
            ]
            return {"StackSummaries": summaries, "NextToken": token}

    def describe_stack_events(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            name = params["StackName"]
            stack = self._find(name)
            if stack is None:
                raise ValidationError(f"Stack [{name}] does not exist")
            events = [{**event, "Timestamp": _time(event["Timestamp"])} for event in reversed(stack.events)]
            page, token = _page(events, params.get("NextToken"))
            return {"StackEvents": page, "NextToken": token}

    def describe_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params.get("StackName") or "")
            wanted = params.get("LogicalResourceId")
            resources = [
                {
                    "StackName": stack.name,
                    "StackId": stack.stack_id,
                    "LogicalResourceId": logical_id,
                    "PhysicalResourceId": record.physical_id,
                    "ResourceType": record.resource_type,
                    "Timestamp": _time(self._last_event(stack, record, "Timestamp") or stack.created),
                    "ResourceStatus": str(record.status),
                    "ResourceStatusReason": self._last_event(stack, record, "ResourceStatusReason"),
                    "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
                }
                for logical_id, record in dict(stack.state.resources).items()
                if wanted in (None, logical_id)
            ]
            return {"StackResources": resources}

    def describe_stack_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.describe_stack_resources(params)["StackResources"]
        if not found:
            raise ValidationError(
                f"Resource {params['LogicalResourceId']} does not exist for stack {params['StackName']}"
            )
        detail = {**found[0], "LastUpdatedTimestamp": found[0].pop("Timestamp"), "Metadata": "{}"}
        return {"StackResourceDetail": detail}

    def list_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        described = self.describe_stack_resources({"StackName": params["StackName"]})["StackResources"]
        summaries = [
            {
                "LogicalResourceId": resource["LogicalResourceId"],
                "PhysicalResourceId": resource["PhysicalResourceId"],
                "ResourceType": resource["ResourceType"],
                "LastUpdatedTimestamp": resource["Timestamp"],
                "ResourceStatus": resource["ResourceStatus"],
                "ResourceStatusReason": resource["ResourceStatusReason"],
                "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
            }
            for resource in described
        ]
        page, token = _page(summaries, params.get("NextToken"))
        return {"StackResourceSummaries": page, "NextToken": token}

    def get_template(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if params.get("ChangeSetName"):
                _, change_set = self._change_set(params)
                body = change_set.template_body
            else:
                body = self._stack(params.get("StackName") or "").template_body
            return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}

    def get_template_summary(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"]) if params.get("StackName") else None
            body = self._template_body(params, stack)
        document = load_template_body(body)
        template = _parse(body)
        needed = _capabilities_needed(template)
        return {
            "Parameters": [
                _parameter_declaration(name, definition) for name, definition in template.parameters.items()
            ],
            "Description": document.get("Description"),
            "Capabilities": needed,
            "CapabilitiesReason": "The template contains IAM resources" if needed else None,
            "ResourceTypes": sorted({definition.resource_type for definition in template.resources.values()}),
            "Version": document.get("AWSTemplateFormatVersion"),
            "Metadata": json.dumps(document["Metadata"]) if "Metadata" in document else None,
            "DeclaredTransforms": [],
            "ResourceIdentifierSummaries": [],
        }

    def validate_template(self, params: dict[str, Any]) -> dict[str, Any]:
        summary = self.get_template_summary(params)
        return {
            "Parameters": [
                {
                    "ParameterKey": parameter["ParameterKey"],
                    "DefaultValue": parameter.get("DefaultValue"),
                    "NoEcho": parameter["NoEcho"],
                    "Description": parameter.get("Description"),
                }
                for parameter in summary["Parameters"]
            ],
            "Description": summary["Description"],
            "Capabilities": summary["Capabilities"],
            "CapabilitiesReason": summary["CapabilitiesReason"],
            "DeclaredTransforms": [],
        }

    def list_hook_results(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"HookResults": []}  # the local cloud runs no hooks

    # -- for the local cloud itself --------------------------------------------------------------

    def stacks_named(self, name: str) -> list[Stack]:
        """Every stack called ``name``, deleted ones too, newest first."""
        with self._lock:
            return sorted((s for s in self._stacks.values() if s.name == name), key=lambda s: -s.created)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait (real seconds) until no stack operation runs; False when one still runs at the timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                running = [thread for thread in self._operations.values() if thread.is_alive()]
            if not running:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            running[0].join(remaining)

    # -- operations ----------------------------------------------------------------------------

    def _start(self, stack: Stack, change_set: ChangeSet | None, token: str | None, disable_rollback: bool) -> None:
        """Run the change set (None: delete the stack) in the background. The stack's status changes now."""
        operation_id = str(uuid.uuid4())
        kind = "DELETE" if change_set is None else change_set.change_set_type
        stack.state.status = {"DELETE": "DELETE_IN_PROGRESS", "CREATE": "CREATE_IN_PROGRESS"}.get(
            kind, "UPDATE_IN_PROGRESS"
        )
        stack.status_reason = "User Initiated"
        self._save(stack)
        operation = StackOperation(
            stack.state,
            self.resources,
            store=_StackStore(self, stack),
            on_event=lambda event: self._record_event(stack, event, operation_id, token),
            max_workers=self._max_workers,
        )
        thread = threading.Thread(
            target=self._run, args=(stack, change_set, operation), name=f"stack-{stack.name}", daemon=True
        )
        self._operations[stack.stack_id] = thread
        thread.start()

    def _run(self, stack: Stack, change_set: ChangeSet | None, operation: StackOperation) -> None:
        try:
            if change_set is None:
                operation.destroy()
            else:
                template = _parse(change_set.template_body)
                creating = change_set.change_set_type == "CREATE"
                previous = (stack.template_body, stack.parameters, stack.values, stack.outputs, stack.description)
                with self._lock:
                    self._apply(stack, change_set)
                    self._endings[stack.stack_id] = lambda status: self._finish_deploy(
                        stack,
                        change_set,
                        status,
                        template=template,
                        operation=operation,
                        previous=None if creating else previous,
                    )
                if creating:
                    operation.deploy(template, change_set.values)
                else:
                    operation.update(template, change_set.values)
        except Exception:
            logger.exception("the operation on stack %s ended with an error", stack.name)
            with self._lock:
                failed = {"CREATE_IN_PROGRESS": "ROLLBACK_FAILED", "DELETE_IN_PROGRESS": "DELETE_FAILED"}
                stack.state.status = failed.get(stack.status, "UPDATE_ROLLBACK_FAILED")
                stack.status_reason = "Internal failure of the local cloud: see the serve log"
        finally:
            with self._lock:
                self._endings.pop(stack.stack_id, None)
                if stack.status == DELETE_COMPLETE:
                    stack.deleted = time.time()
                self._save(stack)

    def _apply(self, stack: Stack, change_set: ChangeSet) -> None:
        """The change set's template, parameters and tags become the stack's (restored if an update rolls back)."""
        with self._lock:
            stack.template_body = change_set.template_body
            stack.parameters, stack.values = change_set.parameters, change_set.values
            stack.tags, stack.capabilities = change_set.tags, change_set.capabilities
            stack.description = load_template_body(change_set.template_body).get("Description")
            if change_set.change_set_type == "UPDATE":
                stack.updated = time.time()

    def _finish_deploy(
        self,
        stack: Stack,
        change_set: ChangeSet,
        status: str,
        *,
        template: Template,
        operation: StackOperation,
        previous: tuple[str, list[dict[str, Any]], dict[str, Any], list[dict[str, str]], str | None] | None,
    ) -> None:
        """The change set's end, made with the stack's final status (its event): outputs, or the old stack back."""
        succeeded = status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
        stack.change_sets.pop(change_set.change_set_id, None)  # an executed change set is gone, as on AWS
        if succeeded:
            stack.outputs = self._api_outputs(stack, template, operation.outputs)
        elif previous is not None:  # an update rolled back: the stack is what it was
            stack.template_body, stack.parameters, stack.values, stack.outputs, stack.description = previous

    def _record_event(self, stack: Stack, event: StackEvent, operation_id: str, token: str | None) -> None:
        with self._lock:
            stack.events.append(
                {
                    "StackId": stack.stack_id,
                    "EventId": str(uuid.uuid4()),
                    "StackName": stack.name,
                    "LogicalResourceId": event.logical_id,
                    "PhysicalResourceId": event.physical_id or "",
                    "ResourceType": event.resource_type,
                    "Timestamp": event.timestamp,
                    "ResourceStatus": str(event.status),
                    "ResourceStatusReason": event.reason or None,
                    "ClientRequestToken": token,
                    "OperationId": operation_id,
                }
            )
            if event.resource_type == STACK_TYPE and event.logical_id == stack.name:
                # A rollback's end keeps the reason it started with: which resources failed.
                stack.status_reason = event.reason or (stack.status_reason if "ROLLBACK" in event.status else "")
                # The engine sets the status just after this event: whoever reads the final status
                # finds the outputs (or the stack before a rolled-back update) already in place.
                ending = self._endings.pop(stack.stack_id, None) if not event.status.endswith("_IN_PROGRESS") else None
                if ending is not None:
                    ending(str(event.status))
            self._save(stack)

    # -- lookups -------------------------------------------------------------------------------

    def _find(self, name_or_id: str) -> Stack | None:
        """By stack id (deleted stacks too), or by name (the live stack)."""
        if name_or_id.startswith("arn:"):
            return self._stacks.get(name_or_id)
        return self._live(name_or_id)

    def _live(self, name: str) -> Stack | None:
        live = [s for s in self._stacks.values() if s.name == name and s.status != DELETE_COMPLETE]
        return max(live, key=lambda s: s.created) if live else None

    def _stack(self, name_or_id: str) -> Stack:
        stack = self._find(name_or_id)
        if stack is None:
            raise ValidationError(f"Stack with id {name_or_id} does not exist")
        return stack

    def _change_set(self, params: dict[str, Any]) -> tuple[Stack, ChangeSet]:
        name = params["ChangeSetName"]
        if name.startswith("arn:"):
            for stack in self._stacks.values():
                if name in stack.change_sets:
                    return stack, stack.change_sets[name]
            raise ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")
        stack_name = params.get("StackName")
        if not stack_name:
            raise ValidationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
        found = self._find(stack_name)
        if found is None:
            raise ValidationError(f"Stack [{stack_name}] does not exist")
        for change_set in found.change_sets.values():
            if change_set.name == name:
                return found, change_set
        raise ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")

    def _last_event(self, stack: Stack, record: ResourceRecord, key: str) -> Any:
        """``key`` of the resource's latest event about its physical resource (not about one it replaced, such as
        the cleanup's DELETE_FAILED of a previous physical id)."""
        for event in reversed(stack.events):
            if event["LogicalResourceId"] != record.logical_id or event["ResourceType"] == STACK_TYPE:
                continue
            if event["PhysicalResourceId"] in ("", record.physical_id):
                return event.get(key)
        return None

    @staticmethod
    def _check_updatable(stack: Stack) -> None:
        if stack.status not in UPDATABLE:
            raise ValidationError(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")

    # -- change set contents -------------------------------------------------------------------

    def _template_body(self, params: dict[str, Any], stack: Stack | None) -> str:
        if params.get("TemplateBody"):
            return str(params["TemplateBody"])
        if params.get("TemplateURL"):
            return self._read_template_url(str(params["TemplateURL"]))
        if params.get("UsePreviousTemplate") and stack is not None and stack.template_body:
            return stack.template_body
        raise ValidationError("Either Template URL or Template Body must be specified.")

    def _read_template_url(self, url: str) -> str:
        """The template object in the local S3: the bucket and key come from the URL (path style, or the bucket
        in the host name); nothing is fetched from the network."""
        parts = urlsplit(url)
        path = unquote(parts.path).lstrip("/")
        host = parts.hostname or ""
        virtual = re.match(r"^(.+)\.s3[.-]", host)
        bucket, _, key = (f"{virtual.group(1)}/{path}" if virtual else path).partition("/")
        if not bucket or not key:
            raise ValidationError(f"TemplateURL must be an Amazon S3 URL that names a bucket and a key: {url}")
        try:
            body = self.cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise ValidationError(
                f"S3 error: Unable to get object s3://{bucket}/{key}: {exc.response.get('Error', {}).get('Code')}"
            ) from exc
        return body.decode("utf-8")

    def _parameters(
        self, template: Template, given: list[dict[str, Any]], previous: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The API's Parameters and each parameter's value for the template (SSM parameters read from SSM).
        ``previous``: the values the stack was given (for UsePreviousValue)."""
        by_key = {str(p["ParameterKey"]): p for p in given}
        unknown = sorted(set(by_key) - set(template.parameters))
        if unknown:
            raise ValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
        values: dict[str, str] = {}
        missing = []
        for name, definition in template.parameters.items():
            supplied = by_key.get(name, {})
            if supplied.get("UsePreviousValue") and name in previous:
                values[name] = str(previous[name])
            elif "ParameterValue" in supplied:
                values[name] = str(supplied["ParameterValue"])
            elif "Default" in definition:
                values[name] = _as_parameter_text(definition["Default"])
            else:
                missing.append(name)
        if missing:
            raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
        api_parameters: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, definition in template.parameters.items():
            value = values[name]
            _check_constraints(name, definition, value)
            entry: dict[str, Any] = {"ParameterKey": name, "ParameterValue": value}
            if _SSM_PARAMETER_TYPE.match(str(definition.get("Type", ""))):
                entry["ResolvedValue"] = self._ssm_value(value)
                resolved[name] = entry["ResolvedValue"]
            else:
                resolved[name] = value
            api_parameters.append(entry)
        return api_parameters, resolved

    def _ssm_value(self, name: str) -> str:
        try:
            return str(self.cloud.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
        except ClientError as exc:
            raise ValidationError(
                f"Unable to fetch parameters [{name}] from parameter store for this account."
            ) from exc

    def _describe_changes(self, stack: Stack, change_set: ChangeSet, template: Template) -> None:
        """The change set's Changes and status: FAILED when nothing would change or a type cannot be played."""
        unsupported = self.resources.unsupported(template.resources)
        if unsupported:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = (
                f"The local cloud cannot play these resource types: [{'; '.join(unsupported)}]. "
                f"It plays: {self.resources.described()}."
            )
            return
        context = stack.state.context
        after = (template, change_set.values, change_sets.active_resources(template, change_set.values, context))
        before = None
        if change_set.change_set_type == "UPDATE":
            unchanged = (
                load_template_body(stack.template_body) == load_template_body(change_set.template_body)
                and stack.values == change_set.values
                and stack.tags == change_set.tags
            )
            if unchanged:
                change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
                change_set.status_reason = change_sets.NO_CHANGES
                return
            before = (_parse(stack.template_body), stack.values, set(stack.state.resources))
        physical_ids = {key: record.physical_id for key, record in dict(stack.state.resources).items()}
        change_set.changes = change_sets.resource_changes(before, after, physical_ids)

    # -- descriptions ----------------------------------------------------------------------------

    def _description(self, stack: Stack) -> dict[str, Any]:
        return {
            "StackId": stack.stack_id,
            "StackName": stack.name,
            "ChangeSetId": stack.last_change_set_id,
            "Description": stack.description,
            "Parameters": _shown(stack.parameters, _no_echo(stack.template_body)),
            "CreationTime": _time(stack.created),
            "LastUpdatedTime": _time(stack.updated),
            "DeletionTime": _time(stack.deleted),
            "RollbackConfiguration": {},
            "StackStatus": stack.status,
            "StackStatusReason": stack.status_reason or None,
            "DisableRollback": False,
            "NotificationARNs": [],
            "Capabilities": stack.capabilities,
            "Outputs": stack.outputs,
            "Tags": stack.tags,
            "EnableTerminationProtection": stack.termination_protection,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }

    def _api_outputs(self, stack: Stack, template: Template, values: dict[str, Any]) -> list[dict[str, str]]:
        resolver = change_sets.conditions_resolver(template, stack.values, stack.state.context)
        outputs = []
        for key, value in values.items():
            declared = template.outputs.get(key) or {}
            output = {"OutputKey": key, "OutputValue": _as_parameter_text(value)}
            if declared.get("Description"):
                output["Description"] = str(declared["Description"])
            export = (declared.get("Export") or {}).get("Name")
            if export is not None:
                with contextlib.suppress(TemplateError):  # a name made of resource attributes: not shown
                    output["ExportName"] = str(resolver.resolve(export))
            outputs.append(output)
        return outputs

    # -- state ---------------------------------------------------------------------------------

    def _new_stack(self, name: str, params: dict[str, Any]) -> Stack:
        if not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,127}", name):
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member "
                "must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        context = self.cloud.stack_context(name)
        stack = Stack(state=StackState(context, REVIEW_IN_PROGRESS, time_scale=self.cloud.time_scale))
        stack.termination_protection = bool(params.get("EnableTerminationProtection", False))
        self._stacks[stack.stack_id] = stack
        review = StackEvent(
            time.time(), 0.0, name, name, STACK_TYPE, Status.REVIEW_IN_PROGRESS, "User Initiated", stack.stack_id
        )
        self._record_event(stack, review, str(uuid.uuid4()), params.get("ClientToken"))
        return stack

    def _forget_review_stack(self, stack: Stack) -> None:
        if stack.status == REVIEW_IN_PROGRESS and not stack.change_sets and not stack.state.resources:
            del self._stacks[stack.stack_id]
            if self._state_dir is not None:
                self._path(stack).unlink(missing_ok=True)

    def _path(self, stack: Stack) -> Path:
        assert self._state_dir is not None
        return self._state_dir / f"{stack.stack_id.rsplit('/', 1)[-1]}.json"

    def _save(self, stack: Stack) -> None:
        if self._state_dir is None:
            return
        with self._lock:
            document = json.dumps(stack.to_dict(), default=str)
        self._state_dir.mkdir(parents=True, exist_ok=True)
        path = self._path(stack)
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_text(document)
        os.replace(temporary, path)

    def _load(self) -> None:
        """Stacks from the state directory; what was running when the local cloud stopped is marked failed, and
        what live stacks hold only in memory (moto resources, local functions) is brought back."""
        if self._state_dir is None or not self._state_dir.is_dir():
            return
        for path in sorted(self._state_dir.glob("*.json")):
            try:
                stack = Stack.from_dict(json.loads(path.read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.warning("skipped the stack document %s: %s", path, exc)
                continue
            self._stacks[stack.stack_id] = stack
        for stack in sorted(self._stacks.values(), key=lambda s: s.created):
            if stack.status in _INTERRUPTED:
                stack.state.status = _INTERRUPTED[stack.status]
                stack.status_reason = "the local cloud stopped during the operation"
                self._save(stack)
            if stack.status != DELETE_COMPLETE:
                for warning in self.resources.restore(stack.state.resources, stack.state.context):
                    logger.warning("stack %s: %s", stack.name, warning)


class _StackStore:
    """The engine's store for one stack: every save writes the stack's document; the stack is never removed."""

    def __init__(self, service: CloudFormationService, stack: Stack) -> None:
        self._service, self._stack = service, stack

    def save(self, state: StackState) -> None:
        self._service._save(self._stack)

    def remove(self, stack_name: str) -> None:
        pass  # a deleted stack stays describable by its id


# -- helpers -----------------------------------------------------------------------------------------


def _parse(body: str) -> Template:
    try:
        return Template.parse(load_template_body(body))
    except TemplateError as exc:
        message = str(exc)
        raise ValidationError(
            message if message.startswith("Template") else f"Template format error: {message}"
        ) from exc


def _time(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.UTC)


def _page(items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    start = int(token) if token and token.isdigit() else 0
    end = start + _PAGE
    return items[start:end], str(end) if end < len(items) else None


def _as_parameter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_parameter_text(item) for item in value)
    return str(value)


def _check_constraints(name: str, definition: Mapping[str, Any], value: str) -> None:
    allowed = definition.get("AllowedValues")
    if allowed is not None and value not in [_as_parameter_text(item) for item in allowed]:
        raise ValidationError(f"Parameter '{name}' must be one of AllowedValues")
    pattern = definition.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        description = definition.get("ConstraintDescription") or f"must match pattern {pattern}"
        raise ValidationError(f"Parameter '{name}' {description}")


def _no_echo(body: str) -> set[str]:
    try:
        parameters = load_template_body(body).get("Parameters") or {}
    except TemplateError:
        return set()
    return {name for name, definition in parameters.items() if str(definition.get("NoEcho", "")).lower() == "true"}


def _shown(parameters: list[dict[str, Any]], hidden: set[str]) -> list[dict[str, Any]]:
    return [{**p, "ParameterValue": "****"} if p["ParameterKey"] in hidden else p for p in parameters]


def _capabilities_needed(template: Template) -> list[str]:
    named = iam = False
    for definition in template.resources.values():
        if definition.resource_type in _IAM_TYPES:
            iam = True
            name_property = _IAM_TYPES[definition.resource_type]
            named = named or bool(name_property and name_property in definition.properties)
    return ["CAPABILITY_NAMED_IAM"] if named else ["CAPABILITY_IAM"] if iam else []


def _check_capabilities(template: Template, given: list[str]) -> None:
    needed = _capabilities_needed(template)
    if needed == ["CAPABILITY_IAM"] and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(given):
        raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_IAM]")
    if needed == ["CAPABILITY_NAMED_IAM"] and "CAPABILITY_NAMED_IAM" not in given:
        raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_NAMED_IAM]")


def _parameter_declaration(name: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    declaration: dict[str, Any] = {
        "ParameterKey": name,
        "ParameterType": str(definition.get("Type", "String")),
        "NoEcho": str(definition.get("NoEcho", "false")).lower() == "true",
    }
    if "Default" in definition:
        declaration["DefaultValue"] = _as_parameter_text(definition["Default"])
    if "Description" in definition:
        declaration["Description"] = str(definition["Description"])
    if "AllowedValues" in definition:
        declaration["ParameterConstraints"] = {
            "AllowedValues": [_as_parameter_text(v) for v in definition["AllowedValues"]]
        }
    return declaration
