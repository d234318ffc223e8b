"""Physical resource ids: a model's ARN, a dataset's ``<project>/<datasetType>``, and the ids of unconfirmed Creates.

Parsing is strict: anything else (such as crhelper's ``<stack>_<logicalId>_<8 chars>`` answered
for a Create that failed before a resource existed) parses to None, and a Delete of such an id
succeeds without calling the service. The parts are checked against the service model.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from provider import servicemodel

# The tag CreateModel puts on every model version, naming the custom resource that created it.
OWNER_TAG_KEY = "lookoutvision-cdk:resource"
_CRHELPER_SUFFIX = "[A-Z0-9]{8}"
_UNCONFIRMED_DATASET = "CreateDataset-unconfirmed-"
_MODEL_ARN = re.compile(r"arn:[a-z-]+:lookoutvision:[a-z0-9-]*:[0-9]*:model/(?P<project>[^/]+)/(?P<version>[^/]+)")


@dataclass(frozen=True)
class ModelRef:
    project_name: str
    model_version: str
    model_arn: str

    def __str__(self) -> str:
        return f"model {self.model_version} of project {self.project_name}"


@dataclass(frozen=True)
class DatasetRef:
    project_name: str
    dataset_type: str

    @property
    def physical_id(self) -> str:
        return f"{self.project_name}/{self.dataset_type}"

    def __str__(self) -> str:
        return f"{self.dataset_type} dataset of project {self.project_name}"


def parse_model_arn(physical_id: object) -> ModelRef | None:
    """The model a physical id names, or None when it is no model ARN."""
    if not isinstance(physical_id, str):
        return None
    match = _MODEL_ARN.fullmatch(physical_id)
    if match is None:
        return None
    project, version = match["project"], match["version"]
    params = {"ProjectName": project, "ModelVersion": version}
    if servicemodel.validate_input("DescribeModel", params) or not version.isdigit():
        return None
    return ModelRef(project, version, physical_id)


def parse_dataset_id(physical_id: object) -> DatasetRef | None:
    """The dataset a physical id names, or None when it is not ``<project>/<datasetType>``."""
    if not isinstance(physical_id, str) or physical_id.count("/") != 1:
        return None
    project, dataset_type = physical_id.split("/")
    if servicemodel.validate_input("DescribeDataset", {"ProjectName": project, "DatasetType": dataset_type}):
        return None
    return DatasetRef(project, dataset_type)


def owner_tag_value(stack_id: str, logical_id: str) -> str:
    """The owner tag's value for one custom resource of one stack (a digest: tag values are short)."""
    return hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:40]


def unconfirmed_model_id(project_name: str) -> str:
    """The physical id a Create answers when CreateModel's outcome is unknown (no answer came back).

    Neither a model ARN nor crhelper's invented id, so the Delete that follows treats it as an
    unanswered Create and deletes the versions carrying this resource's owner tag.
    """
    return f"{project_name}/CreateModel-unconfirmed"


def unconfirmed_dataset_id(ref: DatasetRef, request_id: str) -> str:
    """The physical id a Create answers when CreateDataset's outcome is unknown: the dataset and that request.

    The Delete that follows repeats the request's CreateDataset (same ClientToken, same
    properties) if the dataset exists: the service answers it as the same call when that call
    created the dataset, and ConflictException when the dataset is another's.
    """
    return f"{ref.physical_id}/{_UNCONFIRMED_DATASET}{request_id}"


def parse_unconfirmed_dataset_id(physical_id: object) -> tuple[DatasetRef, str] | None:
    """The dataset and the Create's RequestId an ``unconfirmed_dataset_id`` names, or None."""
    if not isinstance(physical_id, str) or physical_id.count("/") < 2:
        return None
    dataset_id, _, marker = physical_id.rpartition("/")
    ref = parse_dataset_id(dataset_id)
    request_id = marker.removeprefix(_UNCONFIRMED_DATASET)
    if ref is None or request_id == marker or not request_id:
        return None
    return ref, request_id


def dataset_named_by(physical_id: object) -> DatasetRef | None:
    """The dataset a physical id names: a dataset id's, or an unconfirmed dataset Create's."""
    unconfirmed = parse_unconfirmed_dataset_id(physical_id)
    return unconfirmed[0] if unconfirmed is not None else parse_dataset_id(physical_id)


def is_failed_create_id(physical_id: object, stack_id: object, logical_id: object) -> bool:
    """Whether the id is the one crhelper invents for a Create that answered FAILED without one.

    ``<stack name>_<LogicalResourceId>_<8 characters>``: the provider's own failed Create, which
    created nothing. Any other id that names no resource came from CloudFormation itself (a
    Create it stopped waiting for), which may have created something.
    """
    if not all(isinstance(x, str) for x in (physical_id, stack_id, logical_id)):
        return False
    stack_name = str(stack_id).split("/")[1] if str(stack_id).count("/") >= 1 else ""
    pattern = f"{re.escape(stack_name)}_{re.escape(str(logical_id))}_{_CRHELPER_SUFFIX}"
    return re.fullmatch(pattern, str(physical_id)) is not None
