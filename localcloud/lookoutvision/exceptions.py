"""One class per error the service answers, with the members its model gives that error.

The HTTP status of each modeled error comes from the service model (``error.httpStatusCode``);
a test keeps these classes and the model's error shapes in sync. The wire form (JSON body,
``X-Amzn-ErrorType`` header, header-located members such as ``Retry-After``) is written by
``responses.py`` from the model, so these classes carry only data.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LookoutVisionError(Exception):
    """An error answered to the caller: a code, an HTTP status, a message and modeled members."""

    code: ClassVar[str] = "LookoutVisionError"
    status: ClassVar[int] = 400

    def __init__(self, message: str, **members: Any) -> None:
        super().__init__(message)
        self.message = message
        self.members = {name: value for name, value in members.items() if value is not None}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationException(LookoutVisionError):
    code = "ValidationException"
    status = 400


class AccessDeniedException(LookoutVisionError):
    code = "AccessDeniedException"
    status = 403


class ConflictException(LookoutVisionError):
    code = "ConflictException"
    status = 409

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, ResourceId=resource_id, ResourceType=resource_type)


class ResourceNotFoundException(LookoutVisionError):
    code = "ResourceNotFoundException"
    status = 404

    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message, ResourceId=resource_id, ResourceType=resource_type)


class ServiceQuotaExceededException(LookoutVisionError):
    code = "ServiceQuotaExceededException"
    status = 402

    def __init__(
        self,
        message: str,
        *,
        quota_code: str,
        service_code: str = "lookoutvision",
        resource_id: str | None = None,
        resource_type: str | None = None,
    ) -> None:
        super().__init__(
            message, QuotaCode=quota_code, ServiceCode=service_code, ResourceId=resource_id, ResourceType=resource_type
        )


class ThrottlingException(LookoutVisionError):
    code = "ThrottlingException"
    status = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: int | None = None,
        quota_code: str | None = None,
        service_code: str | None = "lookoutvision",
    ) -> None:
        super().__init__(message, RetryAfterSeconds=retry_after_seconds, QuotaCode=quota_code, ServiceCode=service_code)


class InternalServerException(LookoutVisionError):
    code = "InternalServerException"
    status = 500

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message, RetryAfterSeconds=retry_after_seconds)


# Errors of the protocol layer, common to AWS services, that the service model does not list.
class SerializationException(LookoutVisionError):
    code = "SerializationException"
    status = 400


class UnknownOperationException(LookoutVisionError):
    code = "UnknownOperationException"
    status = 404


class NotImplementedByEmulator(LookoutVisionError):
    """A modeled operation this emulator does not implement (e.g. the model packaging jobs)."""

    code = "NotImplemented"
    status = 501


MODELED_ERRORS: dict[str, type[LookoutVisionError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        AccessDeniedException,
        ConflictException,
        ResourceNotFoundException,
        ServiceQuotaExceededException,
        ThrottlingException,
        InternalServerException,
    )
}
