"""How the constructs refer to a Lookout for Vision project: by name, or by a ``CfnProject``."""

from __future__ import annotations

import json
from typing import Union

from aws_cdk import Stack, Token
from aws_cdk import aws_lookoutvision as lookoutvision
from constructs import Construct

#: A project given by its name (it exists already, or another stack owns it) or by the
#: ``AWS::LookoutVision::Project`` resource of this app.
ProjectLike = Union[str, lookoutvision.CfnProject]  # noqa: UP007 (a runtime alias, readable on 3.11)


def project_name_property(project: ProjectLike) -> str:
    """The value for a ``ProjectName`` property.

    For a ``CfnProject`` it is the project's ``Ref`` (which returns the name), so the custom
    resource depends on the project: created after it, deleted before it.
    """
    if isinstance(project, lookoutvision.CfnProject):
        return project.ref
    if not isinstance(project, str):
        raise TypeError(f"project must be a project name (str) or a CfnProject, not {type(project).__name__}")
    return project


def project_literal_name(project: ProjectLike) -> str:
    """The project's name as written in the app (may be a token if the app passed one)."""
    if isinstance(project, lookoutvision.CfnProject):
        return project.project_name
    return project


def same_project(scope: Construct, first: ProjectLike, second: ProjectLike) -> bool:
    """Whether two project references name the same project, as far as synth time can tell."""
    if first is second:
        return True
    a, b = project_literal_name(first), project_literal_name(second)
    if not Token.is_unresolved(a) and not Token.is_unresolved(b):
        return a == b
    # At least one is a token: compare what they resolve to in the template.
    stack = Stack.of(scope)
    return json.dumps(stack.resolve(a), sort_keys=True) == json.dumps(stack.resolve(b), sort_keys=True)


def project_arn(scope: Construct, project: ProjectLike) -> str:
    """arn:{partition}:lookoutvision:{region}:{account}:project/{name}."""
    return Stack.of(scope).format_arn(service="lookoutvision", resource="project", resource_name=_arn_name(project))


def model_arns(scope: Construct, project: ProjectLike) -> str:
    """arn:{partition}:lookoutvision:{region}:{account}:model/{name}/* (every version of the project)."""
    return Stack.of(scope).format_arn(
        service="lookoutvision", resource="model", resource_name=f"{_arn_name(project)}/*"
    )


def _arn_name(project: ProjectLike) -> str:
    # The literal name keeps the policy free of a Ref to the project when the name is known.
    name = project_literal_name(project)
    return project_name_property(project) if Token.is_unresolved(name) else name
