"""A template's parameters as the CloudFormation API takes and shows them: values, constraints, SSM, NoEcho.

Each value is the one given, the stack's previous one (``UsePreviousValue``) or the Default;
``AllowedValues`` and ``AllowedPattern`` are checked, and an ``AWS::SSM::Parameter::Value<…>``
parameter is resolved through the ``ssm_value`` given (the local SSM). Errors are the API's
ValidationError, in CloudFormation's words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lookoutvision_localcloud.cloudformation.exceptions import TemplateError, ValidationError
from lookoutvision_localcloud.cloudformation.template import Template, load_template_body

_SSM_PARAMETER_TYPE = re.compile(r"^AWS::SSM::Parameter::Value<(.+)>$")


def resolve(
    template: Template,
    given: list[dict[str, Any]],
    previous: Mapping[str, Any],
    ssm_value: Callable[[str], str],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The API's Parameters and each parameter's value for the template (SSM parameters resolved).
    ``previous``: the values the stack was given (for UsePreviousValue)."""
    by_key = {str(p["ParameterKey"]): p for p in given}
    unknown = sorted(set(by_key) - set(template.parameters))
    if unknown:
        raise ValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    values: dict[str, str] = {}
    missing = []
    for name, definition in template.parameters.items():
        supplied = by_key.get(name, {})
        if supplied.get("UsePreviousValue") and name in previous:
            values[name] = str(previous[name])
        elif "ParameterValue" in supplied:
            values[name] = str(supplied["ParameterValue"])
        elif "Default" in definition:
            values[name] = as_text(definition["Default"])
        else:
            missing.append(name)
    if missing:
        raise ValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    api_parameters: list[dict[str, Any]] = []
    resolved: dict[str, Any] = {}
    for name, definition in template.parameters.items():
        value = values[name]
        _check_constraints(name, definition, value)
        entry: dict[str, Any] = {"ParameterKey": name, "ParameterValue": value}
        if _SSM_PARAMETER_TYPE.match(str(definition.get("Type", ""))):
            entry["ResolvedValue"] = ssm_value(value)
            resolved[name] = entry["ResolvedValue"]
        else:
            resolved[name] = value
        api_parameters.append(entry)
    return api_parameters, resolved


def as_text(value: Any) -> str:
    """A value as a parameter (or an output) carries it: booleans in lower case, lists joined by commas."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(as_text(item) for item in value)
    return str(value)


def shown(parameters: list[dict[str, Any]], template_body: str) -> list[dict[str, Any]]:
    """``parameters`` as the API shows them: a NoEcho parameter's value masked."""
    hidden = _no_echo(template_body)
    return [{**p, "ParameterValue": "****"} if p["ParameterKey"] in hidden else p for p in parameters]


def declaration(name: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    """A parameter as GetTemplateSummary declares it."""
    declared: dict[str, Any] = {
        "ParameterKey": name,
        "ParameterType": str(definition.get("Type", "String")),
        "NoEcho": str(definition.get("NoEcho", "false")).lower() == "true",
    }
    if "Default" in definition:
        declared["DefaultValue"] = as_text(definition["Default"])
    if "Description" in definition:
        declared["Description"] = str(definition["Description"])
    if "AllowedValues" in definition:
        declared["ParameterConstraints"] = {"AllowedValues": [as_text(v) for v in definition["AllowedValues"]]}
    return declared


def _check_constraints(name: str, definition: Mapping[str, Any], value: str) -> None:
    allowed = definition.get("AllowedValues")
    if allowed is not None and value not in [as_text(item) for item in allowed]:
        raise ValidationError(f"Parameter '{name}' must be one of AllowedValues")
    pattern = definition.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        description = definition.get("ConstraintDescription") or f"must match pattern {pattern}"
        raise ValidationError(f"Parameter '{name}' {description}")


def _no_echo(body: str) -> set[str]:
    try:
        parameters = load_template_body(body).get("Parameters") or {}
    except TemplateError:
        return set()
    return {name for name, definition in parameters.items() if str(definition.get("NoEcho", "")).lower() == "true"}
