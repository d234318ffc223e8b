"""The Lookout for Vision service model: the one source of truth for the service's constraints.

botocore 1.40.61 and later ship no ``lookoutvision`` model; the ``botocore-a-la-carte-lookoutvision``
package puts it back. Both the provider's property validation and the emulator's request
checking read the constraints from here, so there is no hand-typed copy of them anywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StringShape, StructureShape

SERVICE_NAME = "lookoutvision"

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "structure": (Mapping,),
    "map": (Mapping,),
    "list": (list, tuple),
    "blob": (bytes, bytearray, str),
}


@functools.cache
def service_model() -> ServiceModel:
    """The service model as botocore loads it (raises if the model package is missing)."""
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(operation: str) -> OperationModel:
    return service_model().operation_model(operation)


@dataclass(frozen=True)
class Violation:
    """One broken constraint, worded as the service words its ValidationException."""

    path: str
    value: Any
    constraint: str

    def __str__(self) -> str:
        return f"Value {_short(self.value)!r} at '{self.path}' failed to satisfy constraint: {self.constraint}"


def validation_message(violations: list[Violation]) -> str:
    """The service's ValidationException message for a list of violations."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(str(v) for v in violations)


def validate_input(operation: str, params: Mapping[str, Any]) -> list[Violation]:
    """Check an operation's parameters against its input shape; an empty list means valid."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return []
    return validate(shape, params, path="")


def validate(shape: Shape, value: Any, path: str) -> list[Violation]:
    """Check ``value`` against ``shape``: type, required members, length, range, pattern, enum."""
    expected = _PYTHON_TYPES.get(shape.type_name)
    is_bool_as_number = isinstance(value, bool) and shape.type_name != "boolean"
    if expected is not None and (not isinstance(value, expected) or is_bool_as_number):
        return [Violation(path, value, f"Member must be of type {shape.type_name}")]
    if isinstance(shape, StructureShape):
        return _validate_structure(shape, value, path)
    violations = _check_bounds(shape, value, path)
    if isinstance(shape, ListShape):
        for index, item in enumerate(value):
            violations += validate(shape.member, item, f"{path}.{index + 1}" if path else str(index + 1))
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            violations += validate(shape.key, key, f"{path}.key")
            violations += validate(shape.value, item, f"{path}.{key}")
    return violations


def _validate_structure(shape: StructureShape, value: Mapping[str, Any], path: str) -> list[Violation]:
    violations: list[Violation] = []
    for name in shape.required_members:
        if value.get(name) is None:
            violations.append(Violation(_join(path, name), None, "Member must not be null"))
    for name, item in value.items():
        member = shape.members.get(name)
        if member is None:
            violations.append(Violation(_join(path, name), item, "Member is not a known parameter"))
        elif item is not None:
            violations += validate(member, item, _join(path, name))
    return violations


def _check_bounds(shape: Shape, value: Any, path: str) -> list[Violation]:
    meta = shape.metadata
    violations: list[Violation] = []
    if shape.type_name in ("string", "list", "map", "blob"):
        size = len(value)
        if "min" in meta and size < meta["min"]:
            violations.append(Violation(path, value, f"Member must have length greater than or equal to {meta['min']}"))
        if "max" in meta and size > meta["max"]:
            violations.append(Violation(path, value, f"Member must have length less than or equal to {meta['max']}"))
    elif shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            violations.append(Violation(path, value, f"Member must have value greater than or equal to {meta['min']}"))
        if "max" in meta and value > meta["max"]:
            violations.append(Violation(path, value, f"Member must have value less than or equal to {meta['max']}"))
    if shape.type_name == "string":
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            violations.append(
                Violation(path, value, f"Member must satisfy regular expression pattern: {meta['pattern']}")
            )
        if isinstance(shape, StringShape) and shape.enum and value not in shape.enum:
            violations.append(Violation(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
    return violations


# The one Unicode property class in the model's (Java) patterns, the tags' character set, in
# Python's syntax: letters, numbers and the underscore are ``\w``; ``\p{Z}`` is the separators.
_JAVA_CLASSES = {"\\p{L}\\p{Z}\\p{N}_": "\\w\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"}


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """A model pattern compiled by ``re``; ValueError for Java syntax this module does not translate."""
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    if "\\p{" in pattern:
        raise ValueError(f"the service model's pattern {pattern!r} uses a Unicode class Python's re does not read")
    return re.compile(pattern)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _short(value: Any, limit: int = 80) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "..."
    return value
