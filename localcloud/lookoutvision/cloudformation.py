"""AWS::LookoutVision::Project played on the emulator: CreateProject and DeleteProject through its API."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    ResourceDrift,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
)
from lookoutvision_localcloud.cloudformation.resources import ResourceHandler

PROJECT_TYPE = "AWS::LookoutVision::Project"


class ProjectHandler(ResourceHandler):
    """The native project resource: Ref is the project name, Fn::GetAtt Arn its ARN."""

    mode = "emulator"
    plays = "AWS::LookoutVision::Project"

    def __init__(self, lookoutvision: Callable[[], Any]) -> None:
        self._lookoutvision = lookoutvision  # a client of the emulator

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        name = request.properties.get("ProjectName")
        if not isinstance(name, str) or not name:
            return ResourceOutcome.failed(
                self.mode, "Properties validation failed: required key [ProjectName] not found"
            )
        try:
            answer = self._lookoutvision().create_project(ProjectName=name, ClientToken=str(uuid.uuid4()))
        except ClientError as exc:
            return ResourceOutcome.failed(self.mode, _reason("CreateProject", name, exc))
        except BotoCoreError as exc:
            return ResourceOutcome.failed(self.mode, f"CreateProject {name}: {exc}")
        arn = answer["ProjectMetadata"]["ProjectArn"]
        return ResourceOutcome(True, self.mode, name, {"Arn": arn})

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        """A new ProjectName is a replacement (CreateProject now, DeleteProject of the old one in cleanup)."""
        if request.properties.get("ProjectName") != request.physical_id:
            return self.create(request)
        return ResourceOutcome(True, self.mode, request.physical_id)

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        name = request.physical_id
        if not name:
            return ResourceOutcome(True, self.mode, name, note="never created")
        try:
            self._lookoutvision().delete_project(ProjectName=name, ClientToken=str(uuid.uuid4()))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return ResourceOutcome(True, self.mode, name, note="already gone")
            return ResourceOutcome.failed(self.mode, _reason("DeleteProject", name, exc), name)
        except BotoCoreError as exc:
            return ResourceOutcome.failed(self.mode, f"DeleteProject {name}: {exc}", name)
        return ResourceOutcome(True, self.mode, name)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        return None  # the emulator keeps its own state between runs

    def drift(self, record: ResourceRecord) -> ResourceDrift:
        """IN_SYNC while the project exists (its one property, ProjectName, is its name and cannot change), else
        DELETED."""
        name = str(record.physical_id)
        try:
            self._lookoutvision().describe_project(ProjectName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return ResourceDrift("DELETED")
            raise
        return ResourceDrift("IN_SYNC", actual={"ProjectName": name})

    def existing(self, record: ResourceRecord) -> list[str]:
        """The project, with its datasets and model versions."""
        name = str(record.physical_id)
        lookout = self._lookoutvision()
        try:
            project = lookout.describe_project(ProjectName=name)["ProjectDescription"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return []
            raise
        found = [f"Lookout for Vision project {name}"]
        found += [f"Lookout for Vision dataset {name}/{d['DatasetType']}" for d in project.get("Datasets", [])]
        pages = lookout.get_paginator("list_models").paginate(ProjectName=name)
        models = [model for page in pages for model in page["Models"]]
        return found + [f"{m['ModelArn']} Lookout for Vision model ({m.get('Status')})" for m in models]


def _reason(operation: str, name: str, exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{operation} {name}: {error.get('Code')}: {error.get('Message')}"
