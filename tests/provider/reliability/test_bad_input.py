"""Bad input through the handler (in process): each broken constraint is a clear FAILED and no call at all.

The invalid values are derived from the service model (``lookoutvision_cdk_provider.servicemodel``), not typed by
hand: for every member a property maps to, a value below its minimum length or value, above its
maximum, outside its pattern or enum, of the wrong type, or missing when required. Each is sent
as a Create and as an Update of an existing model; the answer must be FAILED naming the property
path and the constraint, with no call to Lookout for Vision and nothing created or changed.

Then a hypothesis fuzz over the whole property space — strings, numbers, nested objects, lists,
None and CloudFormation's stringified scalars — for every request type: the handler never raises,
every request gets one well-formed response within CloudFormation's 4096 bytes, and a FAILED
Reason is a sentence for a person, never a traceback or an "unexpected" internal error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.model import ListShape, Shape, StringShape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookoutvision_cdk_provider import consts, servicemodel
from lookoutvision_localcloud.cloudformation.custom_resource import check_response as cloudformation_problems
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.provider import (
    PROJECT,
    Requests,
    dataset_properties,
    model_properties,
    project_with_dataset,
    trained_model,
)
from tests.fixtures.secrets import leaks

# A model with every property set, valid (CloudFormation passes numbers as strings).
VALID_MODEL = model_properties(
    Description="valid-description",
    KmsKeyId="alias/valid",
    Tags=[{"Key": "team", "Value": "vision"}],
    Hosting={consts.MIN_INFERENCE_UNITS: "1", consts.MAX_INFERENCE_UNITS: "2"},
    ServiceTimeout="3600",  # 14 real seconds: a loaded machine does not outlast it before the first call
)
MODEL_MEMBERS = {
    consts.PROJECT_NAME: ("CreateModel", "ProjectName"),
    consts.DESCRIPTION: ("CreateModel", "Description"),
    consts.OUTPUT_CONFIG: ("CreateModel", "OutputConfig"),
    consts.KMS_KEY_ID: ("CreateModel", "KmsKeyId"),
    consts.TAGS: ("CreateModel", "Tags"),
    f"{consts.HOSTING}.{consts.MIN_INFERENCE_UNITS}": ("StartModel", "MinInferenceUnits"),
    f"{consts.HOSTING}.{consts.MAX_INFERENCE_UNITS}": ("StartModel", "MaxInferenceUnits"),
}
DATASET_MEMBERS = {
    consts.PROJECT_NAME: ("CreateDataset", "ProjectName"),
    consts.DATASET_TYPE: ("CreateDataset", "DatasetType"),
    consts.DATASET_SOURCE: ("CreateDataset", "DatasetSource"),
}
# Characters tried, in order, to break a pattern while keeping a valid length.
PATTERN_BREAKERS = ("has space", "-lead", "<tag>", "semi;colon", "/lead", "\u00e9t\u00e9", "\u2603")
MUTATING = {"CreateModel", "StartModel", "StopModel", "DeleteModel", "CreateDataset", "DeleteDataset"}


def _set(properties: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``properties`` with the member at ``path`` (dots; list items 1-based) set or removed."""
    result = json.loads(json.dumps(properties))
    *parents, last = path.split(".")
    node: Any = result
    for part in parents:
        node = node[int(part) - 1] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last) - 1] = value
    elif value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return result


def _valid_string(shape: StringShape, length: int) -> str | None:
    """A string of ``length`` that the shape's pattern accepts, if a simple one does."""
    for char in "abc0":
        text = char * length
        if not [v for v in servicemodel.validate(shape, text, "x") if "pattern" in v.constraint]:
            return text
    return None


def invalid_values(shape: Shape, path: str, required: bool) -> Iterator[tuple[str, Any, str]]:
    """(path, value, constraint phrase) for each constraint of ``shape`` and the members below it."""
    meta = shape.metadata
    if required:
        yield path, ..., "must not be null"
    if isinstance(shape, StructureShape):
        yield path, "not-an-object", "of type structure"
        for name, member in shape.members.items():
            yield from invalid_values(member, f"{path}.{name}", name in shape.required_members)
        return
    if isinstance(shape, ListShape):
        yield path, {"not": "a list"}, "of type list"
        if "max" in meta:
            yield path, [{"Key": f"k{i}", "Value": "v"} for i in range(meta["max"] + 1)], "length less than or equal to"
        yield from invalid_values(shape.member, f"{path}.1", False)
        return
    if shape.type_name == "integer":
        yield path, "twelve", "of type integer"
        yield path, "1.5", "of type integer"
        if "min" in meta:
            yield path, str(meta["min"] - 1), "value greater than or equal to"
        if "max" in meta:
            yield path, str(meta["max"] + 1), "value less than or equal to"
        return
    assert isinstance(shape, StringShape), shape
    yield path, {"a": "b"}, "of type string"
    if meta.get("min", 0) > 0:
        yield path, "", "length greater than or equal to"
    if "max" in meta:
        too_long = _valid_string(shape, meta["max"] + 1)
        if too_long is not None:
            yield path, too_long, "length less than or equal to"
    if "pattern" in meta:
        for candidate in PATTERN_BREAKERS:
            violations = servicemodel.validate(shape, candidate, path)
            if [v.constraint for v in violations] and all("pattern" in v.constraint for v in violations):
                yield path, candidate, "regular expression pattern"
                break
    if shape.enum:
        yield path, "not-in-the-enum", "enum value set"


def cases(members: dict[str, tuple[str, str]], base: dict[str, Any]) -> list[tuple[str, Any, str]]:
    found: list[tuple[str, Any, str]] = []
    for path, (operation, member) in members.items():
        shape = servicemodel.operation_model(operation).input_shape
        assert shape is not None
        found += invalid_values(shape.members[member], path, member in shape.required_members)
    # Members below a list item need the item to exist in the base: Tags.1 does.
    return [(p, v, c) for p, v, c in found if _reachable(base, p)]


def _reachable(base: dict[str, Any], path: str) -> bool:
    node: Any = base
    for part in path.split(".")[:-1]:
        if isinstance(node, list):
            if not part.isdigit() or int(part) > len(node):
                return False
            node = node[int(part) - 1]
        elif isinstance(node, dict):
            node = node.get(part, {})
    return True


MODEL_CASES = cases(MODEL_MEMBERS, VALID_MODEL)
DATASET_CASES = cases(DATASET_MEMBERS, dataset_properties())
SERVICE_TIMEOUT_CASES = [
    (consts.SERVICE_TIMEOUT, str(consts.SERVICE_TIMEOUT_MIN - 1), "value greater than or equal to"),
    (consts.SERVICE_TIMEOUT, str(consts.SERVICE_TIMEOUT_MAX + 1), "value less than or equal to"),
    (consts.SERVICE_TIMEOUT, "an hour", "of type integer"),
    ("NotAProperty", "x", "not a known property"),
]


def _id(case: tuple[str, Any, str]) -> str:
    path, value, constraint = case
    shown = "missing" if value is ... else type(value).__name__ + str(len(value) if hasattr(value, "__len__") else "")
    return f"{path}-{constraint.replace(' ', '_')}-{shown}"


def _params(found: list[tuple[str, Any, str]]) -> list[Any]:
    return [pytest.param(case, id=_id(case)) for case in found]


def _assert_clear_failure(response: dict[str, Any], path: str, constraint: str) -> None:
    assert response["Status"] == "FAILED"
    reason = response["Reason"]
    assert path in reason, reason
    assert constraint in reason, reason
    assert reason.rstrip().endswith("Fix the resource's properties."), reason


def test_every_member_has_cases() -> None:
    """The derivation covers every property, with several constraints each (the table is not empty by accident)."""
    paths = {path.split(".")[0] for path, _, _ in MODEL_CASES}
    assert paths == {consts.PROJECT_NAME, consts.DESCRIPTION, consts.OUTPUT_CONFIG, consts.KMS_KEY_ID}.union(
        {consts.TAGS, consts.HOSTING}
    )
    assert len(MODEL_CASES) >= 30
    assert {c for _, _, c in MODEL_CASES} >= {
        "must not be null",
        "regular expression pattern",
        "length less than or equal to",
        "length greater than or equal to",
        "value greater than or equal to",
        "of type string",
        "of type integer",
        "of type structure",
        "of type list",
    }


@pytest.mark.parametrize("case", _params(MODEL_CASES + SERVICE_TIMEOUT_CASES))
def test_a_bad_model_property_fails_create_and_update_without_a_call(
    requests: Requests, emulator: Emulator, case: tuple[str, Any, str]
) -> None:
    path, value, constraint = case
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    before = emulator.backend.inventory()
    bad = _set(VALID_MODEL, path, value)

    create = requests.request("Create", properties=bad)
    update = requests.request("Update", physical_id=arn, properties=bad, old_properties=VALID_MODEL)

    _assert_clear_failure(create, path, constraint)
    _assert_clear_failure(update, path, constraint)
    assert update["PhysicalResourceId"] == arn
    assert emulator.calls == []
    assert emulator.backend.inventory() == before


@pytest.mark.parametrize("case", _params(DATASET_CASES))
def test_a_bad_dataset_property_fails_without_a_call(
    requests: Requests, emulator: Emulator, case: tuple[str, Any, str]
) -> None:
    path, value, constraint = case
    emulator.backend.create_project(PROJECT)
    response = requests.request(
        "Create", resource_type=consts.DATASET_RESOURCE_TYPE, properties=_set(dataset_properties(), path, value)
    )
    _assert_clear_failure(response, path, constraint)
    assert emulator.calls == []
    assert emulator.backend.inventory() == {PROJECT: {"datasets": {}, "models": {}}}


# -- values past Python's limits ---------------------------------------------------------------------

HUGE_INTEGER = "1" * 5000  # Python refuses int() of strings over 4300 digits


def test_an_integer_too_long_to_convert_is_a_property_violation(requests: Requests, emulator: Emulator) -> None:
    properties = _set(VALID_MODEL, "Hosting.MinInferenceUnits", HUGE_INTEGER)
    response = requests.request("Create", properties=properties)
    assert response["Status"] == "FAILED"
    assert "unexpected" not in response["Reason"]
    assert "Hosting.MinInferenceUnits" in response["Reason"]


def test_a_delete_never_fails_on_its_service_timeout(requests: Requests, emulator: Emulator) -> None:
    properties = model_properties(ServiceTimeout=HUGE_INTEGER)
    response = requests.request("Delete", physical_id="stack_Model_ABCDEFGH", properties=properties)
    assert response["Status"] == "SUCCESS", response["Reason"]


# -- fuzz -----------------------------------------------------------------------------------------------

_stringified = st.one_of(
    st.integers(-10, 10_000).map(str),
    st.sampled_from(["true", "false", "1.5", "", " 3 ", "-0", "1e3", "null"]),
)
_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    _stringified,
)
_names = st.sampled_from(
    [
        *(consts.PROJECT_NAME, consts.OUTPUT_CONFIG, consts.DESCRIPTION, consts.KMS_KEY_ID, consts.TAGS),
        *(consts.HOSTING, consts.SERVICE_TIMEOUT, consts.DATASET_TYPE, consts.DATASET_SOURCE),
        *("S3Location", "Bucket", "Prefix", consts.MIN_INFERENCE_UNITS, consts.MAX_INFERENCE_UNITS, "Key", "Value"),
        *("GroundTruthManifest", "S3Object", "Version", consts.CONTINUATION, "CrHelperPoll"),
    ]
)
_value = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_names | st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_near_valid_model = st.builds(lambda changes: {**VALID_MODEL, **changes}, st.dictionaries(_names, _value, max_size=3))
_properties = st.one_of(
    st.dictionaries(_names | st.text(max_size=8), _value, max_size=6),
    _near_valid_model,
    _value,
)
_physical_ids = st.one_of(
    st.just("arn:aws:lookoutvision:us-east-1:123456789012:model/proj/1"),
    st.builds(lambda v: f"arn:aws:lookoutvision:us-east-1:123456789012:model/proj/{v}", st.text(max_size=12)),
    st.just(f"{PROJECT}/train"),
    st.text(min_size=1, max_size=80),
)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    request_type=st.sampled_from(["Create", "Update", "Delete"]),
    resource_type=st.sampled_from([consts.MODEL_RESOURCE_TYPE, consts.DATASET_RESOURCE_TYPE]),
    properties=_properties,
    old_properties=_properties,
    physical_id=_physical_ids,
)
def test_fuzzed_requests_always_get_one_well_formed_answer(
    requests: Requests,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    request_type: str,
    resource_type: str,
    properties: Any,
    old_properties: Any,
    physical_id: str,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    first_call = len(emulator.calls)
    event = requests.event(
        request_type, resource_type=resource_type, physical_id=None if request_type == "Create" else physical_id
    )
    event["ResourceProperties"] = properties  # anything, on purpose
    if request_type == "Update":
        event["OldResourceProperties"] = old_properties

    requests.invoke(event)  # never raises

    [response] = requests.endpoint.responses(event["RequestId"])
    assert cloudformation_problems(response, event) == []
    assert len(json.dumps(response).encode()) <= 4096
    assert response["Status"] in ("SUCCESS", "FAILED")
    if request_type == "Delete":
        assert response["PhysicalResourceId"] == physical_id
    if response["Status"] == "FAILED":
        reason = response["Reason"]
        assert reason.startswith(f"{request_type} Model: "), reason
        assert "Traceback" not in reason and 'File "' not in reason, reason
        assert "unexpected" not in reason, reason
        assert not reason.startswith("ERROR: (truncated)"), reason
    # crhelper caught nothing: every path ended in the provider's own decision, no exception escaped to it.
    escaped = [r for r in caplog.records if r.exc_info and r.exc_info[1] is not None and r.name.startswith("crhelper")]
    assert escaped == []
    assert leaks(caplog.text, [event]) == []
    # No project exists: nothing can have been created.
    assert not [c for c in emulator.calls[first_call:] if c.operation in MUTATING and c.ok]
    assert emulator.backend.is_empty()
