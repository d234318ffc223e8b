"""The resource graph of a template: definitions, dependencies and creation / deletion order."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

import yaml

from lookoutvision_localcloud.cloudformation.exceptions import TemplateError
from lookoutvision_localcloud.cloudformation.intrinsics import references

RETAIN = "Retain"


@dataclass(frozen=True)
class ResourceDefinition:
    """One entry of the template's ``Resources`` section, as written (intrinsics unresolved)."""

    logical_id: str
    resource_type: str
    properties: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    condition: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def retained(self) -> bool:
        """DeletionPolicy Retain: no Delete when the stack or the resource goes."""
        return self.deletion_policy == RETAIN

    @property
    def retained_on_replacement(self) -> bool:
        """UpdateReplacePolicy Retain: no Delete of the old physical resource after a replacement."""
        return self.update_replace_policy == RETAIN


@dataclass(frozen=True)
class Template:
    """A parsed template: its resources and the sections the resolver needs."""

    resources: dict[str, ResourceDefinition]
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, document: Mapping[str, Any]) -> Template:
        """Parse a template dict; raises TemplateError on a malformed resource or a dangling reference."""
        if document.get("Transform"):
            raise TemplateError(
                f"the template uses Transform {document['Transform']!r}: macros are expanded by CloudFormation, "
                "not locally; deploy a template without transforms"
            )
        raw_resources = document.get("Resources")
        if not isinstance(raw_resources, dict) or not raw_resources:
            raise TemplateError("the template has no Resources")
        resources = {logical_id: _parse_resource(logical_id, raw) for logical_id, raw in raw_resources.items()}
        template = cls(
            resources=resources,
            parameters=dict(document.get("Parameters") or {}),
            conditions=dict(document.get("Conditions") or {}),
            mappings=dict(document.get("Mappings") or {}),
            outputs=dict(document.get("Outputs") or {}),
        )
        template.dependency_graph()  # validates references
        return template

    def dependencies(self, logical_id: str) -> set[str]:
        """Resources ``logical_id`` needs first: DependsOn plus every Ref / Fn::GetAtt / Fn::Sub to a resource."""
        resource = self.resources[logical_id]
        known = set(self.parameters) | _PSEUDO
        needed = set(resource.depends_on)
        for name in references(resource.properties):
            if name in self.resources:
                needed.add(name)
            elif name not in known:
                raise TemplateError(f"{logical_id} refers to {name!r}: no resource, parameter or pseudo parameter")
        for name in resource.depends_on:
            if name not in self.resources:
                raise TemplateError(f"{logical_id} DependsOn {name!r}, which is not a resource of the template")
        needed.discard(logical_id)
        return needed

    def dependency_graph(self, only: Iterable[str] | None = None) -> dict[str, set[str]]:
        """logical id → the resources it depends on, restricted to ``only`` when given."""
        chosen = set(self.resources if only is None else only)
        graph = {logical_id: self.dependencies(logical_id) & chosen for logical_id in chosen}
        creation_levels(graph)  # raises on a cycle
        return graph


def creation_levels(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Waves of a topological order: each level depends only on earlier levels, so a level may run concurrently."""
    sorter = ordering(graph)
    levels: list[list[str]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        levels.append(ready)
        sorter.done(*ready)
    return levels


def ordering(graph: Mapping[str, set[str]]) -> TopologicalSorter[str]:
    """A prepared ``graphlib.TopologicalSorter`` of ``graph`` (node → the nodes it depends on);
    TemplateError on a cycle."""
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = sorted(set(exc.args[1]))
        raise TemplateError(f"circular dependency between resources: {', '.join(cycle)}") from exc
    return sorter


def deletion_levels(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The reverse order: a resource is deleted only after everything that depends on it."""
    return creation_levels(reverse_graph(graph))


def reverse_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """logical id → the resources that depend on it."""
    dependents: dict[str, set[str]] = {node: set() for node in graph}
    for node, deps in graph.items():
        for dep in deps:
            if dep in dependents:
                dependents[dep].add(node)
    return dependents


_PSEUDO = {
    "AWS::Region",
    "AWS::AccountId",
    "AWS::Partition",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::NotificationARNs",
}


def _parse_resource(logical_id: str, raw: Any) -> ResourceDefinition:
    if not isinstance(raw, dict) or not isinstance(raw.get("Type"), str):
        raise TemplateError(f"resource {logical_id} has no Type")
    depends_on = raw.get("DependsOn") or []
    if isinstance(depends_on, str):
        depends_on = [depends_on]
    properties = raw.get("Properties") or {}
    if not isinstance(properties, dict):
        raise TemplateError(f"resource {logical_id}: Properties is not an object")
    return ResourceDefinition(
        logical_id=logical_id,
        resource_type=raw["Type"],
        properties=properties,
        depends_on=tuple(depends_on),
        deletion_policy=raw.get("DeletionPolicy"),
        update_replace_policy=raw.get("UpdateReplacePolicy"),
        condition=raw.get("Condition"),
        metadata=dict(raw.get("Metadata") or {}),
    )


def load_template_body(text: str) -> dict[str, Any]:
    """A TemplateBody as a dict: JSON, or YAML with CloudFormation's short forms (``!Ref``, ``!Sub``, ...)."""
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise TemplateError(f"Template format error: not JSON or YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise TemplateError("Template format error: the template is not an object")
    return document


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML as CloudFormation reads it: ``!Ref X`` is ``{"Ref": "X"}``, ``!GetAtt A.B`` is
    ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub ...`` is ``{"Fn::Sub": ...}`` and so on."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _short_form)
