"""Template parameters as the API takes them: given, previous or default values, constraints, SSM and NoEcho."""

from __future__ import annotations

import json

import pytest

from lookoutvision_localcloud.cloudformation import parameters
from lookoutvision_localcloud.cloudformation.exceptions import ValidationError
from lookoutvision_localcloud.cloudformation.template import Template

DEFINITIONS = {
    "Env": {"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev"},
    "Name": {"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription": "must be lower case letters"},
    "Secret": {"Type": "String", "NoEcho": "true", "Default": "hush"},
    "Image": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/images/latest"},
}
TEMPLATE = Template.parse({"Parameters": DEFINITIONS, "Resources": {"R": {"Type": "T"}}})
SSM = {"/images/latest": "ami-123", "/images/old": "ami-000"}


def resolve(given: list[dict[str, object]], previous: dict[str, str] | None = None) -> tuple[list, dict]:
    def ssm_value(name: str) -> str:
        if name not in SSM:
            raise ValidationError(f"Unable to fetch parameters [{name}] from parameter store for this account.")
        return SSM[name]

    return parameters.resolve(TEMPLATE, given, previous or {}, ssm_value)


def test_values_come_from_the_request_else_the_default_and_ssm_parameters_are_resolved() -> None:
    api, values = resolve([{"ParameterKey": "Name", "ParameterValue": "demo"}])
    assert values == {"Env": "dev", "Name": "demo", "Secret": "hush", "Image": "ami-123"}
    image = next(entry for entry in api if entry["ParameterKey"] == "Image")
    assert image == {"ParameterKey": "Image", "ParameterValue": "/images/latest", "ResolvedValue": "ami-123"}


def test_use_previous_value_takes_the_stacks_own() -> None:
    given = [{"ParameterKey": "Name", "UsePreviousValue": True}, {"ParameterKey": "Image", "UsePreviousValue": True}]
    _, values = resolve(given, previous={"Name": "kept", "Image": "/images/old"})
    assert (values["Name"], values["Image"]) == ("kept", "ami-000")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([], "Parameters: [Name] must have values"),
        ([{"ParameterKey": "Colour", "ParameterValue": "red"}], "Parameters: [Colour] do not exist in the template"),
        (
            [{"ParameterKey": "Name", "ParameterValue": "x"}, {"ParameterKey": "Env", "ParameterValue": "test"}],
            "Parameter 'Env' must be one of AllowedValues",
        ),
        ([{"ParameterKey": "Name", "ParameterValue": "Upper"}], "Parameter 'Name' must be lower case letters"),
        (
            [{"ParameterKey": "Name", "ParameterValue": "x"}, {"ParameterKey": "Image", "ParameterValue": "/none"}],
            "Unable to fetch parameters [/none]",
        ),
    ],
)
def test_a_bad_value_is_refused_in_cloudformations_words(given: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve(given)
    assert refused.value.message.startswith(message)


def test_a_no_echo_value_is_masked_where_it_is_shown() -> None:
    body = json.dumps({"Parameters": DEFINITIONS, "Resources": {}})
    api, _ = resolve([{"ParameterKey": "Name", "ParameterValue": "demo"}])
    shown = {entry["ParameterKey"]: entry["ParameterValue"] for entry in parameters.shown(api, body)}
    assert shown["Secret"] == "****" and shown["Name"] == "demo"


def test_values_are_written_as_cloudformation_writes_them() -> None:
    assert parameters.as_text(True) == "true"
    assert parameters.as_text(["a", 1, False]) == "a,1,false"
    declared = parameters.declaration("Env", DEFINITIONS["Env"])
    assert declared == {
        "ParameterKey": "Env",
        "ParameterType": "String",
        "NoEcho": False,
        "DefaultValue": "dev",
        "ParameterConstraints": {"AllowedValues": ["dev", "prod"]},
    }
