"""Resolving intrinsic functions the way CloudFormation does for what CDK emits."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_localcloud.cloudformation.exceptions import TemplateError, UnresolvableError
from lookoutvision_localcloud.cloudformation.intrinsics import Resolver, StackContext

CONTEXT = StackContext(
    stack_name="Demo",
    stack_id="arn:aws:cloudformation:eu-west-1:111122223333:stack/Demo/0000",
    region="eu-west-1",
    account_id="111122223333",
)
PHYSICAL = {"Project": "demo-project", "Function": "Demo-Function-ABC"}
ATTRIBUTES = {("Function", "Arn"): "arn:aws:lambda:eu-west-1:111122223333:function:Demo-Function-ABC"}


def ref(name: str) -> Any:
    if name not in PHYSICAL:
        raise UnresolvableError(f"{name} not created")
    return PHYSICAL[name]


def get_att(name: str, attribute: str) -> Any:
    if (name, attribute) not in ATTRIBUTES:
        raise UnresolvableError(f"{name}.{attribute} unknown")
    return ATTRIBUTES[(name, attribute)]


def resolver(conditions: dict[str, Any] | None = None, parameters: dict[str, Any] | None = None) -> Resolver:
    return Resolver(
        CONTEXT,
        parameters=parameters or {"Env": "prod"},
        conditions=conditions or {},
        mappings={"Sizes": {"prod": {"Units": 2}}},
        ref=ref,
        get_att=get_att,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Ref": "AWS::AccountId"}, "111122223333"),
        ({"Ref": "AWS::Partition"}, "aws"),
        ({"Ref": "AWS::StackName"}, "Demo"),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Ref": "Env"}, "prod"),
        ({"Ref": "Project"}, "demo-project"),
        ({"Fn::GetAtt": ["Function", "Arn"]}, ATTRIBUTES[("Function", "Arn")]),
        ({"Fn::GetAtt": "Function.Arn"}, ATTRIBUTES[("Function", "Arn")]),
        ({"Fn::Join": ["-", ["a", {"Ref": "Project"}, 3]]}, "a-demo-project-3"),
        ({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Project}"}, None),
        ({"Fn::Sub": ["${A}/${B}", {"A": {"Ref": "Env"}, "B": "b"}]}, "prod/b"),
        ({"Fn::Sub": "${!Literal}-${Function.Arn}"}, "${Literal}-" + ATTRIBUTES[("Function", "Arn")]),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::Select": ["0", ["x", "y"]]}, "x"),
        ({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Units"]}, 2),
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"Fn::ToJsonString": {"a": [1, {"Ref": "Env"}]}}, '{"a":[1,"prod"]}'),
        ({"Fn::Length": [1, 2, 3]}, 3),
        ({"Fn::GetAZs": ""}, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ],
)
def test_functions(value: Any, expected: Any) -> None:
    if expected is None:
        expected = "arn:aws:x:eu-west-1:111122223333:demo-project"
    assert resolver().resolve(value) == expected


def test_nested_structures_are_resolved_and_no_value_is_dropped() -> None:
    value = {
        "Name": {"Ref": "Project"},
        "Tags": [{"Key": "k", "Value": {"Ref": "Env"}}, {"Ref": "AWS::NoValue"}],
        "Gone": {"Ref": "AWS::NoValue"},
        "Count": 3,
    }
    assert resolver().resolve(value) == {"Name": "demo-project", "Tags": [{"Key": "k", "Value": "prod"}], "Count": 3}


def test_conditions_as_cdk_writes_them() -> None:
    conditions = {
        "CDKMetadataAvailable": {
            "Fn::Or": [
                {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
            ]
        },
        "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
        "NotDev": {"Fn::Not": [{"Condition": "IsDev"}]},
        "Both": {"Fn::And": [{"Condition": "NotDev"}, {"Condition": "CDKMetadataAvailable"}]},
    }
    r = resolver(conditions)
    assert r.condition("CDKMetadataAvailable")
    assert not r.condition("IsDev")
    assert r.condition("Both")
    assert r.resolve({"Fn::If": ["IsDev", "small", {"Ref": "AWS::NoValue"}]}) is not None
    assert r.resolve({"X": {"Fn::If": ["IsDev", "small", {"Ref": "AWS::NoValue"}]}}) == {}
    assert r.resolve({"Fn::If": ["NotDev", {"Ref": "Project"}, "x"]}) == "demo-project"


def test_equals_compares_numbers_as_strings() -> None:
    assert resolver().resolve({"Fn::Equals": [1, "1"]}) is True


def test_unknown_resource_or_attribute_is_unresolvable() -> None:
    with pytest.raises(UnresolvableError, match="Model not created"):
        resolver().resolve({"Ref": "Model"})
    with pytest.raises(UnresolvableError, match=r"Function.Missing"):
        resolver().resolve({"Fn::Sub": "${Function.Missing}"})
    with pytest.raises(UnresolvableError, match="ImportValue"):
        resolver().resolve({"Fn::ImportValue": "Export"})


def test_malformed_functions_are_template_errors() -> None:
    with pytest.raises(TemplateError, match="Fn::Join"):
        resolver().resolve({"Fn::Join": "oops"})
    with pytest.raises(TemplateError, match="out of range"):
        resolver().resolve({"Fn::Select": [5, ["a"]]})
    with pytest.raises(TemplateError, match="unknown condition"):
        resolver().condition("Nope")
