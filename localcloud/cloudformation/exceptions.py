"""Errors of the local CloudFormation: the engine's own (``LocalCloudFormationError``) and those its API answers
(``CloudFormationApiError``, one class per error code)."""

from __future__ import annotations


class LocalCloudFormationError(Exception):
    """Base class: anything the driver reports as a failure of its own (not of a resource)."""


class AssemblyError(LocalCloudFormationError):
    """The cloud assembly cannot be read, or the requested stack is not in it."""


class TemplateError(LocalCloudFormationError):
    """The template is malformed: unknown reference, dependency cycle, bad intrinsic function."""


class UnresolvableError(TemplateError):
    """An intrinsic function cannot be resolved with what the local cloud knows."""


class CloudFormationApiError(Exception):
    """An error the CloudFormation API answers: ``code`` as the client sees it, ``message`` its text.

    The HTTP status comes from the error's shape in botocore's cloudformation model (400 when the
    model has no shape for the code, as for ValidationError).
    """

    code = "ValidationError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(CloudFormationApiError):
    code = "ValidationError"


class AlreadyExistsError(CloudFormationApiError):
    code = "AlreadyExistsException"


class ChangeSetNotFoundError(CloudFormationApiError):
    code = "ChangeSetNotFound"


class InvalidChangeSetStatusError(CloudFormationApiError):
    code = "InvalidChangeSetStatus"


class InsufficientCapabilitiesError(CloudFormationApiError):
    code = "InsufficientCapabilitiesException"


class TokenAlreadyExistsError(CloudFormationApiError):
    code = "TokenAlreadyExistsException"


class InvalidActionError(CloudFormationApiError):
    code = "InvalidAction"


class NotImplementedByLocalCloudError(CloudFormationApiError):
    code = "NotImplemented"
    status = 501


class InternalFailureError(CloudFormationApiError):
    code = "InternalFailure"
    status = 500
