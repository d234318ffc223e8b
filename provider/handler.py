"""The Lambda entry point: ``provider.handler.handler``, a crhelper CfnResource.

crhelper receives the CloudFormation request and builds the response; this module dispatches
Create / Update / Delete on the ResourceType (``Custom::LookoutVisionModel``,
``Custom::LookoutVisionDataset``) and decides, for each invocation, exactly one of:

- an answer: SUCCESS with the physical id and the Data, or FAILED with a short Reason and the
  physical id of what exists despite the failure (so that CloudFormation's Delete removes it);
- a hand-over (``provider.continuation``): the request goes on in a new invocation, and this one
  answers nothing;
- silence: CloudFormation stopped waiting for the request (its ServiceTimeout has passed), so an
  answer would only be a duplicate of its own timeout; or the event came with a ResponseURL that
  CloudFormation does not hand out, which is never acted on nor answered;
- an error for Lambda to retry: the hand-over got no clear answer, the new invocation may run.

crhelper is configured with ``log_level="INFO"`` (at DEBUG it logs the event and the ResponseURL),
``sleep_on_delete=0`` and no ``poll_*`` functions. ``_CfnResource`` hooks it in three places: it
skips the answer on a hand-over or silence, it sends with ``provider.cfn_response.put_response``
(a timeout, bounded attempts, and only to CloudFormation's response bucket), and its timer answers
nothing (a request is never answered twice: the invocation it would stop had not answered, and
Lambda's retry of it carries the request on with the same deadline). crhelper builds its boto3
clients when constructed and needs ``AWS_REGION`` then, so the resource is built at the first
invocation, not at import.
"""

from __future__ import annotations

import enum
import functools
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource

from provider import clients, consts, continuation, redaction, servicemodel
from provider.budget import Budget, HandOver, LambdaContext
from provider.cfn_response import Outcome, failure_reason, put_response, request_names, response_url_problem
from provider.config import ProviderConfig
from provider.continuation import Continuation
from provider.dataset_resource import DatasetResource
from provider.errors import ContinuationUncertain, ProviderError, RejectedEvent
from provider.identifiers import (
    DatasetRef,
    ModelRef,
    Owner,
    dataset_named_by,
    is_failed_create_id,
    parse_model_arn,
    parse_unconfirmed_model_id,
)
from provider.lookout import Lookout
from provider.model_resource import ModelResource, UnansweredCreate
from provider.properties import parse_dataset, parse_model, service_timeout
from provider.unavailable import delete_or_orphan, update_or_keep

logger = logging.getLogger(__name__)

# Real seconds before the end of the invocation at which the timer warns (crhelper: 0.5).
TIMER_MARGIN = 0.5
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s"
_REQUEST_TYPES = ("Create", "Update", "Delete")

Handler = Callable[[dict[str, Any], LambdaContext], None]


class RequestFailed(Exception):
    """Raised to crhelper, which answers FAILED with ``str(exc)`` as the Reason."""


class Verdict(enum.Enum):
    """What this invocation does about the request once its work is over."""

    ANSWER = "answer"
    HANDED_OVER = "handed over"
    SILENT = "silent"
    LAMBDA_RETRY = "retried by Lambda"


class _CfnResource(CfnResource):
    """crhelper's CfnResource with the three hooks described in the module's docstring."""

    def __init__(self, config: ProviderConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.verdict = Verdict.ANSWER
        self.why = ""
        self.answer_timeout = 10.0  # real seconds per attempt to PUT the response

    def begin(self) -> None:
        """A request starts in this invocation: it will answer unless told otherwise."""
        self.verdict, self.why = Verdict.ANSWER, ""

    def decide(self, verdict: Verdict, why: str) -> None:
        self.verdict, self.why = verdict, why

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self.verdict is not Verdict.ANSWER:
            level = logging.WARNING if self.verdict is not Verdict.HANDED_OVER else logging.INFO
            logger.log(
                level,
                "%s %s: no response from this invocation (%s): %s",
                *request_names(event),
                self.verdict.value,
                self.why,
            )
            return
        super()._cfn_response(event)  # type: ignore[misc]  # crhelper's stub omits its private methods

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        problem = response_url_problem(self._response_url, self.StackId, self.config.extra_response_hosts)  # type: ignore[attr-defined]
        if problem:
            logger.error("no response sent: %s", problem)
            return
        super()._send(status, reason, send_response=self._put)  # type: ignore[misc]

    def _put(self, url: str, body: dict[str, Any], _ssl_verify: Any = None) -> None:
        if not put_response(url, body, timeout=self.answer_timeout):
            logger.error("the response could not be sent to CloudFormation")

    def _set_timeout(self) -> None:
        remaining = self._context.get_remaining_time_in_millis() / 1000  # type: ignore[attr-defined]
        real = self.config.clock.real_seconds(remaining)
        self._timer = threading.Timer(max(0.0, real - min(TIMER_MARGIN, real / 10)), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _timeout(self) -> None:
        logger.warning(
            "%s %s: the invocation is about to time out unanswered; Lambda's retry of it carries the request on",
            *request_names(self._event),  # type: ignore[attr-defined]
        )


_REDACTION = redaction.RedactingFilter()


def make_handler(config: ProviderConfig) -> Handler:
    """A Lambda handler running with ``config``; the crhelper resource is built at its first invocation."""
    resource: _CfnResource | None = None

    def handle(event: dict[str, Any], context: LambdaContext) -> None:
        nonlocal resource
        if resource is None:  # first: it may add the root log handler the filter must sit on
            resource = _new_resource(config)
        response_url = event.get("ResponseURL", "") if isinstance(event, dict) else ""
        _REDACTION.set_secrets([response_url] if isinstance(response_url, str) else [])
        redaction.install(_REDACTION)
        problem = response_url_problem(
            response_url, event.get("StackId") if isinstance(event, dict) else None, config.extra_response_hosts
        )
        if problem:
            logger.error("event dropped, nothing done and nothing answered: %s", problem)
            return
        resource(event, context)
        if resource.verdict is Verdict.LAMBDA_RETRY:
            raise ContinuationUncertain(resource.why)

    return handle


@functools.cache
def _production_handler() -> Handler:
    return make_handler(ProviderConfig())


def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Lambda's entry point for every custom-resource request and every continuation."""
    _production_handler()(event, context)


def _new_resource(config: ProviderConfig) -> _CfnResource:
    _ensure_log_handler()
    resource = _CfnResource(config, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)

    def run(event: dict[str, Any], context: LambdaContext) -> str:
        return _run(resource, event, context)

    resource.create(run)
    resource.update(run)
    resource.delete(run)
    return resource


def _run(resource: _CfnResource, event: dict[str, Any], context: LambdaContext) -> str:
    """Perform one request in this invocation; returns the physical id (crhelper's contract) and sets the Data."""
    request_type, logical_id = request_names(event)
    resource.begin()
    clock = resource.config.clock
    timeout = service_timeout(event.get("ResourceProperties"))
    physical_id = str(event.get("PhysicalResourceId", ""))
    try:
        if request_type not in _REQUEST_TYPES:
            raise RejectedEvent(f"unknown RequestType {request_type!r}")
        record = Continuation.from_event(event, clock, timeout)
    except RejectedEvent as exc:
        logger.error("%s %s rejected: %s", request_type, logical_id, exc.message)
        raise RequestFailed(failure_reason(request_type, logical_id, exc.message, exc.advice)) from exc
    logger.info(
        "%s %s %s (RequestId %s, invocation %d)",
        request_type,
        event.get("ResourceType"),
        logical_id,
        event.get("RequestId"),
        record.invocation,
    )
    if clock.now() >= record.started + timeout:
        resource.decide(
            Verdict.SILENT, f"CloudFormation stopped waiting at the request's ServiceTimeout ({timeout:g} s)"
        )
        return physical_id
    budget = Budget(clock, context, record.started, timeout)
    resource.answer_timeout = sum(budget.socket_timeouts())
    lookout = Lookout(
        clients.lookoutvision(*budget.socket_timeouts()),
        sleep=clock.sleep,
        call_window=budget.call_window,
        timed_call=budget.timed_call,
    )
    request = _request(event, lookout, budget, record, resource.config)
    try:
        try:
            outcome = request.perform()
        except HandOver:
            client = clients.awslambda(*budget.socket_timeouts())
            try:
                continuation.hand_over(client, context, event, record, budget)
            except ContinuationUncertain as exc:
                resource.decide(Verdict.LAMBDA_RETRY, str(exc))
                return physical_id
            resource.decide(Verdict.HANDED_OVER, f"continues in invocation {record.invocation + 1}")
            return physical_id
    except ProviderError as exc:
        message = request.failure_message(exc)
        logger.error("%s %s failed: %s", request_type, logical_id, message)
        resource.PhysicalResourceId = request.failure_physical_id(exc) or ""
        raise RequestFailed(failure_reason(request_type, logical_id, message, exc.advice)) from exc
    except Exception as exc:
        logger.exception("%s %s failed unexpectedly", request_type, logical_id)
        message = request.failure_message(ProviderError(f"unexpected {type(exc).__name__}: {exc}"))
        resource.PhysicalResourceId = request.failure_physical_id(None) or ""
        raise RequestFailed(
            failure_reason(request_type, logical_id, message, "See the provider function's log.")
        ) from exc
    resource.Data.update(outcome.data)
    if outcome.note:
        resource.Reason = outcome.note
    return outcome.physical_id


# -- the requests ---------------------------------------------------------------------------------


class _Request:
    """One request in one invocation: its work, and what a failure of it answers."""

    def __init__(self, event: dict[str, Any], budget: Budget, record: Continuation) -> None:
        self.event = event
        self.budget = budget
        self.record = record
        self.request_type = str(event["RequestType"])
        self.physical_id = str(event.get("PhysicalResourceId", ""))

    def perform(self) -> Outcome:
        raise NotImplementedError

    def failure_physical_id(self, exc: ProviderError | None) -> str | None:
        """The physical id a FAILED answer carries: the event's for Update and Delete, what exists for a Create."""
        if self.request_type != "Create":
            return self.physical_id
        return exc.physical_id if exc is not None and exc.physical_id else self.created_id()

    def created_id(self) -> str | None:
        return None

    def failure_message(self, exc: ProviderError) -> str:
        return exc.message


class _UnknownRequest(_Request):
    def perform(self) -> Outcome:
        if self.request_type == "Delete":  # nothing of an unknown type was ever created
            return Outcome(self.physical_id)
        raise ProviderError(
            f"unsupported resource type {self.event.get('ResourceType')!r}; this function handles "
            f"{consts.MODEL_RESOURCE_TYPE} and {consts.DATASET_RESOURCE_TYPE}"
        )


class _ModelRequest(_Request):
    def __init__(
        self, event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
    ) -> None:
        super().__init__(event, budget, record)
        request_id = str(event["RequestId"])
        owner = Owner.of(str(event.get("StackId", "")), str(event.get("LogicalResourceId", "")), request_id)
        self.model = ModelResource(
            lookout,
            budget,
            request_id,
            record.progress,
            owner=owner,
            page_size=config.list_models_page_size,
            schedule=config.poll_schedule,
            fleet_polls=config.fleet_polls,
        )
        properties = event.get("ResourceProperties")
        project = properties.get(consts.PROJECT_NAME) if isinstance(properties, dict) else None
        self.project = project if isinstance(project, str) else ""

    def perform(self) -> Outcome:
        event, ref = self.event, parse_model_arn(self.physical_id)
        if self.request_type == "Delete":
            unanswered = _unanswered_model_create(event)
            subject = str(ref) if ref or unanswered is None else f"model versions of project {unanswered.project_name}"
            return delete_or_orphan(
                event,
                subject,
                lambda: self.model.delete(self.physical_id, unanswered),
                self.budget,
                self.record.progress,
            )
        properties = parse_model(event.get("ResourceProperties"))
        if self.request_type == "Update":
            return update_or_keep(
                event,
                str(ref or self.physical_id),
                parse=parse_model,
                properties=properties,
                kept=_model_data(ref) if ref is not None else None,
                update=lambda: self.model.update(self.physical_id, properties),
            )
        return self.model.create(properties)

    def created_id(self) -> str | None:
        return self.model.failed_create_id(self.project)

    def failure_message(self, exc: ProviderError) -> str:
        if self.request_type == "Update" and self.model.replacement_left():
            return f"{self.model.leftover()}; {exc.message}"
        return exc.message


class _DatasetRequest(_Request):
    def __init__(
        self, event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
    ) -> None:
        super().__init__(event, budget, record)
        self.dataset = DatasetResource(
            lookout, budget, str(event["RequestId"]), record.progress, schedule=config.poll_schedule
        )

    def perform(self) -> Outcome:
        event = self.event
        if self.request_type == "Delete":
            unanswered = _unanswered_create_dataset(event)
            subject = str(dataset_named_by(self.physical_id) or unanswered)
            return delete_or_orphan(
                event,
                subject,
                lambda: self.dataset.delete(self.physical_id, event.get("ResourceProperties"), unanswered),
                self.budget,
                self.record.progress,
            )
        properties = parse_dataset(event.get("ResourceProperties"))
        if self.request_type == "Update":
            same = DatasetRef(properties.project_name, properties.dataset_type)
            return update_or_keep(
                event,
                str(same),
                parse=parse_dataset,
                properties=properties,
                kept=_dataset_data(same) if same.physical_id == self.physical_id else None,
                update=lambda: self.dataset.update(self.physical_id, event.get("OldResourceProperties"), properties),
            )
        return self.dataset.create(properties)

    def created_id(self) -> str | None:
        try:
            return self.dataset.failed_create_id(parse_dataset(self.event.get("ResourceProperties")))
        except ProviderError:
            return None

    def failure_message(self, exc: ProviderError) -> str:
        if self.request_type != "Update":
            return exc.message
        try:
            properties = parse_dataset(self.event.get("ResourceProperties"))
        except ProviderError:
            return exc.message
        left = self.dataset.leftover_of_update(self.physical_id, properties)
        return f"{left}; {exc.message}" if left else exc.message


def _request(
    event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
) -> _Request:
    resource_type = event.get("ResourceType")
    if resource_type == consts.MODEL_RESOURCE_TYPE:
        return _ModelRequest(event, lookout, budget, record, config)
    if resource_type == consts.DATASET_RESOURCE_TYPE:
        return _DatasetRequest(event, lookout, budget, record, config)
    return _UnknownRequest(event, budget, record)


def _model_data(ref: ModelRef) -> Outcome:
    """A model's answer known without the service (its ARN and version)."""
    data = {consts.ATTR_MODEL_ARN: ref.model_arn, consts.ATTR_MODEL_VERSION: ref.model_version}
    return Outcome(ref.model_arn, data)


def _dataset_data(ref: DatasetRef) -> Outcome:
    """A dataset's answer known without the service."""
    return Outcome(
        ref.physical_id, {consts.ATTR_PROJECT_NAME: ref.project_name, consts.ATTR_DATASET_TYPE: ref.dataset_type}
    )


def _made_up_by_cloudformation(event: dict[str, Any]) -> bool:
    """Whether a Delete's physical id is CloudFormation's own: it never got the Create's answer.

    Not a resource's id, not an id a Create answered for versions it may have made, and not the
    id crhelper answers for the provider's own failed Create (which created nothing).
    """
    physical_id = event.get("PhysicalResourceId")
    if parse_model_arn(physical_id) is not None or dataset_named_by(physical_id) is not None:
        return False
    if parse_unconfirmed_model_id(physical_id) is not None:
        return False
    return not is_failed_create_id(physical_id, event.get("StackId"), event.get("LogicalResourceId"))


def _unanswered_model_create(event: dict[str, Any]) -> UnansweredCreate | None:
    """For a Delete of a Create whose versions were never answered, where to look and for which request.

    An id the Create answered names its project and request; an id CloudFormation made up names
    neither, and the project comes from the properties (if valid).
    """
    unconfirmed = parse_unconfirmed_model_id(event.get("PhysicalResourceId"))
    if unconfirmed is not None:
        return UnansweredCreate(*unconfirmed)
    if not _made_up_by_cloudformation(event):
        return None
    properties = event.get("ResourceProperties")
    project = properties.get(consts.PROJECT_NAME) if isinstance(properties, dict) else None
    if not isinstance(project, str) or servicemodel.validate_input("ListModels", {"ProjectName": project}):
        return None
    return UnansweredCreate(project)


def _unanswered_create_dataset(event: dict[str, Any]) -> DatasetRef | None:
    """For a Delete of an unanswered Create, the dataset its properties name (if valid)."""
    if not _made_up_by_cloudformation(event):
        return None
    properties = event.get("ResourceProperties")
    if not isinstance(properties, dict):
        return None
    params = {"ProjectName": properties.get(consts.PROJECT_NAME), "DatasetType": properties.get(consts.DATASET_TYPE)}
    if servicemodel.validate_input("DescribeDataset", params):
        return None
    return DatasetRef(str(params["ProjectName"]), str(params["DatasetType"]))


def _ensure_log_handler() -> None:
    """Lambda's runtime gives the root logger a handler; elsewhere, log to stderr as it would."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(stream)
