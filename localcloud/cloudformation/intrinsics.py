"""CloudFormation intrinsic functions: finding references and resolving values.

Covers what CDK emits: Ref (resources, parameters, pseudo parameters), Fn::GetAtt, Fn::Join,
Fn::Sub, Fn::Select, Fn::Split, Fn::If / Fn::Equals / Fn::And / Fn::Or / Fn::Not / Condition,
Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::ToJsonString and Fn::Length.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from lookoutvision_localcloud.cloudformation.exceptions import TemplateError, UnresolvableError


class _NoValue:
    """``Ref: AWS::NoValue``: the property is removed, as if it had not been written."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Final = _NoValue()

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class StackContext:
    """The pseudo parameters of one stack."""

    stack_name: str
    stack_id: str
    region: str
    account_id: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }


def references(value: Any) -> set[str]:
    """Names that ``value`` refers to through Ref, Fn::GetAtt or Fn::Sub (resources, parameters, pseudo)."""
    found: set[str] = set()
    _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect(item, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            found.add(arg)
            return
        if key == "Fn::GetAtt":
            name = _get_att_args(arg)[0] if isinstance(arg, str | list) else None
            if name:
                found.add(name)
            return
        if key == "Fn::Sub":
            text, variables = _sub_args(arg)
            for name in _sub_names(text):
                if name not in variables:
                    found.add(name.split(".", 1)[0])
            _collect(list(variables.values()), found)
            return
    for item in value.values():
        _collect(item, found)


def _get_att_args(arg: Any) -> tuple[str, str]:
    if isinstance(arg, str):
        name, _, attribute = arg.partition(".")
        return name, attribute
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        return arg[0], arg[1]
    raise TemplateError(f"Fn::GetAtt needs [LogicalId, Attribute], got {arg!r}")


def _sub_args(arg: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(arg, str):
        return arg, {}
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        return arg[0], arg[1]
    raise TemplateError(f"Fn::Sub needs a string or [string, {{variables}}], got {arg!r}")


def _sub_names(text: str) -> list[str]:
    return [match.group(1).strip() for match in _SUB_VARIABLE.finditer(text) if not match.group(1).startswith("!")]


class Resolver:
    """Resolves intrinsic functions in a value against the stack's parameters, conditions and resources.

    ``ref`` and ``get_att`` answer for resources (physical id, attributes); they raise
    UnresolvableError for a resource that does not exist (yet) or lacks the attribute.
    """

    def __init__(
        self,
        context: StackContext,
        *,
        parameters: Mapping[str, Any],
        conditions: Mapping[str, Any],
        mappings: Mapping[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
    ) -> None:
        self.context = context
        self._pseudo = context.pseudo_parameters()
        self._parameters = parameters
        self._condition_definitions = conditions
        self._mappings = mappings
        self._ref = ref
        self._get_att = get_att
        self._condition_values: dict[str, bool] = {}

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its value (AWS::NoValue entries dropped)."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, arg)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """The value of the template condition ``name``."""
        if name not in self._condition_values:
            if name not in self._condition_definitions:
                raise TemplateError(f"unknown condition {name!r}")
            self._condition_values[name] = False  # guards against a self-referencing condition
            self._condition_values[name] = self._truth(self._condition_definitions[name])
        return self._condition_values[name]

    def ref(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        return self._ref(name)

    def _truth(self, value: Any) -> bool:
        result = self.resolve(value)
        if isinstance(result, bool):
            return result
        if isinstance(result, str) and result.lower() in ("true", "false"):
            return result.lower() == "true"
        raise TemplateError(f"a condition must be a boolean, got {result!r}")

    # Functions --------------------------------------------------------------------------------------

    def _fn_ref(self, arg: Any) -> Any:
        if not isinstance(arg, str):
            raise TemplateError(f"Ref needs a name, got {arg!r}")
        return self.ref(arg)

    def _fn_get_att(self, arg: Any) -> Any:
        name, attribute = _get_att_args(arg)
        attribute = self.resolve(attribute)
        if not isinstance(attribute, str):
            raise TemplateError(f"Fn::GetAtt attribute must be a string, got {attribute!r}")
        return self._get_att(name, attribute)

    def _fn_join(self, arg: Any) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Join needs [delimiter, [values]], got {arg!r}")
        delimiter = self.resolve(arg[0])
        items = self.resolve(arg[1])
        if not isinstance(items, list):
            raise TemplateError(f"Fn::Join needs a list of values, got {items!r}")
        return str(delimiter).join(_as_string(item) for item in items)

    def _fn_sub(self, arg: Any) -> str:
        text, variables = _sub_args(arg)
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            name = inner.strip()
            if name in values:
                return _as_string(values[name])
            if "." in name and name.split(".", 1)[0] not in self._pseudo:
                logical_id, attribute = name.split(".", 1)
                return _as_string(self._get_att(logical_id, attribute))
            return _as_string(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _fn_select(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Select needs [index, [values]], got {arg!r}")
        index = int(self.resolve(arg[0]))
        items = self.resolve(arg[1])
        if not isinstance(items, list) or not 0 <= index < len(items):
            raise TemplateError(f"Fn::Select index {index} out of range for {items!r}")
        return items[index]

    def _fn_split(self, arg: Any) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Split needs [delimiter, string], got {arg!r}")
        delimiter = self.resolve(arg[0])
        text = self.resolve(arg[1])
        if not isinstance(delimiter, str) or not isinstance(text, str):
            raise TemplateError(f"Fn::Split needs strings, got {delimiter!r} and {text!r}")
        return text.split(delimiter)

    def _fn_if(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            raise TemplateError(f"Fn::If needs [condition, then, else], got {arg!r}")
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def _fn_equals(self, arg: Any) -> bool:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"Fn::Equals needs two values, got {arg!r}")
        left, right = (self.resolve(v) for v in arg)
        return _as_comparable(left) == _as_comparable(right)

    def _fn_and(self, arg: Any) -> bool:
        return all(self._truth(v) for v in _condition_list(arg, "Fn::And"))

    def _fn_or(self, arg: Any) -> bool:
        return any(self._truth(v) for v in _condition_list(arg, "Fn::Or"))

    def _fn_not(self, arg: Any) -> bool:
        if not (isinstance(arg, list) and len(arg) == 1):
            raise TemplateError(f"Fn::Not needs [condition], got {arg!r}")
        return not self._truth(arg[0])

    def _fn_condition(self, arg: Any) -> bool:
        if not isinstance(arg, str):
            raise TemplateError(f"Condition needs a name, got {arg!r}")
        return self.condition(arg)

    def _fn_find_in_map(self, arg: Any) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            raise TemplateError(f"Fn::FindInMap needs [map, key, key], got {arg!r}")
        names = [self.resolve(v) for v in arg[:3]]
        try:
            return self._mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError) as exc:
            if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                return self.resolve(arg[3]["DefaultValue"])
            raise TemplateError(f"Fn::FindInMap: no entry {names!r}") from exc

    def _fn_base64(self, arg: Any) -> str:
        return base64.b64encode(_as_string(self.resolve(arg)).encode()).decode()

    def _fn_get_azs(self, arg: Any) -> list[str]:
        region = self.resolve(arg) or self.context.region
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_to_json_string(self, arg: Any) -> str:
        return json.dumps(self.resolve(arg), separators=(",", ":"))

    def _fn_length(self, arg: Any) -> int:
        items = self.resolve(arg)
        if not isinstance(items, list):
            raise TemplateError(f"Fn::Length needs a list, got {items!r}")
        return len(items)

    def _fn_import_value(self, arg: Any) -> Any:
        raise UnresolvableError(f"Fn::ImportValue {arg!r}: cross-stack exports are not available locally")


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver._fn_ref,
    "Fn::GetAtt": Resolver._fn_get_att,
    "Fn::Join": Resolver._fn_join,
    "Fn::Sub": Resolver._fn_sub,
    "Fn::Select": Resolver._fn_select,
    "Fn::Split": Resolver._fn_split,
    "Fn::If": Resolver._fn_if,
    "Fn::Equals": Resolver._fn_equals,
    "Fn::And": Resolver._fn_and,
    "Fn::Or": Resolver._fn_or,
    "Fn::Not": Resolver._fn_not,
    "Condition": Resolver._fn_condition,
    "Fn::FindInMap": Resolver._fn_find_in_map,
    "Fn::Base64": Resolver._fn_base64,
    "Fn::GetAZs": Resolver._fn_get_azs,
    "Fn::ToJsonString": Resolver._fn_to_json_string,
    "Fn::Length": Resolver._fn_length,
    "Fn::ImportValue": Resolver._fn_import_value,
}


def _condition_list(arg: Any, name: str) -> list[Any]:
    if not (isinstance(arg, list) and 2 <= len(arg) <= 10):
        raise TemplateError(f"{name} needs 2 to 10 conditions, got {arg!r}")
    return arg


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"expected a string, got {value!r}")


def _as_comparable(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return _as_string(value)
    return value
