"""ResourceProperties → typed, validated properties, before any call to the service.

Each property maps to the API member it is sent as (CreateModel, StartModel or CreateDataset);
its constraints — type, required, length, range, pattern, enum — are that member's, read from
the service model by ``lookoutvision_cdk_provider.servicemodel``. CloudFormation passes every scalar as a string
("2", "true"), so values are first coerced to what the member's shape wants. All violations are
collected and reported at once, each naming the property path and the constraint. The custom
resource's own settings (ServiceTimeout, OrphanWhenServiceUnavailable, and a model's Fleet) are no
API member and are checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape, StructureShape

from lookoutvision_cdk_provider import consts, servicemodel
from lookoutvision_cdk_provider.errors import PropertyError
from lookoutvision_cdk_provider.fleet_pace import Fleet
from lookoutvision_cdk_provider.servicemodel import Violation

# Property name → (operation, input member) whose shape holds the property's constraints.
_MODEL_MEMBERS: dict[str, tuple[str, str]] = {
    consts.PROJECT_NAME: ("CreateModel", "ProjectName"),
    consts.DESCRIPTION: ("CreateModel", "Description"),
    consts.OUTPUT_CONFIG: ("CreateModel", "OutputConfig"),
    consts.KMS_KEY_ID: ("CreateModel", "KmsKeyId"),
    consts.TAGS: ("CreateModel", "Tags"),
}
_HOSTING_MEMBERS: dict[str, tuple[str, str]] = {
    consts.MIN_INFERENCE_UNITS: ("StartModel", "MinInferenceUnits"),
    consts.MAX_INFERENCE_UNITS: ("StartModel", "MaxInferenceUnits"),
}
_DATASET_MEMBERS: dict[str, tuple[str, str]] = {
    consts.PROJECT_NAME: ("CreateDataset", "ProjectName"),
    consts.DATASET_TYPE: ("CreateDataset", "DatasetType"),
    consts.DATASET_SOURCE: ("CreateDataset", "DatasetSource"),
}
# The custom resource's own settings, common to both resource types (no API member).
_SETTINGS = (consts.SERVICE_TIMEOUT, consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_UNKNOWN = "Member is not a known property"


@dataclass(frozen=True)
class Hosting:
    """StartModel's inference units; the model is hosted when a resource has them."""

    min_inference_units: int
    max_inference_units: int | None = None

    def start_model_input(self) -> dict[str, int]:
        params = {"MinInferenceUnits": self.min_inference_units}
        if self.max_inference_units is not None:
            params["MaxInferenceUnits"] = self.max_inference_units
        return params


@dataclass(frozen=True)
class ModelProperties:
    """Custom::LookoutVisionModel's properties."""

    project_name: str
    output_config: Mapping[str, Any]
    description: str | None = None
    kms_key_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    hosting: Hosting | None = None
    service_timeout: int = consts.SERVICE_TIMEOUT_DEFAULT
    orphan_when_service_unavailable: bool = False
    fleet: Fleet | None = None  # the model's place among its stack's models (how its Delete paces its calls)

    def create_model_input(self) -> dict[str, Any]:
        """CreateModel's parameters, ClientToken aside."""
        params: dict[str, Any] = {"ProjectName": self.project_name, "OutputConfig": dict(self.output_config)}
        if self.description is not None:
            params["Description"] = self.description
        if self.kms_key_id is not None:
            params["KmsKeyId"] = self.kms_key_id
        if self.tags:
            params["Tags"] = [{"Key": key, "Value": value} for key, value in self.tags]
        return params

    def version_settings(self) -> VersionSettings:
        """What a model version is created with and keeps: any change here needs a new model version."""
        location = self.output_config.get("S3Location", {})
        return VersionSettings.of(
            self.project_name, self.description, location.get("Bucket"), location.get("Prefix"), self.kms_key_id
        )


@dataclass(frozen=True)
class VersionSettings:
    """The settings of a model version that only a new version can change (CreateModel's, tags aside).

    Absent and empty values are the same: a Description or Prefix of "" is no Description or Prefix.
    """

    project_name: str
    description: str
    output_bucket: str
    output_prefix: str
    kms_key_id: str

    @classmethod
    def of(
        cls,
        project_name: str,
        description: str | None,
        output_bucket: str | None,
        output_prefix: str | None,
        kms_key_id: str | None,
    ) -> VersionSettings:
        return cls(project_name, description or "", output_bucket or "", output_prefix or "", kms_key_id or "")


@dataclass(frozen=True)
class DatasetProperties:
    """Custom::LookoutVisionDataset's properties."""

    project_name: str
    dataset_type: str
    dataset_source: Mapping[str, Any] | None = None
    service_timeout: int = consts.SERVICE_TIMEOUT_DEFAULT
    orphan_when_service_unavailable: bool = False

    def create_dataset_input(self) -> dict[str, Any]:
        """CreateDataset's parameters, ClientToken aside."""
        params: dict[str, Any] = {"ProjectName": self.project_name, "DatasetType": self.dataset_type}
        if self.dataset_source is not None:
            params["DatasetSource"] = dict(self.dataset_source)
        return params


def parse_model(properties: Any) -> ModelProperties:
    """Validate Custom::LookoutVisionModel's ResourceProperties; raises PropertyError."""
    violations: list[Violation] = []
    props = _top_level(properties, violations)
    extra = (consts.HOSTING, consts.FLEET, *_SETTINGS)
    values = _members(props, _MODEL_MEMBERS, "", violations, extra=extra)
    hosting = _hosting(props.get(consts.HOSTING), violations)
    timeout, orphan = _settings(props, violations)
    fleet = _fleet(props.get(consts.FLEET), violations)
    if violations:
        raise PropertyError(consts.MODEL_RESOURCE_TYPE, violations)
    return ModelProperties(
        project_name=values[consts.PROJECT_NAME],
        output_config=values[consts.OUTPUT_CONFIG],
        description=values.get(consts.DESCRIPTION),
        kms_key_id=values.get(consts.KMS_KEY_ID),
        tags=tuple((tag["Key"], tag["Value"]) for tag in values.get(consts.TAGS) or ()),
        hosting=hosting,
        service_timeout=timeout,
        orphan_when_service_unavailable=orphan,
        fleet=fleet,
    )


def parse_dataset(properties: Any) -> DatasetProperties:
    """Validate Custom::LookoutVisionDataset's ResourceProperties; raises PropertyError."""
    violations: list[Violation] = []
    props = _top_level(properties, violations)
    values = _members(props, _DATASET_MEMBERS, "", violations, extra=_SETTINGS)
    timeout, orphan = _settings(props, violations)
    if violations:
        raise PropertyError(consts.DATASET_RESOURCE_TYPE, violations)
    return DatasetProperties(
        project_name=values[consts.PROJECT_NAME],
        dataset_type=values[consts.DATASET_TYPE],
        dataset_source=values.get(consts.DATASET_SOURCE),
        service_timeout=timeout,
        orphan_when_service_unavailable=orphan,
    )


def service_timeout(properties: Any) -> int:
    """The ServiceTimeout of any request, leniently: the default when absent or invalid."""
    violations: list[Violation] = []
    props = properties if isinstance(properties, Mapping) else {}
    timeout = _service_timeout(props, violations)
    return consts.SERVICE_TIMEOUT_DEFAULT if violations else timeout


def orphan_when_service_unavailable(properties: Any) -> bool:
    """OrphanWhenServiceUnavailable of any request, leniently: False when absent or invalid."""
    violations: list[Violation] = []
    props = properties if isinstance(properties, Mapping) else {}
    value = _boolean(props, consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE, violations)
    return value and not violations


def fleet_of(properties: Any) -> Fleet:
    """A model's Fleet, leniently (for a Delete): a fleet of one when absent or invalid."""
    violations: list[Violation] = []
    props = properties if isinstance(properties, Mapping) else {}
    fleet = _fleet(props.get(consts.FLEET), violations)
    return Fleet() if fleet is None or violations else fleet


def hosted_by(properties: Any) -> bool:
    """Whether a model's properties host it (a Hosting structure), leniently (for a Delete)."""
    return isinstance(properties, Mapping) and isinstance(properties.get(consts.HOSTING), Mapping)


def coerce(shape: Shape, value: Any) -> Any:
    """CloudFormation's strings converted to the scalar types the shape wants, where they parse."""
    kind = shape.type_name
    if isinstance(value, str):
        text = value.strip()
        if kind in ("integer", "long") and _INTEGER.fullmatch(text):
            return _to_int(text, value)
        if kind in ("float", "double"):
            try:
                return float(text)
            except ValueError:
                return value
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return value
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        return {k: coerce(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list | tuple):
        member: Shape = shape.member  # type: ignore[attr-defined]
        return [coerce(member, item) for item in value]
    return value


def _to_int(text: str, original: Any) -> Any:
    """``int(text)``, or ``original`` unchanged when Python refuses it (over 4300 digits)."""
    try:
        return int(text)
    except ValueError:
        return original


def _top_level(properties: Any, violations: list[Violation]) -> Mapping[str, Any]:
    if properties is None:
        return {}
    if not isinstance(properties, Mapping):
        violations.append(Violation("ResourceProperties", properties, "Member must be of type structure"))
        return {}
    return properties


def _members(
    props: Mapping[str, Any],
    members: Mapping[str, tuple[str, str]],
    prefix: str,
    violations: list[Violation],
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Coerce and validate each property against its API member; flag unknown and missing ones."""
    values: dict[str, Any] = {}
    for name, value in props.items():
        path = f"{prefix}{name}"
        if name in members:
            if value is None:
                continue
            shape = _member_shape(*members[name])
            values[name] = coerce(shape, value)
            violations.extend(servicemodel.validate(shape, values[name], path))
        elif name not in extra and not (not prefix and name == consts.SERVICE_TOKEN):
            violations.append(Violation(path, value, _UNKNOWN))
    for name, (operation, member) in members.items():
        required = _input_shape(operation).required_members
        if member in required and props.get(name) is None:
            violations.append(Violation(f"{prefix}{name}", None, "Member must not be null"))
    return values


def _hosting(value: Any, violations: list[Violation]) -> Hosting | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        violations.append(Violation(consts.HOSTING, value, "Member must be of type structure"))
        return None
    before = len(violations)
    values = _members(value, _HOSTING_MEMBERS, f"{consts.HOSTING}.", violations)
    if len(violations) > before:
        return None
    low, high = values[consts.MIN_INFERENCE_UNITS], values.get(consts.MAX_INFERENCE_UNITS)
    if high is not None and high < low:
        path = f"{consts.HOSTING}.{consts.MAX_INFERENCE_UNITS}"
        constraint = f"Member must have value greater than or equal to {consts.HOSTING}.{consts.MIN_INFERENCE_UNITS}"
        violations.append(Violation(path, high, f"{constraint} ({low})"))
        return None
    return Hosting(low, high)


def _fleet(value: Any, violations: list[Violation]) -> Fleet | None:
    """Fleet: {Rank, Size}, integers (CloudFormation's strings too), 1 <= Size <= FLEET_SIZE_MAX, 0 <= Rank < Size."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        violations.append(Violation(consts.FLEET, value, "Member must be of type structure"))
        return None
    before = len(violations)
    for name in value:
        if name not in (consts.FLEET_RANK, consts.FLEET_SIZE):
            violations.append(Violation(f"{consts.FLEET}.{name}", value[name], _UNKNOWN))
    size = _integer(value, consts.FLEET_SIZE, 1, consts.FLEET_SIZE_MAX, violations)
    rank = _integer(value, consts.FLEET_RANK, 0, consts.FLEET_SIZE_MAX - 1, violations)
    if size is not None and rank is not None and rank >= size:
        path = f"{consts.FLEET}.{consts.FLEET_RANK}"
        constraint = f"Member must have value less than {consts.FLEET}.{consts.FLEET_SIZE} ({size})"
        violations.append(Violation(path, rank, constraint))
    if len(violations) > before or size is None or rank is None:
        return None
    return Fleet(rank=rank, size=size)


def _integer(props: Mapping[str, Any], name: str, low: int, high: int, violations: list[Violation]) -> int | None:
    """A required integer member of Fleet, from ``low`` to ``high``."""
    raw = props.get(name)
    path = f"{consts.FLEET}.{name}"
    if raw is None:
        violations.append(Violation(path, None, "Member must not be null"))
        return None
    value = _to_int(raw.strip(), raw) if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()) else raw
    if not isinstance(value, int) or isinstance(value, bool):
        violations.append(Violation(path, raw, "Member must be of type integer"))
    elif value < low:
        violations.append(Violation(path, raw, f"Member must have value greater than or equal to {low}"))
    elif value > high:
        violations.append(Violation(path, raw, f"Member must have value less than or equal to {high}"))
    else:
        return value
    return None


def _settings(props: Mapping[str, Any], violations: list[Violation]) -> tuple[int, bool]:
    """ServiceTimeout and OrphanWhenServiceUnavailable, validated in that order."""
    return _service_timeout(props, violations), _boolean(props, consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE, violations)


def _service_timeout(props: Mapping[str, Any], violations: list[Violation]) -> int:
    raw = props.get(consts.SERVICE_TIMEOUT)
    if raw is None:
        return consts.SERVICE_TIMEOUT_DEFAULT
    value = _to_int(raw.strip(), raw) if isinstance(raw, str) and _INTEGER.fullmatch(raw.strip()) else raw
    path = consts.SERVICE_TIMEOUT
    if not isinstance(value, int) or isinstance(value, bool):
        violations.append(Violation(path, raw, "Member must be of type integer"))
    elif value < consts.SERVICE_TIMEOUT_MIN:
        violations.append(
            Violation(path, raw, f"Member must have value greater than or equal to {consts.SERVICE_TIMEOUT_MIN}")
        )
    elif value > consts.SERVICE_TIMEOUT_MAX:
        violations.append(
            Violation(path, raw, f"Member must have value less than or equal to {consts.SERVICE_TIMEOUT_MAX}")
        )
    else:
        return value
    return consts.SERVICE_TIMEOUT_DEFAULT


def _boolean(props: Mapping[str, Any], name: str, violations: list[Violation]) -> bool:
    """A boolean property: true or false, or CloudFormation's strings "true" and "false"; absent = False."""
    raw = props.get(name)
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    violations.append(Violation(name, raw, 'Member must be of type boolean ("true" or "false")'))
    return False


def _input_shape(operation: str) -> StructureShape:
    shape = servicemodel.operation_model(operation).input_shape
    assert shape is not None, operation
    return shape


def _member_shape(operation: str, member: str) -> Shape:
    return _input_shape(operation).members[member]
