"""When Lookout for Vision is gone (support ended 2025-10-31): fail with what to do, or orphan on request.

"Gone" is recognised, not guessed (``provider.errors.service_gone``): only the service's own
answer counts, an AccessDeniedException whose message says the service is no longer available.
No connection, a timeout or a 5xx is an ordinary retryable failure; an ordinary
AccessDeniedException (a missing permission, a deny) is not "gone" either: the request fails as
any other error does, even with the opt-in, since leaving the resource behind would hide a
misconfiguration that the owner can fix.

- Delete, by default: FAILED, with a Reason that says the service is unavailable and how to go on.
  A stack whose deletion failed (DELETE_FAILED) accepts nothing but another DeleteStack, so that
  is the remedy named: delete the stack again, with ``--retain-resources <logical id>`` to leave
  the resource as it is. (Before a stack deletion, setting the opt-in and deploying does the same:
  README's "End of support".)
- Delete with ``OrphanWhenServiceUnavailable`` true: once the end-of-support answer has persisted
  across attempts for ``GONE_CONFIRMATION`` seconds, SUCCESS. The resource is left as it is
  (orphaned): a WARNING log line names it, and the response carries a note (Reason and the
  ``Orphaned`` Data key; CloudFormation may not display either on SUCCESS, the log line stays).
- Update that changes nothing but the custom resource's own settings (ServiceTimeout and the
  opt-in), when the new or the old properties opt in: SUCCESS with the Data known without the
  service (model: ModelArn and ModelVersion; dataset: ProjectName and DatasetType), so that
  setting the opt-in and redeploying works once the service is gone. (Status and the evaluation
  figures are then not in the Data.)

Any other error, and every error of a Create, is reported as before.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from provider import consts
from provider.budget import Budget
from provider.cfn_response import REASON_LIMIT, Outcome, failure_reason, request_names
from provider.errors import (
    END_OF_SUPPORT_DATE,
    DeadlineExceeded,
    LookoutError,
    PropertyError,
    ProviderError,
    ServiceGone,
    service_gone,
)
from provider.properties import orphan_when_service_unavailable

logger = logging.getLogger(__name__)

# Seconds the end-of-support answer must last, across attempts, before a resource is orphaned;
# and between two attempts meanwhile.
GONE_CONFIRMATION = 180.0
GONE_RECHECK = 30.0
# Key of the continuation record's progress: when this request first got that answer.
GONE_SINCE = "ServiceGoneSince"

P = TypeVar("P")


def delete_or_orphan(
    event: Mapping[str, Any], subject: str, delete: Callable[[], Outcome], budget: Budget, progress: dict[str, Any]
) -> Outcome:
    """``delete()``; if the service is gone, FAILED (ServiceGone) or, when opted in and confirmed, orphan ``subject``.

    The confirmation tries ``delete()`` again every ``GONE_RECHECK`` seconds (across
    invocations: the first answer's time is in ``progress``) until the end-of-support answer has
    lasted ``GONE_CONFIRMATION`` seconds; any other outcome meanwhile is the request's outcome.
    """
    while True:
        try:
            return delete()
        except ProviderError as exc:
            cause = service_gone(exc)
            if cause is None:
                raise
            if not orphan_when_service_unavailable(event.get("ResourceProperties")):
                raise _gone(event, cause, subject, exc) from exc
            first = _gone_since(progress, budget)
            lasted = budget.clock.now() - first
            if lasted >= GONE_CONFIRMATION:
                return _orphaned(event, subject, cause, lasted)
            logger.warning(
                "%s %s: Lookout for Vision answers that it is no longer available (for %.0f s); orphaning %s "
                "once that has lasted %.0f s",
                *request_names(event),
                lasted,
                subject,
                GONE_CONFIRMATION,
            )
            try:
                budget.wait(min(GONE_RECHECK, GONE_CONFIRMATION - lasted))
            except DeadlineExceeded as late:
                raise _gone(event, cause, subject, exc, confirming=True) from late


def _gone_since(progress: dict[str, Any], budget: Budget) -> float:
    """When this request first got the end-of-support answer (the record's, if between the request's start and now)."""
    now = budget.clock.now()
    first = progress.get(GONE_SINCE)
    if not isinstance(first, int | float) or isinstance(first, bool) or not budget.started <= first <= now:
        first = now
        progress[GONE_SINCE] = first
    return float(first)


def _orphaned(event: Mapping[str, Any], subject: str, cause: LookoutError, lasted: float) -> Outcome:
    physical_id = str(event.get("PhysicalResourceId", ""))
    note = (
        f"ORPHANED {physical_id} ({subject}): not deleted, left as it is, because Lookout for Vision "
        f"is no longer available (support ended {END_OF_SUPPORT_DATE}) and {consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE} "
        "is true"
    )
    logger.warning(
        "%s %s: %s; %s: %s (answered for %.0f s)", *request_names(event), note, cause.operation, cause.message, lasted
    )
    return Outcome(physical_id, {consts.ATTR_ORPHANED: _bounded(note)}, note=_bounded(note))


def update_or_keep(
    event: Mapping[str, Any],
    subject: str,
    *,
    parse: Callable[[Any], P],
    properties: P,
    kept: Outcome | None,
    update: Callable[[], Outcome],
) -> Outcome:
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
        opted_in = orphan_when_service_unavailable(event.get("ResourceProperties")) or (
            orphan_when_service_unavailable(event.get("OldResourceProperties"))
        )
        if kept is None or not opted_in or not _settings_only(parse, event.get("OldResourceProperties"), properties):
            raise _gone(event, cause, subject, exc) from exc
        logger.warning(
            "%s %s: Lookout for Vision is unavailable (support ended %s): %s kept as it was, unchecked; "
            "only the resource's own settings changed (%s: %s)",
            *request_names(event),
            END_OF_SUPPORT_DATE,
            subject,
            cause.operation,
            cause.message,
        )
        return kept


def _settings_only(parse: Callable[[Any], P], old_properties: Any, properties: P) -> bool:
    """Whether the old and new properties differ at most in ServiceTimeout and the opt-in."""
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
    return bool(dataclasses.replace(old, **settings) == properties)


# What a failed Delete advises: a stack in DELETE_FAILED accepts only another DeleteStack.
RETAIN_ADVICE = "Delete the stack again; to leave this resource as it is, name it in --retain-resources."


def _gone(
    event: Mapping[str, Any], cause: LookoutError, subject: str, exc: ProviderError, *, confirming: bool = False
) -> ServiceGone:
    """The error to answer; its message names ``subject`` when the Reason has room for it and the advice."""
    operation = cause.operation
    message = f"Lookout for Vision is no longer available (support ended {END_OF_SUPPORT_DATE}): {operation} refused"
    if confirming:
        message += f"; ServiceTimeout ended before that lasted {GONE_CONFIRMATION:.0f} s, the time it must last"
    request_type, logical_id = request_names(event)
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
    advice = RETAIN_ADVICE if request_type == "Delete" else ServiceGone.advice
    head = failure_reason(request_type, logical_id, "").rstrip(".")
    named = f"{message} for {subject}"
    fits = len(head) + len(named) + len(". ") + len(advice) <= REASON_LIMIT
    return ServiceGone(named if fits else message, advice=advice)


def _bounded(text: str) -> str:
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 3] + "..."
