"""How the constructs refer to a Lookout for Vision project: by name, or by a ``CfnProject``."""

from __future__ import annotations

from typing import Union

from aws_cdk import Stack, Token
from aws_cdk import aws_lookoutvision as lookoutvision
from constructs import Construct

#: A project given by its name (it exists already, or another stack owns it) or by the
#: ``AWS::LookoutVision::Project`` resource of this app.
ProjectLike = Union[str, lookoutvision.CfnProject]  # noqa: UP007 (a runtime alias, readable on 3.11)


def check_project(where: str, project: object) -> None:
    """Raise TypeError unless ``project`` is a project name (``str``) or a ``CfnProject``."""
    if not isinstance(project, (str, lookoutvision.CfnProject)):
        raise TypeError(f"{where}: project must be a project name (str) or a CfnProject, not {project!r}")


def project_label(project: ProjectLike) -> str:
    """The project as a message names it: its name, and the ``CfnProject``'s path when it is one."""
    name = project_literal_name(project)
    text = "a project named at deploy time" if Token.is_unresolved(name) else repr(name)
    return f"{text} ({project.node.path})" if isinstance(project, lookoutvision.CfnProject) else text


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


def same_project(first: ProjectLike, second: ProjectLike) -> bool:
    """Whether two project references may name the same project.

    False only when synth time can tell: both names are known and differ. A ``CfnProject`` is
    known by its ``project_name``; a name known only at deploy time (a token) may be anything.
    """
    first_name, second_name = _known_name(first), _known_name(second)
    if first is second or first_name is None or second_name is None:
        return True
    return first_name == second_name


def known_same_project(first: ProjectLike, second: ProjectLike) -> bool:
    """Whether synth time can tell that two project references name the same project (both names known)."""
    first_name, second_name = _known_name(first), _known_name(second)
    return first is second or (first_name is not None and first_name == second_name)


def _known_name(project: ProjectLike) -> str | None:
    name = project_literal_name(project)
    return None if Token.is_unresolved(name) else name


def model_arns(scope: Construct, project: ProjectLike) -> str:
    """arn:{partition}:lookoutvision:{region}:{account}:model/{name}/* (every version of the project)."""
    return Stack.of(scope).format_arn(service="lookoutvision", resource="model", resource_name=f"{arn_name(project)}/*")


def arn_name(project: ProjectLike) -> str:
    """The project's name as ARNs and policies use it: the literal name when the app wrote one (the
    policy then holds no Ref to the project), else the deploy-time value."""
    name = project_literal_name(project)
    return project_name_property(project) if Token.is_unresolved(name) else name
