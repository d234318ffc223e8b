"""AWS::LookoutVision::Project: CreateProject / DeleteProject on the emulator, through boto3."""

from __future__ import annotations

import uuid

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.cloud import LocalCloud
from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.records import Mode, ResourceOutcome, ResourceRecord, ResourceRequest

RESOURCE_TYPE = "AWS::LookoutVision::Project"


class LookoutVisionProjectHandler:
    """The native project resource: Ref is the project name, Fn::GetAtt Arn its ARN."""

    mode = Mode.EMULATOR

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        name = request.properties.get("ProjectName")
        if not isinstance(name, str) or not name:
            return ResourceOutcome.failed(
                self.mode, "Properties validation failed: required key [ProjectName] not found"
            )
        try:
            answer = self._cloud.lookoutvision().create_project(ProjectName=name, ClientToken=str(uuid.uuid4()))
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
            self._cloud.lookoutvision().delete_project(ProjectName=name, ClientToken=str(uuid.uuid4()))
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return ResourceOutcome(True, self.mode, name, note="already gone")
            return ResourceOutcome.failed(self.mode, _reason("DeleteProject", name, exc), name)
        except BotoCoreError as exc:
            return ResourceOutcome.failed(self.mode, f"DeleteProject {name}: {exc}", name)
        return ResourceOutcome(True, self.mode, name)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        return None  # the emulator keeps its own state between runs


def _reason(operation: str, name: str, exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{operation} {name}: {error.get('Code')}: {error.get('Message')}"
