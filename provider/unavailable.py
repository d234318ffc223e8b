"""When Lookout for Vision is gone (support ended 2025-10-31): fail with what to do, or orphan on request.

Only the service's own end-of-support answer counts (``lookoutvision_cdk_provider.errors.service_gone``). A Delete
fails with the remedy CloudFormation allows, or, with ``OrphanWhenServiceUnavailable``, succeeds
and leaves the resource once that answer has lasted ``ServiceGoneTimings.confirmation`` across
attempts; an Update that changes only the resource's own settings (ServiceTimeout, the opt-in, a
model's Fleet) is kept without the service when the new or old properties opt in. Any other error,
and every error of a Create, is reported as before. Why: docs/decisions/0008.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.budget import Budget
from lookoutvision_cdk_provider.cfn_response import REASON_LIMIT, failure_reason
from lookoutvision_cdk_provider.errors import (
    END_OF_SUPPORT_DATE,
    DeadlineExceeded,
    LookoutError,
    PropertyError,
    ProviderError,
    ServiceGone,
    service_gone,
)
from lookoutvision_cdk_provider.progress import ServiceGoneProgress
from lookoutvision_cdk_provider.properties import orphan_when_service_unavailable
from lookoutvision_cdk_provider.request import CustomResourceRequest, RequestType
from lookoutvision_cdk_provider.verdict import Answer

logger = logging.getLogger(__name__)

P = TypeVar("P")


def delete_or_orphan(
    request: CustomResourceRequest,
    subject: str,
    delete: Callable[[], Answer],
    budget: Budget,
    gone: ServiceGoneProgress,
) -> Answer:
    """``delete()``; if the service is gone, FAILED (ServiceGone) or, when opted in and confirmed, orphan ``subject``.

    The confirmation tries ``delete()`` again every ``budget.timings.service_gone.recheck`` seconds
    (across invocations: the first answer's time is in ``gone``) until the end-of-support
    answer has lasted its ``confirmation``; any other outcome meanwhile is the request's outcome.
    """
    timings = budget.timings.service_gone
    while True:
        try:
            return delete()
        except ProviderError as exc:
            cause = service_gone(exc)
            if cause is None:
                raise
            if not orphan_when_service_unavailable(request.properties):
                raise _gone(request, cause, subject, exc) from exc
            first = _first_answered(gone, budget)
            lasted = budget.clock.now() - first
            if lasted >= timings.confirmation:
                return _orphaned(request, subject, cause, lasted)
            logger.warning(
                "%s %s: Lookout for Vision answers that it is no longer available (for %.0f s); orphaning %s "
                "once that has lasted %.0f s",
                request.request_type,
                request.logical_id,
                lasted,
                subject,
                timings.confirmation,
            )
            try:
                budget.wait(min(timings.recheck, timings.confirmation - lasted))
            except DeadlineExceeded as late:
                raise _gone(request, cause, subject, exc, confirming=timings.confirmation) from late


def _first_answered(gone: ServiceGoneProgress, budget: Budget) -> float:
    """When this request first got the end-of-support answer: the record's, or now."""
    if gone.first_answered is None:
        gone.first_answered = budget.clock.now()
    return gone.first_answered


def _orphaned(request: CustomResourceRequest, subject: str, cause: LookoutError, lasted: float) -> Answer:
    physical_id = str(request.physical_id)
    note = (
        f"ORPHANED {physical_id} ({subject}): not deleted, left as it is, because Lookout for Vision "
        f"is no longer available (support ended {END_OF_SUPPORT_DATE}) and {consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE} "
        "is true"
    )
    logger.warning(
        "%s %s: %s; %s: %s (answered for %.0f s)",
        request.request_type,
        request.logical_id,
        note,
        cause.operation,
        cause.message,
        lasted,
    )
    return Answer.succeeded(physical_id, {consts.ATTR_ORPHANED: _bounded(note)}, note=_bounded(note))


def update_or_keep(
    request: CustomResourceRequest,
    subject: str,
    *,
    parse: Callable[[Any], P],
    properties: P,
    kept: Answer | None,
    update: Callable[[], Answer],
) -> Answer:
    """``update()``; if the service is gone and only the resource's own settings changed, ``kept``.

    ``kept`` is the answer that needs no call (None: the physical id names no resource, so there
    is nothing to keep). It is given only when the new or the old properties opt in.
    """
    try:
        return update()
    except ProviderError as exc:
        cause = service_gone(exc)
        if cause is None:
            raise
        opted_in = orphan_when_service_unavailable(request.properties) or (
            orphan_when_service_unavailable(request.old_properties)
        )
        if kept is None or not opted_in or not _settings_only(parse, request.old_properties, properties):
            raise _gone(request, cause, subject, exc) from exc
        logger.warning(
            "%s %s: Lookout for Vision is unavailable (support ended %s): %s kept as it was, unchecked; "
            "only the resource's own settings changed (%s: %s)",
            request.request_type,
            request.logical_id,
            END_OF_SUPPORT_DATE,
            subject,
            cause.operation,
            cause.message,
        )
        return kept


def _settings_only(parse: Callable[[Any], P], old_properties: Any, properties: P) -> bool:
    """Whether the old and new properties differ at most in ServiceTimeout, the opt-in and a model's Fleet."""
    try:
        old = parse(old_properties)
    except PropertyError:
        return False
    if not dataclasses.is_dataclass(old) or isinstance(old, type):
        return False
    settings = {
        "service_timeout": getattr(properties, "service_timeout", None),
        "orphan_when_service_unavailable": getattr(properties, "orphan_when_service_unavailable", None),
    }
    if hasattr(old, "fleet"):  # a model's place in its stack's fleet is the resource's own setting too
        settings["fleet"] = getattr(properties, "fleet", None)
    return bool(dataclasses.replace(old, **settings) == properties)


# What a failed Delete advises: a stack in DELETE_FAILED accepts only another DeleteStack.
RETAIN_ADVICE = "Delete the stack again; to leave this resource as it is, name it in --retain-resources."


def _gone(
    request: CustomResourceRequest,
    cause: LookoutError,
    subject: str,
    exc: ProviderError,
    *,
    confirming: float | None = None,
) -> ServiceGone:
    """The error to answer; its message names ``subject`` when the Reason has room for it and the advice.

    ``confirming``: the time the answer had to last, when the deadline came first.
    """
    operation = cause.operation
    message = f"Lookout for Vision is no longer available (support ended {END_OF_SUPPORT_DATE}): {operation} refused"
    if confirming is not None:
        message += f"; ServiceTimeout ended before that lasted {confirming:.0f} s, the time it must last"
    request_type, logical_id = request.request_type, request.logical_id
    logger.error(
        "%s for %s (%s). A stack whose deletion failed accepts only another deletion: delete it again with "
        "--retain-resources %s, and the resource is left as it is. Before a stack deletion, setting the property "
        "%s to true (construct prop orphan_when_service_unavailable=True) in a deployment that changes nothing "
        "else makes its Delete leave it behind with a warning.",
        message,
        subject,
        exc.message,
        logical_id,
        consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE,
    )
    advice = RETAIN_ADVICE if request_type is RequestType.DELETE else ServiceGone.advice
    head = failure_reason(request_type, logical_id, "").rstrip(".")
    named = f"{message} for {subject}"
    fits = len(head) + len(named) + len(". ") + len(advice) <= REASON_LIMIT
    return ServiceGone(named if fits else message, advice=advice)


def _bounded(text: str) -> str:
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 3] + "..."
