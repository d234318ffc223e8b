"""Drift detection: each resource of a stack looked at by the handler that plays it, and what the API answers of it.

A detection checks the stack's resources at once (``detect``) and is kept in the stack's document
(``Stack.drift_detections``, the latest few); DescribeStackDriftDetectionStatus and
DescribeStackResourceDrifts read it, and the stacks' and resources' DriftInformation
(``descriptions.py``). A resource
whose handler checks nothing (custom resources, as CloudFormation checks none; what the local
cloud only records) is not in the results and stays NOT_CHECKED. The stack's drift status is
DRIFTED when a resource is MODIFIED or DELETED, else UNKNOWN when one could not be compared, else
IN_SYNC.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lookoutvision_localcloud.cloudformation import descriptions
from lookoutvision_localcloud.cloudformation.models import Stack
from lookoutvision_localcloud.cloudformation.records import ResourceDrift, ResourceRecord

KEPT = 10  # detections kept per stack, newest last
DRIFTED = frozenset({"MODIFIED", "DELETED"})


def detect(
    stack: Stack, records: Iterable[ResourceRecord], check: Callable[[ResourceRecord], ResourceDrift | None]
) -> dict[str, Any]:
    """One detection of ``records`` (the stack's, or those DetectStackDrift names), each with ``check`` (its
    handler's ``drift``): the detection as the stack keeps it."""
    drifts = []
    for record in records:
        try:
            found = check(record)
        except (ClientError, BotoCoreError) as exc:
            found = ResourceDrift("UNKNOWN", reason=f"The local cloud could not look at the resource: {exc}")
        if found is not None:
            drifts.append(_resource_drift(stack, record, found))
    statuses = {drift["StackResourceDriftStatus"] for drift in drifts}
    status = "DRIFTED" if statuses & DRIFTED else "UNKNOWN" if "UNKNOWN" in statuses else "IN_SYNC"
    unknown = [drift["LogicalResourceId"] for drift in drifts if drift["StackResourceDriftStatus"] == "UNKNOWN"]
    return {
        "StackDriftDetectionId": str(uuid.uuid4()),
        "StackId": stack.stack_id,
        "StackDriftStatus": status,
        "DetectionStatus": "DETECTION_COMPLETE",
        "DetectionStatusReason": _reason(unknown),
        "DriftedStackResourceCount": sum(drift["StackResourceDriftStatus"] in DRIFTED for drift in drifts),
        "Timestamp": time.time(),
        "Resources": drifts,
    }


def keep(stack: Stack, detection: dict[str, Any]) -> None:
    """Add ``detection`` to the stack's, dropping the oldest beyond ``KEPT``."""
    stack.drift_detections = [*stack.drift_detections, detection][-KEPT:]


def status(detection: dict[str, Any]) -> dict[str, Any]:
    """DescribeStackDriftDetectionStatus's output."""
    shown = {key: value for key, value in detection.items() if key != "Resources"}
    return {**shown, "Timestamp": descriptions.timestamp(detection["Timestamp"])}


def resource_drifts(stack: Stack, wanted: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The ``StackResourceDrift``s of the stack's latest detection (only those whose status is in ``wanted``, if
    given)."""
    if not stack.drift_detections:
        return []
    filters = set(wanted)
    return [
        {**drift, "Timestamp": descriptions.timestamp(drift["Timestamp"])}
        for drift in stack.drift_detections[-1]["Resources"]
        if not filters or drift["StackResourceDriftStatus"] in filters
    ]


def _resource_drift(stack: Stack, record: ResourceRecord, found: ResourceDrift) -> dict[str, Any]:
    drift: dict[str, Any] = {
        "StackId": stack.stack_id,
        "LogicalResourceId": record.logical_id,
        "PhysicalResourceId": record.physical_id,
        "ResourceType": record.resource_type,
        "ExpectedProperties": json.dumps(record.properties, sort_keys=True),
        "StackResourceDriftStatus": found.status,
        "PropertyDifferences": [],
        "Timestamp": time.time(),
    }
    if found.actual is not None:
        drift["ActualProperties"] = json.dumps(found.actual, sort_keys=True)
    if found.reason:
        drift["DriftStatusReason"] = found.reason
    return drift


def _reason(unknown: list[str]) -> str | None:
    if not unknown:
        return None
    return f"The local cloud could not compare the properties of these resources: {', '.join(unknown)}"
