"""Physical resource ids — one type, one parser — and the owner tag a model version carries.

``PhysicalId`` is every form a physical id takes: a model version's ARN (``ModelRef``), a dataset's
``<project>/<datasetType>`` (``DatasetRef``), the ids a Create answers when its create call's
outcome is unknown (``UnconfirmedModelCreate``, ``UnconfirmedDatasetCreate``: they name the
request), the id of a Create that failed before anything existed (``FailedCreate``, in crhelper's
form), and any other string: an id CloudFormation made up for a Create whose answer it never got
(``MadeUp``). ``parse_physical_id`` tells them apart, each part checked against the service model;
``physical_id`` is the string a form is answered as.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from botocore.model import StringShape

from lookoutvision_cdk_provider import servicemodel

# The tag CreateModel puts on every model version, naming the custom resource and the request that created it.
OWNER_TAG_KEY = "lookoutvision-cdk:resource"
_OWNER_SEPARATOR = ":"
_FAILED_CREATE_SUFFIX = "[A-Z0-9]{8}"
_UNCONFIRMED_DATASET = "CreateDataset-unconfirmed-"
_UNCONFIRMED_MODEL = "CreateModel-unconfirmed-"
_MODEL_ARN = re.compile(r"arn:[a-z-]+:lookoutvision:[a-z0-9-]*:[0-9]*:model/(?P<project>[^/]+)/(?P<version>[^/]+)")


@dataclass(frozen=True)
class ModelRef:
    """A model version; its physical id is its ARN."""

    project_name: str
    model_version: str
    model_arn: str

    @property
    def physical_id(self) -> str:
        return self.model_arn

    def __str__(self) -> str:
        return f"model {self.model_version} of project {self.project_name}"


@dataclass(frozen=True)
class DatasetRef:
    """A project's dataset of one type; its physical id is ``<project>/<datasetType>``."""

    project_name: str
    dataset_type: str

    @property
    def physical_id(self) -> str:
        return f"{self.project_name}/{self.dataset_type}"

    def __str__(self) -> str:
        return f"{self.dataset_type} dataset of project {self.project_name}"


@dataclass(frozen=True)
class UnconfirmedModelCreate:
    """The Create ``request_id`` whose CreateModel got no answer (or a 5xx): it may have made a version.

    Its Delete looks for the versions carrying exactly that request's owner tag
    (``Owner.request``), and no other life's.
    """

    project_name: str
    request_id: str

    @property
    def physical_id(self) -> str:
        return f"{self.project_name}/{_UNCONFIRMED_MODEL}{self.request_id}"

    def __str__(self) -> str:
        return f"model versions of project {self.project_name}"


@dataclass(frozen=True)
class UnconfirmedDatasetCreate:
    """The Create ``request_id`` whose CreateDataset's outcome is unknown: the dataset it may have made.

    Its Delete repeats that request's CreateDataset (same ClientToken, same properties) if the
    dataset exists: the service answers it as the same call when that call created the dataset,
    and ConflictException when the dataset is another's.
    """

    dataset: DatasetRef
    request_id: str

    @property
    def physical_id(self) -> str:
        return f"{self.dataset.physical_id}/{_UNCONFIRMED_DATASET}{self.request_id}"

    def __str__(self) -> str:
        return str(self.dataset)


@dataclass(frozen=True)
class FailedCreate:
    """``<stack name>_<LogicalResourceId>_<8 characters>``: a Create that failed before anything existed.

    crhelper's form for a Create that answered no id; its Delete calls nothing.
    """

    physical_id: str

    @classmethod
    def of(cls, stack_id: str, logical_id: str, request_id: str) -> FailedCreate:
        """The id a failed Create of ``request_id`` answers: the same in every invocation of the request."""
        suffix = hashlib.sha256(request_id.encode("utf-8")).hexdigest()[:8].upper()
        return cls(f"{_stack_name(stack_id)}_{logical_id}_{suffix}")

    def __str__(self) -> str:
        return "nothing (a Create that failed before anything existed)"


@dataclass(frozen=True)
class MadeUp:
    """Any other id: CloudFormation's own, for a Create whose answer it never got, which may have created something."""

    physical_id: str

    def __str__(self) -> str:
        return "what the Create whose answer CloudFormation never got may have made"


PhysicalId = ModelRef | DatasetRef | UnconfirmedModelCreate | UnconfirmedDatasetCreate | FailedCreate | MadeUp


def parse_physical_id(physical_id: str, stack_id: str = "", logical_id: str = "") -> PhysicalId:
    """The form of ``physical_id``; ``stack_id`` and ``logical_id`` (the event's) recognise a ``FailedCreate``."""
    return (
        _model_ref(physical_id)
        or _unconfirmed_dataset(physical_id)
        or _dataset_ref(physical_id)
        or _unconfirmed_model(physical_id)
        or _failed_create(physical_id, stack_id, logical_id)
        or MadeUp(physical_id)
    )


def model_named_by(physical_id: object) -> ModelRef | None:
    """The model version a string names as its ARN (an answer's, a record's), or None."""
    parsed = parse_physical_id(physical_id) if isinstance(physical_id, str) else None
    return parsed if isinstance(parsed, ModelRef) else None


def _model_ref(physical_id: str) -> ModelRef | None:
    match = _MODEL_ARN.fullmatch(physical_id)
    if match is None:
        return None
    project, version = match["project"], match["version"]
    params = {"ProjectName": project, "ModelVersion": version}
    if servicemodel.validate_input("DescribeModel", params) or not version.isdigit():
        return None
    return ModelRef(project, version, physical_id)


def _dataset_ref(physical_id: str) -> DatasetRef | None:
    if physical_id.count("/") != 1:
        return None
    project, dataset_type = physical_id.split("/")
    if servicemodel.validate_input("DescribeDataset", {"ProjectName": project, "DatasetType": dataset_type}):
        return None
    return DatasetRef(project, dataset_type)


def _unconfirmed_dataset(physical_id: str) -> UnconfirmedDatasetCreate | None:
    if physical_id.count("/") < 2:
        return None
    dataset_id, _, marker = physical_id.rpartition("/")
    ref = _dataset_ref(dataset_id)
    request_id = marker.removeprefix(_UNCONFIRMED_DATASET)
    if ref is None or request_id == marker or not request_id:
        return None
    return UnconfirmedDatasetCreate(ref, request_id)


def _unconfirmed_model(physical_id: str) -> UnconfirmedModelCreate | None:
    project, _, marker = physical_id.partition("/")
    request_id = marker.removeprefix(_UNCONFIRMED_MODEL)
    if request_id == marker or not request_id or "/" in request_id:
        return None
    if servicemodel.validate_input("ListModels", {"ProjectName": project}):
        return None
    return UnconfirmedModelCreate(project, request_id)


def _failed_create(physical_id: str, stack_id: str, logical_id: str) -> FailedCreate | None:
    if not stack_id or not logical_id:
        return None
    pattern = f"{re.escape(_stack_name(stack_id))}_{re.escape(logical_id)}_{_FAILED_CREATE_SUFFIX}"
    return FailedCreate(physical_id) if re.fullmatch(pattern, physical_id) else None


def _stack_name(stack_id: str) -> str:
    """The stack's name in its id (``arn:...:stack/<name>/<uuid>``)."""
    return stack_id.split("/")[1] if stack_id.count("/") >= 1 else ""


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
