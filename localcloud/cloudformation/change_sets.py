"""What a change set describes: the resources a template and its parameter values add, modify or remove,
and what creating it requires (a template CloudFormation can parse, the IAM capabilities).

Resources are compared as written, with references to parameters replaced by their values, so a
change of a parameter shows on the resources that use it. Whether a modification replaces the
physical resource follows the property that changed (``RequiresRecreation``): a name property
replaces, a custom resource's provider decides (``Conditionally``), anything else is in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookoutvision_localcloud.cloudformation.exceptions import (
    InsufficientCapabilitiesError,
    TemplateError,
    UnresolvableError,
    ValidationError,
)
from lookoutvision_localcloud.cloudformation.intrinsics import Resolver, StackContext
from lookoutvision_localcloud.cloudformation.template import ResourceDefinition, Template, load_template_body

# CloudFormation's StatusReason for a change set that would change nothing (the CDK CLI matches its start).
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."

# Properties whose change creates a new physical resource, for the types the local cloud plays.
_REPLACING_PROPERTIES: dict[str, frozenset[str]] = {
    "AWS::LookoutVision::Project": frozenset({"ProjectName"}),
    "AWS::Lambda::Function": frozenset({"FunctionName", "PackageType"}),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::IAM::ManagedPolicy": frozenset({"ManagedPolicyName", "Path"}),
    "AWS::Logs::LogGroup": frozenset({"LogGroupName"}),
    "AWS::S3::Bucket": frozenset({"BucketName"}),
    "AWS::SSM::Parameter": frozenset({"Name"}),
    "AWS::ECR::Repository": frozenset({"RepositoryName"}),
    "AWS::KMS::Alias": frozenset({"AliasName"}),
}


# The IAM types that need a capability, and the property that names one (a name needs CAPABILITY_NAMED_IAM).
_IAM_TYPES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": "",
    "AWS::IAM::AccessKey": "",
    "AWS::IAM::UserToGroupAddition": "",
}


def parse_template(body: str) -> Template:
    """The template a request carries; a ValidationError in CloudFormation's words when it cannot be read."""
    try:
        return Template.parse(load_template_body(body))
    except TemplateError as exc:
        message = str(exc)
        raise ValidationError(
            message if message.startswith("Template") else f"Template format error: {message}"
        ) from exc


def capabilities_needed(template: Template) -> list[str]:
    """``CAPABILITY_NAMED_IAM`` for a named IAM resource, ``CAPABILITY_IAM`` for any other, else none."""
    named = iam = False
    for definition in template.resources.values():
        if definition.resource_type in _IAM_TYPES:
            iam = True
            name_property = _IAM_TYPES[definition.resource_type]
            named = named or bool(name_property and name_property in definition.properties)
    return ["CAPABILITY_NAMED_IAM"] if named else ["CAPABILITY_IAM"] if iam else []


def check_capabilities(template: Template, given: list[str]) -> None:
    needed = capabilities_needed(template)
    if needed == ["CAPABILITY_IAM"] and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(given):
        raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_IAM]")
    if needed == ["CAPABILITY_NAMED_IAM"] and "CAPABILITY_NAMED_IAM" not in given:
        raise InsufficientCapabilitiesError("Requires capabilities : [CAPABILITY_NAMED_IAM]")


def active_resources(template: Template, parameters: Mapping[str, Any], context: StackContext) -> set[str]:
    """The logical ids whose Condition (if any) holds with these parameter values."""
    resolver = conditions_resolver(template, parameters, context)
    return {
        logical_id
        for logical_id, definition in template.resources.items()
        if definition.condition is None or resolver.condition(definition.condition)
    }


def conditions_resolver(template: Template, parameters: Mapping[str, Any], context: StackContext) -> Resolver:
    """A resolver for the template's conditions: parameters and pseudo parameters, no resource."""

    def no_resource(name: str, *_: str) -> Any:
        raise UnresolvableError(f"a condition cannot refer to the resource {name}")

    return Resolver(
        context,
        parameters=parameters,
        conditions=template.conditions,
        mappings=template.mappings,
        ref=no_resource,
        get_att=no_resource,
    )


def resource_changes(
    before: tuple[Template, Mapping[str, Any], set[str]] | None,
    after: tuple[Template, Mapping[str, Any], set[str]],
    physical_ids: Mapping[str, str | None],
) -> list[dict[str, Any]]:
    """The change set's ``Changes``: each ``(template, parameter values, active logical ids)``, before
    (None for a new stack) and after; ``physical_ids`` of the deployed resources."""
    new_template, new_parameters, new_active = after
    old_template, old_parameters, old_active = before if before is not None else (None, {}, set())
    changes: list[dict[str, Any]] = []
    for logical_id in sorted(new_active):
        definition = new_template.resources[logical_id]
        old = old_template.resources.get(logical_id) if old_template is not None else None
        if old is None or logical_id not in old_active:
            changes.append(_change("Add", definition))
            continue
        change = _modification(old, old_parameters, definition, new_parameters)
        if change is not None:
            changes.append({**change, "ResourceChange": {**change["ResourceChange"], **_id(physical_ids, logical_id)}})
    if old_template is not None:
        for logical_id in sorted(old_active - new_active):
            definition = old_template.resources[logical_id]
            change = _change("Remove", definition, policy="Retain" if definition.retained else "Delete")
            change["ResourceChange"].update(_id(physical_ids, logical_id))
            changes.append(change)
    return changes


def _modification(
    old: ResourceDefinition,
    old_parameters: Mapping[str, Any],
    new: ResourceDefinition,
    new_parameters: Mapping[str, Any],
) -> dict[str, Any] | None:
    if old.resource_type != new.resource_type:
        return _change("Modify", new, replacement="True", policy=_replace_policy(new))
    before, after = _static(old.properties, old_parameters), _static(new.properties, new_parameters)
    details: list[dict[str, Any]] = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            recreation = _recreation(new.resource_type, name)
            details.append(
                {
                    "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                }
            )
    scope = ["Properties"] if details else []
    if old.metadata != new.metadata:
        scope.append("Metadata")
    if not scope:
        return None
    recreations = {detail["Target"]["RequiresRecreation"] for detail in details}
    replacement = "True" if "Always" in recreations else "Conditional" if "Conditionally" in recreations else "False"
    policy = _replace_policy(new) if replacement == "True" else None
    change = _change("Modify", new, replacement=replacement, policy=policy)
    change["ResourceChange"].update(Scope=scope, Details=details)
    return change


def _change(
    action: str, definition: ResourceDefinition, *, replacement: str | None = None, policy: str | None = None
) -> dict[str, Any]:
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": definition.logical_id,
        "ResourceType": definition.resource_type,
        "Scope": [],
        "Details": [],
    }
    if replacement is not None:
        change["Replacement"] = replacement
    if policy is not None:
        change["PolicyAction"] = policy
    return {"Type": "Resource", "ResourceChange": change}


def _id(physical_ids: Mapping[str, str | None], logical_id: str) -> dict[str, str]:
    physical_id = physical_ids.get(logical_id)
    return {"PhysicalResourceId": physical_id} if physical_id else {}


def _replace_policy(definition: ResourceDefinition) -> str:
    return "ReplaceAndRetain" if definition.retained_on_replacement else "ReplaceAndDelete"


def _recreation(resource_type: str, name: str) -> str:
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return "Always" if name == "ServiceToken" else "Conditionally"
    return "Always" if name in _REPLACING_PROPERTIES.get(resource_type, frozenset()) else "Never"


def _static(value: Any, parameters: Mapping[str, Any]) -> Any:
    """``value`` with every ``Ref`` to a parameter replaced by the parameter's value."""
    if isinstance(value, list):
        return [_static(item, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    return {key: _static(item, parameters) for key, item in value.items()}
