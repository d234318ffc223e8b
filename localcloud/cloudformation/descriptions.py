"""What the CloudFormation API answers about stacks and change sets, in botocore's names: pure shaping.

Every function reads a stack (or a template) and returns one member of an operation's output;
``responses.py`` writes it on the wire. Timestamps become aware datetimes; a NoEcho parameter's
value is masked; pages hold 100 items, their NextToken the index of the next one.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import uuid
from typing import Any

from lookoutvision_localcloud.cloudformation import change_sets, parameters
from lookoutvision_localcloud.cloudformation.exceptions import TemplateError
from lookoutvision_localcloud.cloudformation.models import ChangeSet, Stack
from lookoutvision_localcloud.cloudformation.records import STACK_TYPE, ResourceRecord, StackEvent
from lookoutvision_localcloud.cloudformation.template import Template, load_template_body

PAGE = 100
_CHANGE_SET_SUMMARY = (
    "StackId",
    "StackName",
    "ChangeSetId",
    "ChangeSetName",
    "ExecutionStatus",
    "Status",
    "StatusReason",
    "CreationTime",
    "Description",
    "IncludeNestedStacks",
)


def stack(described: Stack) -> dict[str, Any]:
    """A ``Stack`` of DescribeStacks."""
    return {
        "StackId": described.stack_id,
        "StackName": described.name,
        "ChangeSetId": described.last_change_set_id,
        "Description": described.description,
        "Parameters": parameters.shown(described.parameters, described.template_body),
        "CreationTime": timestamp(described.created),
        "LastUpdatedTime": timestamp(described.updated),
        "DeletionTime": timestamp(described.deleted),
        "RollbackConfiguration": {},
        "StackStatus": described.status,
        "StackStatusReason": described.status_reason or None,
        "DisableRollback": False,
        "NotificationARNs": [],
        "Capabilities": described.capabilities,
        "Outputs": described.outputs,
        "Tags": described.tags,
        "EnableTerminationProtection": described.termination_protection,
        "DriftInformation": stack_drift(described),
    }


def stack_summary(described: Stack) -> dict[str, Any]:
    """A ``StackSummary`` of ListStacks."""
    return {
        "StackId": described.stack_id,
        "StackName": described.name,
        "TemplateDescription": described.description,
        "CreationTime": timestamp(described.created),
        "LastUpdatedTime": timestamp(described.updated),
        "DeletionTime": timestamp(described.deleted),
        "StackStatus": described.status,
        "StackStatusReason": described.status_reason or None,
    }


def change_set(owner: Stack, described: ChangeSet) -> dict[str, Any]:
    """DescribeChangeSet's output."""
    return {
        "ChangeSetName": described.name,
        "ChangeSetId": described.change_set_id,
        "StackId": owner.stack_id,
        "StackName": owner.name,
        "Description": described.description,
        "Parameters": parameters.shown(described.parameters, described.template_body),
        "CreationTime": timestamp(described.created),
        "ExecutionStatus": described.execution_status,
        "Status": described.status,
        "StatusReason": described.status_reason or None,
        "NotificationARNs": [],
        "RollbackConfiguration": {},
        "Capabilities": described.capabilities,
        "Tags": described.tags,
        "Changes": described.changes,
        "IncludeNestedStacks": False,
    }


def change_set_summary(owner: Stack, described: ChangeSet) -> dict[str, Any]:
    """A ``ChangeSetSummary`` of ListChangeSets: part of what DescribeChangeSet shows."""
    full = change_set(owner, described)
    return {key: full[key] for key in _CHANGE_SET_SUMMARY}


def stack_resources(owner: Stack, logical_id: str | None = None) -> list[dict[str, Any]]:
    """The ``StackResource``s of DescribeStackResources (one logical id's, or all)."""
    return [
        {
            "StackName": owner.name,
            "StackId": owner.stack_id,
            "LogicalResourceId": key,
            "PhysicalResourceId": record.physical_id,
            "ResourceType": record.resource_type,
            "Timestamp": timestamp(_last_event(owner, record, "Timestamp") or owner.created),
            "ResourceStatus": str(record.status),
            "ResourceStatusReason": _last_event(owner, record, "ResourceStatusReason"),
            "DriftInformation": resource_drift(owner, key),
        }
        for key, record in dict(owner.state.resources).items()
        if logical_id in (None, key)
    ]


def resource_summary(resource: dict[str, Any]) -> dict[str, Any]:
    """A ``StackResourceSummary`` of ListStackResources, from a ``StackResource``."""
    return {
        "LogicalResourceId": resource["LogicalResourceId"],
        "PhysicalResourceId": resource["PhysicalResourceId"],
        "ResourceType": resource["ResourceType"],
        "LastUpdatedTimestamp": resource["Timestamp"],
        "ResourceStatus": resource["ResourceStatus"],
        "ResourceStatusReason": resource["ResourceStatusReason"],
        "DriftInformation": resource["DriftInformation"],
    }


def stack_drift(described: Stack) -> dict[str, Any]:
    """A stack's ``DriftInformation``: its latest drift detection's status, NOT_CHECKED before any."""
    if not described.drift_detections:
        return {"StackDriftStatus": "NOT_CHECKED"}
    latest = described.drift_detections[-1]
    return {"StackDriftStatus": latest["StackDriftStatus"], "LastCheckTimestamp": timestamp(latest["Timestamp"])}


def resource_drift(owner: Stack, logical_id: str) -> dict[str, Any]:
    """A resource's ``DriftInformation``: its status in the latest detection that checked it, else NOT_CHECKED."""
    for detection in reversed(owner.drift_detections):
        for drift in detection["Resources"]:
            if drift["LogicalResourceId"] == logical_id:
                checked = timestamp(drift["Timestamp"])
                return {"StackResourceDriftStatus": drift["StackResourceDriftStatus"], "LastCheckTimestamp": checked}
    return {"StackResourceDriftStatus": "NOT_CHECKED"}


def stack_event(
    owner: Stack, event: StackEvent, operation_id: str, token: str | None, operation_type: str
) -> dict[str, Any]:
    """The stack's record of an engine event (``Timestamp`` in epoch seconds until it is described), with the type
    of the operation it belongs to (``OperationType``, for DescribeEvents)."""
    return {
        "StackId": owner.stack_id,
        "EventId": str(uuid.uuid4()),
        "StackName": owner.name,
        "LogicalResourceId": event.logical_id,
        "PhysicalResourceId": event.physical_id or "",
        "ResourceType": event.resource_type,
        "Timestamp": event.timestamp,
        "ResourceStatus": str(event.status),
        "ResourceStatusReason": event.reason or None,
        "ClientRequestToken": token,
        "OperationId": operation_id,
        "OperationType": operation_type,
    }


def stack_events(owner: Stack) -> list[dict[str, Any]]:
    """The ``StackEvent``s of DescribeStackEvents, newest first."""
    return [{**event, "Timestamp": timestamp(event["Timestamp"])} for event in reversed(owner.events)]


def operation_events(owner: Stack, operation_id: str | None = None, failed_only: bool = False) -> list[dict[str, Any]]:
    """The ``OperationEvent``s of DescribeEvents, newest first: the stack's events (one operation's, when given),
    each with its operation's type and status (SUCCEEDED or FAILED once the stack's own event ended it); a
    stack's own event is a STACK_EVENT, a resource's a PROGRESS_EVENT, or a PROVISIONING_ERROR when it failed
    (``failed_only``: those alone, and the stack's own failed events)."""
    ends: dict[str, str] = {}
    for event in owner.events:
        if event.get("OperationType") == "CREATE_CHANGESET":
            ends[event["OperationId"]] = "SUCCEEDED"  # a change set is made in the request that creates it
        elif event["ResourceType"] == STACK_TYPE and not event["ResourceStatus"].endswith("_IN_PROGRESS"):
            ends[event["OperationId"]] = _operation_status(event["ResourceStatus"])
    shown = []
    for event in reversed(owner.events):
        if operation_id is not None and event["OperationId"] != operation_id:
            continue
        failed = event["ResourceStatus"].endswith("_FAILED")
        if failed_only and not failed:
            continue
        own = event["ResourceType"] == STACK_TYPE
        kind = "STACK_EVENT" if own else "PROVISIONING_ERROR" if failed else "PROGRESS_EVENT"
        shown.append(
            {
                "EventId": event["EventId"],
                "StackId": event["StackId"],
                "OperationId": event["OperationId"],
                "OperationType": event.get("OperationType"),
                "OperationStatus": ends.get(event["OperationId"], "IN_PROGRESS"),
                "EventType": kind,
                "LogicalResourceId": event["LogicalResourceId"],
                "PhysicalResourceId": event["PhysicalResourceId"],
                "ResourceType": event["ResourceType"],
                "Timestamp": timestamp(event["Timestamp"]),
                "ResourceStatus": event["ResourceStatus"],
                "ResourceStatusReason": event["ResourceStatusReason"],
                "ClientRequestToken": event["ClientRequestToken"],
            }
        )
    return shown


def _operation_status(final: str) -> str:
    """SUCCEEDED or FAILED, from the stack status an operation ended in."""
    succeeded = final.endswith("_COMPLETE") and "ROLLBACK" not in final
    return "SUCCEEDED" if succeeded else "FAILED"


def outputs(owner: Stack, template: Template, values: dict[str, Any]) -> list[dict[str, str]]:
    """The stack's ``Outputs``: each resolved value, its Description and ExportName."""
    resolver = change_sets.conditions_resolver(template, owner.values, owner.state.context)
    shaped = []
    for key, value in values.items():
        declared = template.outputs.get(key) or {}
        output = {"OutputKey": key, "OutputValue": parameters.as_text(value)}
        if declared.get("Description"):
            output["Description"] = str(declared["Description"])
        export = (declared.get("Export") or {}).get("Name")
        if export is not None:
            with contextlib.suppress(TemplateError):  # a name made of resource attributes: not shown
                output["ExportName"] = str(resolver.resolve(export))
        shaped.append(output)
    return shaped


def template_summary(body: str) -> dict[str, Any]:
    """GetTemplateSummary's output for a template body."""
    document = load_template_body(body)
    template = change_sets.parse_template(body)
    needed = change_sets.capabilities_needed(template)
    return {
        "Parameters": [parameters.declaration(name, definition) for name, definition in template.parameters.items()],
        "Description": document.get("Description"),
        "Capabilities": needed,
        "CapabilitiesReason": "The template contains IAM resources" if needed else None,
        "ResourceTypes": sorted({definition.resource_type for definition in template.resources.values()}),
        "Version": document.get("AWSTemplateFormatVersion"),
        "Metadata": json.dumps(document["Metadata"]) if "Metadata" in document else None,
        "DeclaredTransforms": [],
        "ResourceIdentifierSummaries": [],
    }


def template_validation(summary: dict[str, Any]) -> dict[str, Any]:
    """ValidateTemplate's output, from the template's summary."""
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


def timestamp(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch, datetime.UTC)


def page(items: list[Any], token: str | None, size: int = PAGE) -> tuple[list[Any], str | None]:
    """The page of ``size`` items after ``token`` (an index), and the next page's token."""
    start = int(token) if token and token.isdigit() else 0
    end = start + size
    return items[start:end], str(end) if end < len(items) else None


def _last_event(owner: Stack, record: ResourceRecord, key: str) -> Any:
    """``key`` of the resource's latest event about its physical resource (not about one it replaced, such as
    the cleanup's DELETE_FAILED of a previous physical id)."""
    for event in reversed(owner.events):
        if event["LogicalResourceId"] != record.logical_id or event["ResourceType"] == STACK_TYPE:
            continue
        if event["PhysicalResourceId"] in ("", record.physical_id):
            return event.get(key)
    return None
