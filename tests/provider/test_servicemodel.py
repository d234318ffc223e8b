from __future__ import annotations

import boto3
import pytest

from lookoutvision_cdk_provider import servicemodel


def test_newest_boto3_builds_a_lookoutvision_client() -> None:
    client = boto3.client("lookoutvision", region_name="us-east-1")
    assert "DeleteModel" in client.meta.service_model.operation_names


def test_valid_delete_model_input_has_no_violation() -> None:
    params = {"ProjectName": "my-project_1", "ModelVersion": "12", "ClientToken": "abc-123"}
    assert servicemodel.validate_input("DeleteModel", params) == []


@pytest.mark.parametrize(
    ("params", "path", "constraint"),
    [
        ({"ModelVersion": "1"}, "ProjectName", "Member must not be null"),
        ({"ProjectName": "-bad", "ModelVersion": "1"}, "ProjectName", "regular expression pattern"),
        ({"ProjectName": "p" * 256, "ModelVersion": "1"}, "ProjectName", "less than or equal to 255"),
        ({"ProjectName": "p", "ModelVersion": "0"}, "ModelVersion", "regular expression pattern"),
        ({"ProjectName": "p", "ModelVersion": "12345678901"}, "ModelVersion", "less than or equal to 10"),
        ({"ProjectName": "p", "ModelVersion": "1", "ClientToken": "a_b"}, "ClientToken", "pattern"),
        ({"ProjectName": "p", "ModelVersion": "1", "ClientToken": "a" * 65}, "ClientToken", "less than or equal to 64"),
        ({"ProjectName": "p", "ModelVersion": 1}, "ModelVersion", "of type string"),
    ],
)
def test_each_delete_model_constraint_is_read_from_the_model(params: dict, path: str, constraint: str) -> None:
    violations = servicemodel.validate_input("DeleteModel", params)
    assert [v.path for v in violations] == [path]
    assert constraint in violations[0].constraint


def test_nested_members_ranges_and_unicode_patterns() -> None:
    params = {
        "ProjectName": "p",
        "Description": "has spaces",
        "OutputConfig": {"S3Location": {"Prefix": "x/"}},
        "Tags": [{"Key": "Ünïcode key", "Value": "fine"}, {"Key": "bad<", "Value": "v"}],
    }
    paths = {v.path: v.constraint for v in servicemodel.validate_input("CreateModel", params)}
    assert set(paths) == {"Description", "OutputConfig.S3Location.Bucket", "Tags.2.Key"}
    assert "must not be null" in paths["OutputConfig.S3Location.Bucket"]


def test_integer_range_and_booleans_are_not_integers() -> None:
    base = {"ProjectName": "p", "ModelVersion": "1"}
    low = servicemodel.validate_input("StartModel", {**base, "MinInferenceUnits": 0})
    assert "greater than or equal to 1" in low[0].constraint
    as_bool = servicemodel.validate_input("StartModel", {**base, "MinInferenceUnits": True})
    assert "of type integer" in as_bool[0].constraint
    page = servicemodel.validate_input("ListModels", {"ProjectName": "p", "MaxResults": 101})
    assert page[0].path == "MaxResults"


def test_message_reads_like_the_service() -> None:
    violations = servicemodel.validate_input("DeleteModel", {"ProjectName": "p", "ModelVersion": "x"})
    message = servicemodel.validation_message(violations)
    assert message.startswith("1 validation error detected: Value 'x' at 'ModelVersion' failed to satisfy")


def test_every_pattern_of_the_model_reads_as_a_python_regular_expression() -> None:
    model = servicemodel.service_model()
    patterns = {
        model.shape_for(n).metadata["pattern"] for n in model.shape_names if "pattern" in model.shape_for(n).metadata
    }
    assert len(patterns) > 10
    for pattern in patterns:
        servicemodel._pattern(pattern)  # raises for Java syntax left untranslated


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("team:vision/line-3@plant=+_.", True),
        ("Équipe qualité", True),  # letters of any script, a space
        ("検査ライン 3", True),
        ("line\u00a0three", True),  # a no-break space is a separator (\\p{Z})
        ("Ⅻ½", True),  # numbers (\\p{N}) beyond the digits
        ("a#b", False),
        ("tab\there", False),  # a tab is no separator in Unicode's sense
        ("emoji🙂", False),
    ],
)
def test_the_tag_character_set_reads_as_javas_unicode_classes(value: str, valid: bool) -> None:
    violations = servicemodel.validate_input(
        "TagResource", {"ResourceArn": "arn", "Tags": [{"Key": value, "Value": "v"}]}
    )
    assert (not violations) is valid, violations
