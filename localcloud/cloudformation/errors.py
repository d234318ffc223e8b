"""Errors of the local CloudFormation driver, one base class for all of them."""

from __future__ import annotations


class LocalCloudFormationError(Exception):
    """Base class: anything the driver reports as a failure of its own (not of a resource)."""


class AssemblyError(LocalCloudFormationError):
    """The cloud assembly cannot be read, or the requested stack is not in it."""


class TemplateError(LocalCloudFormationError):
    """The template is malformed: unknown reference, dependency cycle, bad intrinsic function."""


class UnresolvableError(TemplateError):
    """An intrinsic function cannot be resolved with what the local cloud knows."""


class StateError(LocalCloudFormationError):
    """The state directory holds no stack, another stack, or unreadable state."""
