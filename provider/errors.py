"""Every error the provider reports, under one base class.

``LookoutError`` and its subclasses are the service's answers (and unreachable endpoints) as
``lookoutvision_cdk_provider.lookout`` translates them from botocore; the others are the provider's own verdicts.
Each carries a ``message`` written for the person reading ``cdk deploy`` output.
"""

from __future__ import annotations

import re

from lookoutvision_cdk_provider.servicemodel import Violation

# The day Amazon Lookout for Vision's support ended: its API no longer answers (or refuses) calls.
END_OF_SUPPORT_DATE = "2025-10-31"
# Words of an AccessDeniedException that say the service itself is retired, not that a permission
# is missing ("... is not authorized to perform ...", "... with an explicit deny ...").
_END_OF_SUPPORT = re.compile(
    r"no longer (?:available|supported|accessible)|support (?:has )?ended|end[ -]of[ -]support|discontinued",
    re.IGNORECASE,
)


class ProviderError(Exception):
    """Any failure that ends a request with FAILED.

    ``physical_id`` is set when a resource exists although the request failed (a model created
    whose training failed): CloudFormation then sends its Delete for that id and nothing leaks.
    ``advice`` (what the reader can do) is the class's unless one is given for this failure.
    """

    advice = ""

    def __init__(self, message: str, *, physical_id: str | None = None, advice: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.physical_id = physical_id
        if advice is not None:
            self.advice = advice


class PropertyError(ProviderError):
    """ResourceProperties that break a constraint; detected before any call to the service."""

    advice = "Fix the resource's properties."

    def __init__(self, resource_type: str, violations: list[Violation]) -> None:
        self.violations = violations
        details = "; ".join(_compact(v) for v in violations)
        super().__init__(f"invalid properties for {resource_type}: {details}")


def _compact(violation: Violation) -> str:
    """``Path=value: constraint``, the value cut short, so a cut Reason still names both."""
    if violation.value is None:
        return f"{violation.path}: {violation.constraint}"
    shown = repr(violation.value)
    if len(shown) > VALUE_SHOWN:
        shown = shown[:VALUE_SHOWN] + "..."
    return f"{violation.path}={shown}: {violation.constraint}"


# Characters of a bad property value shown in a message.
VALUE_SHOWN = 40


class ResourceFailed(ProviderError):
    """The resource reached a state the request cannot complete from (e.g. TRAINING_FAILED)."""


class DeadlineExceeded(ProviderError):
    """The request's ServiceTimeout ran out before the resource reached its goal.

    ``last_status`` is the resource's status as last seen, when one was (for the advice).
    """

    advice = "Raise ServiceTimeout or retry the operation."

    def __init__(self, message: str, *, advice: str | None = None, last_status: str | None = None) -> None:
        super().__init__(message, advice=advice)
        self.last_status = last_status


# What a Delete that ran out of time while the model was still TRAINING advises: the service deletes no
# model while it trains, and training cannot be stopped.
STILL_TRAINING_ADVICE = (
    "A model cannot be deleted while it trains: delete again once training has ended (DescribeModel shows TRAINED)."
)
NEWER_VERSION_TRAINING_ADVICE = (
    "A model cannot be deleted while it trains: retry once training has ended (cdk rollback continues a rollback)."
)


class ContinuationFailed(ProviderError):
    """Handing the request over to a new invocation of the function did not work (Lambda did not take it)."""

    advice = "Check the function's permission to invoke itself."


class ContinuationUncertain(Exception):
    """lambda:Invoke got no clear answer: the new invocation may run. This one must not answer."""


class RejectedEvent(ProviderError):
    """An event that CloudFormation (or this provider's own hand-over) cannot have sent as it is."""

    advice = "The event was not accepted; nothing was done."


class OutOfTime(ProviderError):
    """A retry would not fit into what remains of this invocation; ``cause`` is the last error."""

    def __init__(self, cause: LookoutError) -> None:
        super().__init__(cause.message, physical_id=cause.physical_id, advice=cause.advice)
        self.cause = cause


class LookoutError(ProviderError):
    """An error answered by Lookout for Vision for one operation (or no answer at all).

    ``retryable``: a transient failure (throttling, a 5xx, no answer), retried until the request's
    deadline. ``outcome_unknown``: the service may have carried the call out — it gave no answer or
    a 5xx, to this attempt or an earlier one of the same call; any other error is a refusal.
    """

    retryable = False
    outcome_unknown = False

    def __init__(
        self,
        operation: str,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{operation}: {code}: {message}" if message else f"{operation}: {code}")
        self.operation = operation
        self.code = code
        self.service_message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def brief(self) -> str:
        """The operation and its answer in a few words, for a reason with little room: ``X answered Y``."""
        return f"{self.operation} answered {self.code}"


class NotFound(LookoutError):
    """ResourceNotFoundException (404): the model, dataset or project does not exist."""


class Conflict(LookoutError):
    """ConflictException (409): the resource is in a transition that forbids the operation."""

    advice = "Retry when the resource's current operation has finished."


class Throttled(LookoutError):
    """ThrottlingException (429): the request rate is over the quota."""

    retryable = True
    advice = "Retry later, or request a higher request-rate quota."


class ServiceError(LookoutError):
    """InternalServerException or any 5xx answer."""

    retryable = True
    outcome_unknown = True
    advice = "Retry later."


class ServiceGone(ProviderError):
    """A Delete (or Update) that cannot be done because Lookout for Vision is gone; see ``service_gone``.

    The advice is what CloudFormation allows after such a failure (``lookoutvision_cdk_provider.unavailable``).
    """

    advice = "Deploy again with only orphan_when_service_unavailable=True changed."


class ServiceUnavailable(LookoutError):
    """No answer: the endpoint refused, dropped or timed out the connection."""

    retryable = True
    outcome_unknown = True
    advice = "Lookout for Vision could not be reached: check the network (its support ended 2025-10-31)."

    @property
    def brief(self) -> str:
        return f"{self.operation} got no answer"


class AccessDenied(LookoutError):
    """AccessDeniedException (403)."""

    advice = "Grant the provider function's role this action on the resource."


class Validation(LookoutError):
    """ValidationException (400): the service rejected the parameters."""

    advice = "Fix the resource's properties."


class QuotaExceeded(LookoutError):
    """ServiceQuotaExceededException (402): an account quota (e.g. models per project) is used up."""

    advice = "Delete unused resources or request a higher quota."


# The service model's error codes, each with the class it becomes.
ERROR_CODES: dict[str, type[LookoutError]] = {
    "ResourceNotFoundException": NotFound,
    "ConflictException": Conflict,
    "ThrottlingException": Throttled,
    "InternalServerException": ServiceError,
    "AccessDeniedException": AccessDenied,
    "ValidationException": Validation,
    "ServiceQuotaExceededException": QuotaExceeded,
}


def error_class(code: str, status: int | None) -> type[LookoutError]:
    """The class for an error code, falling back on the HTTP status for codes the model lacks."""
    if code in ERROR_CODES:
        return ERROR_CODES[code]
    if status == 429 or code in ("Throttling", "TooManyRequestsException", "RequestLimitExceeded"):
        return Throttled
    if status is not None and status >= 500:
        return ServiceError
    by_status: dict[int, type[LookoutError]] = {403: AccessDenied, 404: NotFound, 409: Conflict, 400: Validation}
    return by_status.get(status or 0, LookoutError)


def outcome_unknown(exc: BaseException) -> bool:
    """Whether the call that raised ``exc`` may have been carried out (no answer or a 5xx; any unexpected error)."""
    if isinstance(exc, OutOfTime):
        return exc.cause.outcome_unknown
    if isinstance(exc, LookoutError):
        return exc.outcome_unknown
    return not isinstance(exc, ProviderError)


def service_gone(exc: BaseException) -> LookoutError | None:
    """The service's end-of-support answer, if ``exc`` is one or was caused by one.

    Only the service's explicit answer counts: an AccessDeniedException whose message says that
    the service is no longer available. No connection, a timeout or a 5xx is an ordinary,
    retryable failure, and any other AccessDeniedException is a missing permission or a deny in a
    policy: a misconfiguration to fix, never "gone".
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, AccessDenied) and _END_OF_SUPPORT.search(current.service_message):
            return current
        current = current.cause if isinstance(current, OutOfTime) else current.__cause__
    return None
