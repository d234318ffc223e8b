"""What a stack's Lookout for Vision custom resources left behind, found through the service's API.

A model or dataset resource's physical id is looked up as the provider answers it (a model ARN, a
``project/type`` dataset id; any other id names nothing created). Model versions the provider
created for one of the stack's model resources are also found by their owner tag (its resource
part: any request of that resource), in the projects those resources name: the versions
ListModels lists, and those DescribeModel finds beyond them (a new version is listed only after a
lag).
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from lookoutvision_cdk_provider.consts import DATASET_RESOURCE_TYPE, MODEL_RESOURCE_TYPE
from lookoutvision_cdk_provider.identifiers import OWNER_TAG_KEY, Owner
from lookoutvision_localcloud.cloudformation.custom_resource import CustomResourceHandler
from lookoutvision_localcloud.cloudformation.models import StackState
from lookoutvision_localcloud.cloudformation.records import ResourceRecord

_MODEL_ARN = re.compile(r"^arn:[^:]+:lookoutvision:[^:]*:\d*:model/([^/]+)/([^/]+)$")
_DATASET_ID = re.compile(r"^([^/]+)/(train|test)$")


def custom_resource_left(lookout: Any, record: ResourceRecord) -> list[str] | None:
    """What of a model or dataset resource's physical resource still exists; None for any other resource."""
    if record.mode != CustomResourceHandler.mode or record.resource_type not in (
        MODEL_RESOURCE_TYPE,
        DATASET_RESOURCE_TYPE,
    ):
        return None
    physical_id = str(record.physical_id)
    if record.resource_type == MODEL_RESOURCE_TYPE:
        model = _MODEL_ARN.match(physical_id)
        if model is None:
            return []  # no model was created (a failed Create's invented id)
        try:
            described = lookout.describe_model(ProjectName=model[1], ModelVersion=model[2])["ModelDescription"]
        except ClientError as exc:
            return _gone(exc)
        return [f"{physical_id} Lookout for Vision model ({described.get('Status')})"]
    dataset = _DATASET_ID.match(physical_id)
    if dataset is None:
        return []
    try:
        lookout.describe_dataset(ProjectName=dataset[1], DatasetType=dataset[2])
    except ClientError as exc:
        return _gone(exc)
    return [f"Lookout for Vision dataset {physical_id}"]


def owned_models(lookout: Any, state: StackState) -> list[str]:
    """Model versions carrying the owner tag of one of the stack's model resources (the provider tags every
    version it creates), in the projects those resources name."""
    models = [
        record
        for record in state.history.values()
        if record.mode == CustomResourceHandler.mode and record.resource_type == MODEL_RESOURCE_TYPE
    ]
    owners = [Owner.of(state.context.stack_id, record.logical_id) for record in models]
    projects = {str(record.properties.get("ProjectName")) for record in models if record.properties.get("ProjectName")}
    found = []
    for project in sorted(projects):
        try:
            for model in _project_models(lookout, project):
                tags = lookout.list_tags_for_resource(ResourceArn=model["ModelArn"]).get("Tags", [])
                owner_tags = [tag["Value"] for tag in tags if tag["Key"] == OWNER_TAG_KEY]
                if any(owner.made(value) for owner in owners for value in owner_tags):
                    found.append(f"{model['ModelArn']} Lookout for Vision model ({model.get('Status')}), owner-tagged")
        except ClientError:
            continue  # the project is gone, and its models with it
    return found


def _project_models(lookout: Any, project: str) -> list[dict[str, Any]]:
    """Every version of the project: those ListModels lists, then those DescribeModel finds up to the latest one."""
    pages = lookout.get_paginator("list_models").paginate(ProjectName=project)
    models = [model for page in pages for model in page["Models"]]
    version = max((int(m["ModelVersion"]) for m in models), default=0) + 1
    latest = _described(lookout, project, "latest")
    newest = int(latest["ModelVersion"]) if latest is not None else 0
    while True:
        described = _described(lookout, project, str(version))
        if described is not None:
            models.append(described)
        elif version > newest:
            return models
        version += 1


def _described(lookout: Any, project: str, version: str) -> dict[str, Any] | None:
    """DescribeModel's ModelDescription, or None when there is no such version."""
    try:
        description: dict[str, Any] = lookout.describe_model(ProjectName=project, ModelVersion=version)[
            "ModelDescription"
        ]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return description


def _gone(exc: ClientError) -> list[str]:
    """Nothing (gone) for a ResourceNotFoundException; any other error is raised again."""
    if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
        return []
    raise exc
