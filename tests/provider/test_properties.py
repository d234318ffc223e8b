"""Property parsing: CloudFormation's string values coerced, every bad input named with its constraint."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.errors import PropertyError
from lookoutvision_cdk_provider.fleet_pace import Fleet
from lookoutvision_cdk_provider.properties import (
    Hosting,
    fleet_of,
    hosted_by,
    orphan_when_service_unavailable,
    parse_dataset,
    parse_model,
    service_timeout,
)

MODEL: dict[str, Any] = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
    "ProjectName": "my-project_1",
    "Description": "first.model-v1",
    "OutputConfig": {"S3Location": {"Bucket": "my-bucket", "Prefix": "models/"}},
    "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "Tags": [{"Key": "team", "Value": "vision"}, {"Key": "Ünïcode", "Value": ""}],
    "Hosting": {"MinInferenceUnits": "2", "MaxInferenceUnits": "5"},
    "ServiceTimeout": "900",
}
DATASET: dict[str, Any] = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
    "ProjectName": "my-project",
    "DatasetType": "train",
    "DatasetSource": {"GroundTruthManifest": {"S3Object": {"Bucket": "bkt", "Key": "m/train.manifest"}}},
}
S3_OBJECT = "DatasetSource.GroundTruthManifest.S3Object"


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``path`` (dotted; list items by 0-based index) set, or removed for ...."""
    props = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = props
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if value is ...:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return props


def test_a_full_model_parses_with_strings_coerced() -> None:
    props = parse_model(MODEL)
    assert props.project_name == "my-project_1"
    assert props.hosting == Hosting(2, 5)
    assert props.service_timeout == 900
    assert props.tags == (("team", "vision"), ("Ünïcode", ""))
    assert props.create_model_input() == {
        "ProjectName": "my-project_1",
        "OutputConfig": {"S3Location": {"Bucket": "my-bucket", "Prefix": "models/"}},
        "Description": "first.model-v1",
        "KmsKeyId": MODEL["KmsKeyId"],
        "Tags": [{"Key": "team", "Value": "vision"}, {"Key": "Ünïcode", "Value": ""}],
    }
    assert props.hosting.start_model_input() == {"MinInferenceUnits": 2, "MaxInferenceUnits": 5}


def test_minimal_model_defaults() -> None:
    props = parse_model({"ProjectName": "p", "OutputConfig": {"S3Location": {"Bucket": "bkt"}}})
    assert props.hosting is None
    assert props.service_timeout == consts.SERVICE_TIMEOUT_DEFAULT
    assert props.tags == ()
    assert props.create_model_input() == {"ProjectName": "p", "OutputConfig": {"S3Location": {"Bucket": "bkt"}}}


@pytest.mark.parametrize(
    ("path", "value", "named", "constraint"),
    [
        ("ProjectName", ..., "ProjectName", "must not be null"),
        ("ProjectName", "-starts-with-dash", "ProjectName", "regular expression pattern"),
        ("ProjectName", "p" * 256, "ProjectName", "length less than or equal to 255"),
        ("ProjectName", "", "ProjectName", "length greater than or equal to 1"),
        ("ProjectName", 12, "ProjectName", "of type string"),
        ("Description", "has spaces", "Description", "regular expression pattern"),
        ("Description", "d" * 501, "Description", "length less than or equal to 500"),
        ("OutputConfig", ..., "OutputConfig", "must not be null"),
        ("OutputConfig", "bkt", "OutputConfig", "of type structure"),
        ("OutputConfig.S3Location.Bucket", ..., "OutputConfig.S3Location.Bucket", "must not be null"),
        ("OutputConfig.S3Location.Bucket", "ab", "OutputConfig.S3Location.Bucket", "greater than or equal to 3"),
        ("OutputConfig.S3Location.Bucket", "b" * 64, "OutputConfig.S3Location.Bucket", "less than or equal to 63"),
        ("OutputConfig.S3Location.Prefix", "/abs", "OutputConfig.S3Location.Prefix", "regular expression pattern"),
        ("OutputConfig.S3Location.Region", "x", "OutputConfig.S3Location.Region", "not a known"),
        ("KmsKeyId", "", "KmsKeyId", "greater than or equal to 1"),
        ("KmsKeyId", "-bad", "KmsKeyId", "regular expression pattern"),
        ("Tags", {"Key": "a"}, "Tags", "of type list"),
        ("Tags.0.Key", "bad<", "Tags.1.Key", "regular expression pattern"),
        ("Tags.0.Key", "", "Tags.1.Key", "greater than or equal to 1"),
        ("Tags.1.Value", "v" * 257, "Tags.2.Value", "less than or equal to 256"),
        ("Tags.0.Value", ..., "Tags.1.Value", "must not be null"),
        ("Hosting", "yes", "Hosting", "of type structure"),
        ("Hosting.MinInferenceUnits", ..., "Hosting.MinInferenceUnits", "must not be null"),
        ("Hosting.MinInferenceUnits", "0", "Hosting.MinInferenceUnits", "greater than or equal to 1"),
        ("Hosting.MinInferenceUnits", "two", "Hosting.MinInferenceUnits", "of type integer"),
        ("Hosting.MinInferenceUnits", "1.5", "Hosting.MinInferenceUnits", "of type integer"),
        ("Hosting.MinInferenceUnits", True, "Hosting.MinInferenceUnits", "of type integer"),
        ("Hosting.MaxInferenceUnits", "1", "Hosting.MaxInferenceUnits", "Hosting.MinInferenceUnits"),
        ("Hosting.Autoscale", "true", "Hosting.Autoscale", "not a known property"),
        ("ServiceTimeout", "0", "ServiceTimeout", "greater than or equal to 1"),
        ("ServiceTimeout", "3601", "ServiceTimeout", "less than or equal to 3600"),
        ("ServiceTimeout", "soon", "ServiceTimeout", "of type integer"),
        ("ModelVersion", "1", "ModelVersion", "not a known property"),
    ],
)
def test_each_bad_model_property_is_named_with_its_constraint(
    path: str, value: Any, named: str, constraint: str
) -> None:
    with pytest.raises(PropertyError) as caught:
        parse_model(_with(MODEL, path, value))
    # Every violation is the one property's (an empty string breaks both length and pattern).
    assert {v.path for v in caught.value.violations} == {named}
    assert any(constraint in v.constraint for v in caught.value.violations)
    assert named in caught.value.message
    assert constraint in caught.value.message


def test_all_violations_are_reported_at_once() -> None:
    bad = {"ProjectName": "-x", "Hosting": {"MinInferenceUnits": "0"}, "Extra": 1}
    with pytest.raises(PropertyError) as caught:
        parse_model(bad)
    assert {v.path for v in caught.value.violations} == {
        "ProjectName",
        "OutputConfig",
        "Hosting.MinInferenceUnits",
        "Extra",
    }


@pytest.mark.parametrize("properties", [None, "text", ["a"]])
def test_properties_that_are_not_an_object(properties: Any) -> None:
    with pytest.raises(PropertyError):
        parse_model(properties)


def test_integers_accept_cloudformation_strings_with_spaces_and_signs() -> None:
    props = parse_model(_with(MODEL, "Hosting", {"MinInferenceUnits": " +3 "}))
    assert props.hosting == Hosting(3, None)
    assert parse_model(_with(MODEL, "Hosting", {"MinInferenceUnits": 4})).hosting == Hosting(4, None)


def test_a_dataset_parses() -> None:
    props = parse_dataset({**DATASET, "ServiceTimeout": "120"})
    assert (props.project_name, props.dataset_type, props.service_timeout) == ("my-project", "train", 120)
    assert props.create_dataset_input() == {
        "ProjectName": "my-project",
        "DatasetType": "train",
        "DatasetSource": DATASET["DatasetSource"],
    }


@pytest.mark.parametrize(
    ("path", "value", "named", "constraint"),
    [
        ("DatasetType", "validation", "DatasetType", "regular expression pattern"),
        ("DatasetType", ..., "DatasetType", "must not be null"),
        ("ProjectName", "a/b", "ProjectName", "regular expression pattern"),
        (
            "DatasetSource.GroundTruthManifest.S3Object.Key",
            ...,
            "DatasetSource.GroundTruthManifest.S3Object.Key",
            "null",
        ),
        (
            "DatasetSource.GroundTruthManifest.S3Object.Bucket",
            "x",
            "DatasetSource.GroundTruthManifest.S3Object.Bucket",
            "3",
        ),
        (
            "DatasetSource.GroundTruthManifest.S3Object.VersionId",
            "",
            "DatasetSource.GroundTruthManifest.S3Object.VersionId",
            "1",
        ),
        ("DatasetSource.Manifest", "x", "DatasetSource.Manifest", "not a known"),
        ("Hosting", {"MinInferenceUnits": "1"}, "Hosting", "not a known property"),
    ],
)
def test_each_bad_dataset_property_is_named(path: str, value: Any, named: str, constraint: str) -> None:
    with pytest.raises(PropertyError) as caught:
        parse_dataset(_with(DATASET, path, value))
    assert [v.path for v in caught.value.violations] == [named]
    assert constraint in caught.value.violations[0].constraint


@pytest.mark.parametrize(
    ("properties", "expected"),
    [({"ServiceTimeout": "60"}, 60), ({"ServiceTimeout": "x"}, 3600), ({}, 3600), (None, 3600), ("junk", 3600)],
)
def test_service_timeout_is_read_leniently_for_any_request(properties: Any, expected: int) -> None:
    assert service_timeout(properties) == expected


# -- any input: a result or a PropertyError, never another exception --------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5000), st.floats(allow_nan=True), st.text(max_size=20))
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_names = st.sampled_from(
    [
        *("ProjectName", "OutputConfig", "Description", "KmsKeyId", "Tags", "Hosting", "ServiceTimeout"),
        "OrphanWhenServiceUnavailable",
        *("DatasetType", "DatasetSource", "S3Location", "Bucket", "Prefix", "MinInferenceUnits", "Key", "Value"),
        "GroundTruthManifest",
    ]
)
_near_valid = st.dictionaries(
    _names,
    st.recursive(
        _scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
        max_leaves=10,
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, _near_valid))
def test_any_properties_parse_or_raise_property_error(properties: Any) -> None:
    for parse in (parse_model, parse_dataset):
        try:
            parse(properties)
        except PropertyError as exc:
            assert exc.violations
            assert all(v.constraint for v in exc.violations)
    assert isinstance(service_timeout(properties), int)


def test_an_integer_beyond_pythons_digit_limit_is_a_violation_not_a_crash() -> None:
    huge = "1" * 5000
    with pytest.raises(PropertyError) as caught:
        parse_model(_with(MODEL, "Hosting.MinInferenceUnits", huge))
    assert [v.path for v in caught.value.violations] == ["Hosting.MinInferenceUnits"]
    assert "of type integer" in caught.value.violations[0].constraint
    assert service_timeout({"ServiceTimeout": huge}) == consts.SERVICE_TIMEOUT_DEFAULT


def test_long_values_are_cut_in_the_message_so_the_constraint_stays_visible() -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(201)]
    with pytest.raises(PropertyError) as caught:
        parse_model(_with(MODEL, "Tags", tags))
    assert len(caught.value.message) < 200
    assert "Tags=[" in caught.value.message
    assert "length less than or equal to 200" in caught.value.message


# -- OrphanWhenServiceUnavailable: a boolean, as CloudFormation's strings too ------------------------

ORPHAN = consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), (" True ", True), ("FALSE", False), (True, True), (False, False)],
)
def test_orphan_when_service_unavailable_accepts_booleans_and_their_strings(value: Any, expected: bool) -> None:
    assert parse_model({**MODEL, ORPHAN: value}).orphan_when_service_unavailable is expected
    assert parse_dataset({**DATASET, ORPHAN: value}).orphan_when_service_unavailable is expected
    assert orphan_when_service_unavailable({ORPHAN: value}) is expected


def test_orphan_when_service_unavailable_defaults_to_false() -> None:
    assert parse_model(MODEL).orphan_when_service_unavailable is False
    assert parse_dataset(DATASET).orphan_when_service_unavailable is False


@pytest.mark.parametrize("value", ["yes", "1", 1, 0, "", [True], {"Value": "true"}])
def test_orphan_when_service_unavailable_refuses_anything_else(value: Any) -> None:
    for parse, base in ((parse_model, MODEL), (parse_dataset, DATASET)):
        with pytest.raises(PropertyError) as caught:
            parse({**base, ORPHAN: value})
        assert [v.path for v in caught.value.violations] == [ORPHAN]
        assert "of type boolean" in caught.value.message
    # Read leniently for a Delete: anything but a valid true is false.
    assert orphan_when_service_unavailable({ORPHAN: value}) is False


@pytest.mark.parametrize("properties", [None, "junk", {}, {ORPHAN: None}])
def test_orphan_when_service_unavailable_is_false_without_a_value(properties: Any) -> None:
    assert orphan_when_service_unavailable(properties) is False


# -- Fleet: a model's place among its stack's models --------------------------------------------------

FLEET = consts.FLEET


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Rank": "0", "Size": "1"}, Fleet(0, 1)),
        ({"Rank": " 41 ", "Size": "100"}, Fleet(41, 100)),
        ({"Rank": 2, "Size": 3}, Fleet(2, 3)),
    ],
)
def test_fleet_parses_from_cloudformations_strings(value: Any, expected: Fleet) -> None:
    assert parse_model({**MODEL, FLEET: value}).fleet == expected
    assert fleet_of({FLEET: value}) == expected


@pytest.mark.parametrize(
    ("value", "path", "constraint"),
    [
        ({"Rank": "3", "Size": "3"}, "Fleet.Rank", "less than Fleet.Size (3)"),
        ({"Rank": "-1", "Size": "3"}, "Fleet.Rank", "greater than or equal to 0"),
        ({"Rank": "0", "Size": "0"}, "Fleet.Size", "greater than or equal to 1"),
        ({"Rank": "0", "Size": str(consts.FLEET_SIZE_MAX + 1)}, "Fleet.Size", "less than or equal to 500"),
        ({"Rank": "x", "Size": "3"}, "Fleet.Rank", "of type integer"),
        ({"Size": "3"}, "Fleet.Rank", "must not be null"),
        ({"Rank": "0", "Size": "3", "Order": "1"}, "Fleet.Order", "not a known property"),
        ("0/3", "Fleet", "of type structure"),
    ],
)
def test_each_bad_fleet_is_named_with_its_constraint(value: Any, path: str, constraint: str) -> None:
    with pytest.raises(PropertyError) as caught:
        parse_model({**MODEL, FLEET: value})
    assert path in [v.path for v in caught.value.violations]
    assert constraint in caught.value.message
    assert fleet_of({FLEET: value}) == Fleet()  # a Delete reads it leniently: a fleet of one


def test_a_model_without_a_fleet_is_a_fleet_of_one_and_hosted_by_its_hosting() -> None:
    assert parse_model(MODEL).fleet is None
    assert fleet_of(MODEL) == Fleet(0, 1)
    unhosted = {k: v for k, v in MODEL.items() if k != consts.HOSTING}
    assert hosted_by({**unhosted, consts.HOSTING: {consts.MIN_INFERENCE_UNITS: "1"}}) is True
    assert hosted_by(unhosted) is False and hosted_by(None) is False
