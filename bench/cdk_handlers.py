"""The CDK Provider baselines' user code: onEvent and isComplete for Custom::LookoutVisionModel's Delete.

Written the way a user of ``aws_cdk.custom_resources.Provider`` writes them, with boto3's defaults
(botocore's standard retry mode: 3 attempts, throttling retried with backoff): onEvent stops the
hosted model and returns; isComplete, called by the framework every ``queryInterval`` (5 s by
default), looks at the model, deletes it once it is TRAINED, and reports completion once ListModels
no longer shows the version. Only Delete is written: the benchmarks send nothing else (a Create or
Update is answered at once, naming no model).

Two versions of the same code:

- ``on_event`` / ``is_complete``: a botocore error that survives the retries propagates, as it
  would: the framework then answers FAILED (``bench.cdk_framework``);
- ``on_event_tolerant`` / ``is_complete_tolerant``, the well-written peer: a ThrottlingException
  that survives boto3's retries is caught — onEvent leaves the stop to isComplete (which stops a
  model it finds HOSTED), isComplete answers ``IsComplete: false`` and is called again 5 s later.
  Any other error still propagates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import boto3

Handler = Callable[[dict[str, Any], Any], Any]
_client: Any = None


def _lookoutvision() -> Any:
    global _client  # noqa: PLW0603 - one client per execution environment, as in any Lambda function
    if _client is None:
        _client = boto3.client("lookoutvision")  # type: ignore[call-overload]
    return _client


def _model(physical_id: str) -> tuple[str, str] | None:
    """(ProjectName, ModelVersion) of a model ARN, None for anything else."""
    parts = physical_id.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("model/"):
        return None
    project, _, version = parts[5].removeprefix("model/").partition("/")
    return project, version


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    physical_id = str(event.get("PhysicalResourceId") or event["RequestId"])
    model = _model(physical_id)
    if event["RequestType"] != "Delete" or model is None:
        return {"PhysicalResourceId": physical_id}
    client = _lookoutvision()
    project, version = model
    # Not hosted, or gone: isComplete carries on from whatever the model is.
    with contextlib.suppress(client.exceptions.ConflictException, client.exceptions.ResourceNotFoundException):
        client.stop_model(ProjectName=project, ModelVersion=version)
    return {"PhysicalResourceId": physical_id}


def is_complete(event: dict[str, Any], context: Any) -> dict[str, Any]:
    model = _model(str(event.get("PhysicalResourceId", "")))
    if event["RequestType"] != "Delete" or model is None:
        return {"IsComplete": True}
    return {"IsComplete": deleted(_lookoutvision(), *model)}


def on_event_tolerant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``on_event``; a StopModel still throttled after boto3's retries is left to isComplete."""
    client = _lookoutvision()
    try:
        return on_event(event, context)
    except client.exceptions.ThrottlingException:
        return {"PhysicalResourceId": str(event.get("PhysicalResourceId") or event["RequestId"])}


def is_complete_tolerant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """``is_complete``; a call still throttled after boto3's retries answers not complete (asked again 5 s later)."""
    client = _lookoutvision()
    try:
        return is_complete(event, context)
    except client.exceptions.ThrottlingException:
        return {"IsComplete": False}


def deleted(client: Any, project: str, version: str) -> bool:
    """One look at the model: stop it if hosted, delete it once it can be; True once ListModels no longer shows it."""
    try:
        status = client.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]["Status"]
    except client.exceptions.ResourceNotFoundException:
        return not _listed(client, project, version)
    # A transition that began meanwhile answers ConflictException: look again at the next call.
    with contextlib.suppress(client.exceptions.ConflictException):
        if status == "HOSTED":
            client.stop_model(ProjectName=project, ModelVersion=version)
        elif status in ("TRAINED", "TRAINING_FAILED", "HOSTING_FAILED"):
            client.delete_model(ProjectName=project, ModelVersion=version)
    return False


def _listed(client: Any, project: str, version: str) -> bool:
    try:
        for page in client.get_paginator("list_models").paginate(ProjectName=project):
            if any(m["ModelVersion"] == version for m in page["Models"]):
                return True
    except client.exceptions.ResourceNotFoundException:
        return False
    return False


def on_event_edge(clock: Any) -> Handler:
    """The local Lambda's edge for the onEvent function (the clock is not needed: boto3 and the framework keep time)."""
    return on_event


def is_complete_edge(clock: Any) -> Handler:
    return is_complete


def on_event_tolerant_edge(clock: Any) -> Handler:
    return on_event_tolerant


def is_complete_tolerant_edge(clock: Any) -> Handler:
    return is_complete_tolerant
