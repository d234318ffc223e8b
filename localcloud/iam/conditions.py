"""A policy statement's ``Condition`` block against a request's context: true, false, or unknown.

A request context holds the values of the condition keys the local cloud models for that request
(``RequestContext.values``, lower-case keys) and names which keys it models at all
(``RequestContext.modelled``): a modelled key absent from ``values`` is absent from the request, as
IAM sees it (``StringLike`` on it is false, ``StringNotLike`` true, ``Null: true`` true). A key the
local cloud does not model, an operator it does not know (``Date*``, ``IpAddress``, ``Binary*``) or
a policy variable (``${aws:username}``) makes the block *unknown*: the caller decides what that means
(``lookoutvision_localcloud.iam.evaluation``: an Allow then does not allow, a Deny still denies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# True, False, or None for "cannot be evaluated here".
ConditionOutcome = bool | None


@dataclass(frozen=True)
class RequestContext:
    """Condition key values of one request (keys in lower case, each with its values) and the keys modelled.

    ``modelled`` holds exact keys (``s3:prefix``) and key prefixes ending in ``/`` (``aws:requesttag/``)."""

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    modelled: frozenset[str] = frozenset()

    def knows(self, key: str) -> bool:
        key = key.lower()
        if key in self.modelled or key in self.values:
            return True
        return "/" in key and key.split("/", 1)[0] + "/" in self.modelled

    def get(self, key: str) -> Sequence[str] | None:
        return self.values.get(key.lower())

    def merged(self, other: RequestContext) -> RequestContext:
        return RequestContext({**self.values, **other.values}, self.modelled | other.modelled)


def evaluate(block: Any, context: RequestContext) -> ConditionOutcome:
    """A whole ``Condition`` block: every operator's every key must hold (AND); unknown if any part is unknown
    and none is false."""
    if not block:
        return True
    if not isinstance(block, Mapping):
        return None
    outcomes = [
        _condition(str(operator), str(key), expected, context)
        for operator, keys in block.items()
        for key, expected in (keys.items() if isinstance(keys, Mapping) else [("", None)])
    ]
    if any(outcome is False for outcome in outcomes):
        return False
    if any(outcome is None for outcome in outcomes):
        return None
    return True


def _condition(operator: str, key: str, expected: Any, context: RequestContext) -> ConditionOutcome:
    expected_values = [str(value).lower() if isinstance(value, bool) else str(value) for value in _listed(expected)]
    if not key or not context.knows(key) or any("${" in value for value in expected_values):
        return None
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    actual = context.get(key)
    if base == "Null":
        wanted = [value.lower() == "true" for value in expected_values]
        return (actual is None or not actual) in wanted
    compare = _COMPARISONS.get(base)
    if compare is None or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        return None
    negated = "Not" in base
    if not actual:  # the key is absent from the request
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated and qualifier == ""
    if qualifier == "ForAllValues":
        return all(_matches_any(compare, negated, value, expected_values) for value in actual)
    if qualifier == "ForAnyValue" or len(actual) > 1:
        return any(_matches_any(compare, negated, value, expected_values) for value in actual)
    return _matches_any(compare, negated, actual[0], expected_values)


def _matches_any(compare: Any, negated: bool, actual: str, expected: Iterable[str]) -> bool:
    """A negated operator holds when the value matches none of the expected values; any other when it matches one."""
    hits = any(compare(actual, value) for value in expected)
    return not hits if negated else hits


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """IAM's wildcard matching: ``*`` any run of characters, ``?`` one character, nothing else special."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(regex, flags | re.DOTALL)


def glob_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, re.IGNORECASE if ignore_case else 0).fullmatch(value) is not None


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(check: Any) -> Any:
    def compare(actual: str, expected: str) -> bool:
        left, right = _number(actual), _number(expected)
        return left is not None and right is not None and bool(check(left, right))

    return compare


_COMPARISONS: dict[str, Any] = {
    "StringEquals": lambda actual, expected: actual == expected,
    "StringNotEquals": lambda actual, expected: actual == expected,
    "StringEqualsIgnoreCase": lambda actual, expected: actual.lower() == expected.lower(),
    "StringNotEqualsIgnoreCase": lambda actual, expected: actual.lower() == expected.lower(),
    "StringLike": lambda actual, expected: glob_matches(expected, actual),
    "StringNotLike": lambda actual, expected: glob_matches(expected, actual),
    "ArnEquals": lambda actual, expected: glob_matches(expected, actual),
    "ArnNotEquals": lambda actual, expected: glob_matches(expected, actual),
    "ArnLike": lambda actual, expected: glob_matches(expected, actual),
    "ArnNotLike": lambda actual, expected: glob_matches(expected, actual),
    "Bool": lambda actual, expected: actual.lower() == expected.lower(),
    "NumericEquals": _numeric(lambda left, right: left == right),
    "NumericNotEquals": _numeric(lambda left, right: left == right),
    "NumericLessThan": _numeric(lambda left, right: left < right),
    "NumericLessThanEquals": _numeric(lambda left, right: left <= right),
    "NumericGreaterThan": _numeric(lambda left, right: left > right),
    "NumericGreaterThanEquals": _numeric(lambda left, right: left >= right),
}
