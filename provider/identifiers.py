"""Physical resource ids and owners: a model's ARN, a dataset's ``<project>/<datasetType>``, the ids of
unconfirmed Creates, and the owner tag a model version carries.

Parsing is strict: anything else (such as crhelper's ``<stack>_<logicalId>_<8 chars>`` answered
for a Create that failed before a resource existed) parses to None, and a Delete of such an id
succeeds without calling the service. The parts are checked against the service model.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from botocore.model import StringShape

from provider import servicemodel

# The tag CreateModel puts on every model version, naming the custom resource and the request that created it.
OWNER_TAG_KEY = "lookoutvision-cdk:resource"
_OWNER_SEPARATOR = ":"
_CRHELPER_SUFFIX = "[A-Z0-9]{8}"
_UNCONFIRMED_DATASET = "CreateDataset-unconfirmed-"
_UNCONFIRMED_MODEL = "CreateModel-unconfirmed-"
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


@dataclass(frozen=True)
class Owner:
    """Who creates a model version: one custom resource of one stack, and the request whose CreateModel does.

    The owner tag's value is ``<resource>:<request>``. ``resource`` is a digest of the stack id and
    the logical id: the same for every life of a logical id (a resource kept by RETAIN and a later
    one of the same id share it). ``request`` is the RequestId of the Create (or replacing Update)
    that created the version, unique to one life; a version tagged before the request was part of
    the tag carries the resource part alone. Both parts fit the service model's TagValue.
    """

    resource: str
    request: str | None = None

    @classmethod
    def of(cls, stack_id: str, logical_id: str, request_id: str | None = None) -> Owner:
        """The owner for a custom resource of a stack, and a request of it (None: any request)."""
        return cls(hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:40]).with_request(request_id)

    @property
    def tag_value(self) -> str:
        return self.resource if self.request is None else f"{self.resource}{_OWNER_SEPARATOR}{self.request}"

    def with_request(self, request_id: str | None) -> Owner:
        """The same resource, and the request ``request_id`` (None: any request)."""
        return Owner(self.resource, None if request_id is None else _request_part(self.resource, request_id))

    def of_resource(self) -> Owner:
        """The same resource, any request."""
        return Owner(self.resource)

    def made(self, tag_value: str | None) -> bool:
        """Whether a version whose owner tag is ``tag_value`` is this owner's.

        Its resource part must be this resource; when this owner names a request, the request
        part must be that request (a version tagged without one is no request's).
        """
        if tag_value is None:
            return False
        resource, separator, request = tag_value.partition(_OWNER_SEPARATOR)
        if resource != self.resource:
            return False
        return self.request is None or (separator != "" and request == self.request)


def _request_part(resource: str, request_id: str) -> str:
    """The RequestId when the whole tag value with it is a valid TagValue, else a digest of it."""
    if _OWNER_SEPARATOR not in request_id and not servicemodel.validate(
        _tag_value_shape(), f"{resource}{_OWNER_SEPARATOR}{request_id}", "TagValue"
    ):
        return request_id
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:40]


@functools.cache
def _tag_value_shape() -> StringShape:
    input_shape = servicemodel.operation_model("TagResource").input_shape
    assert input_shape is not None
    tags = input_shape.members["Tags"]
    shape = tags.member.members["Value"]  # type: ignore[attr-defined]
    assert isinstance(shape, StringShape)
    return shape


def owner_tag_value(stack_id: str, logical_id: str, request_id: str) -> str:
    """The owner tag's value that a Create or Update ``request_id`` of one custom resource puts on its version."""
    return Owner.of(stack_id, logical_id, request_id).tag_value


def unconfirmed_model_id(project_name: str, request_id: str) -> str:
    """The physical id a Create answers when CreateModel may have created a version that it never got an answer for.

    It names the Create's request, so that the Delete that follows looks for the versions
    carrying exactly that request's owner tag (``Owner.request``), and no other life's.
    """
    return f"{project_name}/{_UNCONFIRMED_MODEL}{request_id}"


def parse_unconfirmed_model_id(physical_id: object) -> tuple[str, str] | None:
    """The project and the Create's RequestId an ``unconfirmed_model_id`` names, or None."""
    if not isinstance(physical_id, str):
        return None
    project, _, marker = physical_id.partition("/")
    request_id = marker.removeprefix(_UNCONFIRMED_MODEL)
    if request_id == marker or not request_id or "/" in request_id:
        return None
    if servicemodel.validate_input("ListModels", {"ProjectName": project}):
        return None
    return project, request_id


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
