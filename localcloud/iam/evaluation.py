"""IAM's evaluation of identity-based policies for one request: explicit deny, allow, or implicit deny.

Pure: policy documents, an action, a resource ARN and a request context in; a ``Decision`` out.
Default deny; an applicable Deny wins over any Allow; a statement applies when its ``Action`` (or
``NotAction``), ``Resource`` (or ``NotResource``) and ``Condition`` match, ``*`` and ``?`` being
IAM's wildcards, action names matched in any case. What cannot be evaluated never allows
(docs/decisions/0106-iam-evaluated-locally.md, which also says why moto's evaluator is not used).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lookoutvision_localcloud.iam import conditions
from lookoutvision_localcloud.iam.conditions import RequestContext


class Decision(enum.Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class Request:
    """What is evaluated: ``service:Action``, the resource ARN (or ``*``), the condition context."""

    action: str
    resource: str
    context: RequestContext = field(default_factory=RequestContext)


def evaluate(documents: Iterable[Any], request: Request) -> Decision:
    """The decision for ``request`` under every statement of ``documents`` (JSON text or parsed policies)."""
    allowed = False
    for statement in statements(documents):
        applies = _applies(statement, request)
        effect = str(statement.get("Effect", ""))
        if effect == "Deny" and applies is not False:
            return Decision.EXPLICIT_DENY
        if effect == "Allow" and applies is True:
            allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def statements(documents: Iterable[Any]) -> list[Mapping[str, Any]]:
    """Every statement of the documents, a single-statement ``Statement`` object included."""
    found: list[Mapping[str, Any]] = []
    for document in documents:
        policy = json.loads(document) if isinstance(document, str | bytes) else document
        listed = policy.get("Statement", []) if isinstance(policy, Mapping) else []
        found += [s for s in (listed if isinstance(listed, list) else [listed]) if isinstance(s, Mapping)]
    return found


def _applies(statement: Mapping[str, Any], request: Request) -> bool | None:
    """Whether the statement applies to the request; None when that cannot be told here."""
    action = _element_matches(statement, "Action", request.action, ignore_case=True)
    resource = _element_matches(statement, "Resource", request.resource, ignore_case=False)
    if action is False or resource is False:
        return False
    condition = conditions.evaluate(statement.get("Condition"), request.context)
    if condition is False:
        return False
    if action is None or resource is None or condition is None:
        return None
    return True


def _element_matches(statement: Mapping[str, Any], element: str, value: str, *, ignore_case: bool) -> bool | None:
    """``Action``/``NotAction`` (or ``Resource``/``NotResource``) against ``value``; None for a policy variable."""
    negated = f"Not{element}"
    if element in statement:
        patterns, positive = _listed(statement[element]), True
    elif negated in statement:
        patterns, positive = _listed(statement[negated]), False
    else:
        return False  # IAM refuses such a policy; here it applies to nothing
    if any("${" in pattern for pattern in patterns):
        return None
    hit = any(conditions.glob_matches(pattern, value, ignore_case=ignore_case) for pattern in patterns)
    return hit if positive else not hit


def _listed(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else [str(value)]
