"""The Lambda entry point: ``provider.handler.handler``, a crhelper CfnResource.

crhelper receives the CloudFormation request and PUTs the response; this module dispatches
Create / Update / Delete on the ResourceType (``Custom::LookoutVisionModel``,
``Custom::LookoutVisionDataset``) and turns every outcome into what crhelper sends:

- success: the physical id and the response Data;
- any exception: FAILED with a short Reason (``provider.outcomes``), and the physical id of a
  resource that exists despite the failure, so that CloudFormation's Delete removes it;
- a hand-over (``provider.continuation``): the function has re-invoked itself and this
  invocation answers nothing.

crhelper is configured with ``log_level="INFO"`` (at DEBUG it logs the event and the ResponseURL),
``sleep_on_delete=0`` and no ``poll_*`` functions. It always responds after the request function
returns, and its timer answers FAILED just before a timeout; ``_CfnResource`` hooks both (see
there). crhelper builds its boto3 clients when constructed and needs ``AWS_REGION`` then, so the
resource is built at the first invocation, not at import.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource
from crhelper.resource_helper import FAILED

from provider import consts, continuation, redaction, servicemodel
from provider.config import ProviderConfig
from provider.continuation import Budget, Continuation, HandOver, LambdaContext
from provider.dataset_resource import DatasetResource
from provider.errors import ProviderError
from provider.identifiers import (
    DatasetRef,
    ModelRef,
    is_failed_create_id,
    owner_tag_value,
    parse_dataset_id,
    parse_model_arn,
)
from provider.lifecycle import deadline_margin
from provider.lookout import Lookout, new_client
from provider.model_resource import CREATED_MODEL_ARN, ModelResource
from provider.outcomes import Outcome, failure_reason, request_names
from provider.properties import parse_dataset, parse_model, service_timeout
from provider.unavailable import delete_or_orphan, update_or_keep

logger = logging.getLogger(__name__)

# Real seconds before the end of the invocation at which crhelper's timer fires (crhelper: 0.5).
TIMER_MARGIN = 0.5
# Service seconds after which Lambda retries a failed asynchronous invocation the first time.
LAMBDA_RETRY_DELAY = 60.0
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s"


class RequestFailed(Exception):
    """Raised to crhelper, which answers FAILED with ``str(exc)`` as the Reason."""


class _CfnResource(CfnResource):
    """crhelper's CfnResource with three hooks, all about whether this invocation answers.

    - ``_cfn_response`` (crhelper's last step once the request function returned) is skipped when
      the request was handed over to a new invocation, or when its deadline had passed before
      this invocation started (a late Lambda retry: the answer was given, or CloudFormation's
      own timeout stands).
    - ``_timeout`` (crhelper's timer, just before Lambda stops the invocation — e.g. a call hung
      past the hand-over reserve) would answer FAILED "Execution timed out" although the request
      could go on. Unless the deadline is too near for that, it answers nothing: Lambda retries a
      timed-out asynchronous invocation (about a minute later) with the same event and
      continuation record, and the retry carries on. Handing over from the timer instead would
      leave two invocations answering the same request once Lambda retried as well.
    - ``_set_timeout`` starts that timer in real seconds: the context's remaining time is service
      time, which crhelper would read as real time.

    A lock keeps answering, handing over and the timer's verdict exclusive.
    """

    def __init__(self, config: ProviderConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self._lock = threading.Lock()
        self._current: tuple[dict[str, Any], LambdaContext, Continuation] | None = None
        self._answering = False
        self._silence: str | None = None
        self.handed_over = False

    def begin(self, event: dict[str, Any], context: LambdaContext, record: Continuation) -> None:
        """A request starts in this invocation."""
        with self._lock:
            self._current = (event, context, record)
            self._answering = False
            self._silence = None
            self.handed_over = False

    def keep_silent(self, why: str) -> None:
        """This invocation must not answer."""
        with self._lock:
            self._silence = why

    def hand_over(self) -> None:
        """Re-invoke the function with the current request, at most once per invocation."""
        with self._lock:
            if self._current is None or self.handed_over or self._answering:
                return
            self.handed_over = True
            event, context, record = self._current
        try:
            continuation.hand_over(continuation.lambda_client(), context, event, record)
        except BaseException:
            with self._lock:
                self.handed_over = False
            raise

    def _cfn_response(self, event: dict[str, Any]) -> None:
        with self._lock:
            if self.handed_over:
                logger.info("%s %s continues in a new invocation: no response from this one", *request_names(event))
                return
            if self._silence:
                logger.warning("%s %s: no response: %s", *request_names(event), self._silence)
                return
            if self._answering:  # the timer answered already
                return
            self._answering = True
        super()._cfn_response(event)  # type: ignore[misc]  # crhelper's stub omits its private methods

    def _set_timeout(self) -> None:
        remaining = self.config.clock.real_seconds(self._context.get_remaining_time_in_millis() / 1000)  # type: ignore[attr-defined]
        margin = min(TIMER_MARGIN, remaining / 10)
        self._timer = threading.Timer(max(0.0, remaining - margin), self._timeout)
        self._timer.start()

    def _timeout(self) -> None:
        current = self._current
        event: dict[str, Any] = self._event  # type: ignore[attr-defined]
        request_type, logical_id = request_names(event)
        if current is not None and current[0] is event:
            timeout = service_timeout(event.get("ResourceProperties"))
            deadline = current[2].started + timeout - deadline_margin(timeout)
            if deadline - self.config.clock.now() > LAMBDA_RETRY_DELAY:
                logger.warning(
                    "%s %s: the invocation is about to time out; Lambda's retry of it will carry on",
                    request_type,
                    logical_id,
                )
                return
        with self._lock:
            if self._answering or self.handed_over:
                return
            self._answering = True
        message = "the function's invocation timed out too close to the request's deadline to go on"
        reason = failure_reason(request_type, logical_id, message, "See the provider function's log.")
        logger.error("%s %s: %s", request_type, logical_id, message)
        created = current[2].progress.get(CREATED_MODEL_ARN) if current is not None else None
        physical_id = event.get("PhysicalResourceId") or created
        self.PhysicalResourceId = str(physical_id or self.generate_physical_id(event))
        self._send(FAILED, reason)  # type: ignore[attr-defined]


_REDACTION = redaction.RedactingFilter()


Handler = Callable[[dict[str, Any], LambdaContext], None]


def make_handler(config: ProviderConfig) -> Handler:
    """A Lambda handler running with ``config``; the crhelper resource is built at its first invocation."""
    resource: _CfnResource | None = None

    def handle(event: dict[str, Any], context: LambdaContext) -> None:
        nonlocal resource
        if resource is None:  # first: it may add the root log handler the filter must sit on
            resource = _new_resource(config)
        _REDACTION.set_secrets([event.get("ResponseURL", "")] if isinstance(event, dict) else [])
        redaction.install(_REDACTION)
        resource(event, context)

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
    """Perform one request; returns the physical id (crhelper's contract) and sets the Data."""
    request_type, logical_id = request_names(event)
    config = resource.config
    clock = config.clock
    record = Continuation.from_event(event, clock)
    resource.begin(event, context, record)
    logger.info(
        "%s %s %s (RequestId %s, invocation %d)",
        request_type,
        event.get("ResourceType"),
        logical_id,
        event.get("RequestId"),
        record.invocation,
    )
    try:
        budget = Budget(clock, context, record.started, service_timeout(event.get("ResourceProperties")))
        if budget.deadline_left() <= 0:
            resource.keep_silent("the request's deadline had passed before this invocation started")
            return str(event.get("PhysicalResourceId", ""))
        lookout = Lookout(_lookout_client(), sleep=clock.sleep, time_left=budget.time_left)
        try:
            outcome = _perform(event, lookout, budget, record, config)
        except HandOver:
            resource.hand_over()
            return str(event.get("PhysicalResourceId", ""))
    except ProviderError as exc:
        logger.error("%s %s failed: %s", request_type, logical_id, exc.message)
        if exc.physical_id:
            resource.PhysicalResourceId = exc.physical_id
        raise RequestFailed(failure_reason(request_type, logical_id, exc.message, exc.advice)) from exc
    except Exception as exc:
        logger.exception("%s %s failed unexpectedly", request_type, logical_id)
        message = f"unexpected {type(exc).__name__}: {exc}"
        raise RequestFailed(
            failure_reason(request_type, logical_id, message, "See the provider function's log.")
        ) from exc
    resource.Data.update(outcome.data)
    if outcome.note:
        resource.Reason = outcome.note
    return outcome.physical_id


def _perform(
    event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
) -> Outcome:
    request_type = event["RequestType"]
    resource_type = event.get("ResourceType")
    if resource_type == consts.MODEL_RESOURCE_TYPE:
        return _model_request(event, lookout, budget, record, config)
    if resource_type == consts.DATASET_RESOURCE_TYPE:
        return _dataset_request(event, lookout, budget, record)
    if request_type == "Delete":  # nothing of an unknown type was ever created
        return Outcome(str(event.get("PhysicalResourceId", "")))
    raise ProviderError(
        f"unsupported resource type {resource_type!r}; this function handles "
        f"{consts.MODEL_RESOURCE_TYPE} and {consts.DATASET_RESOURCE_TYPE}"
    )


# A Delete or an Update while the service is gone (end of support): provider.unavailable.


def _model_request(
    event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
) -> Outcome:
    request_type = event["RequestType"]
    physical_id = str(event.get("PhysicalResourceId", ""))
    owner = owner_tag_value(str(event.get("StackId", "")), str(event.get("LogicalResourceId", "")))
    model = ModelResource(
        lookout,
        budget,
        str(event["RequestId"]),
        record.progress,
        config.list_models_page_size,
        schedule=config.poll_schedule,
        owner=owner,
        teardown=config.fleet_teardown,
    )
    ref = parse_model_arn(physical_id)
    if request_type == "Delete":
        project = _unanswered_create_project(event)
        subject = str(ref) if ref else f"the model versions this resource created in project {project}"
        return delete_or_orphan(event, subject, lambda: model.delete(physical_id, project))
    properties = parse_model(event.get("ResourceProperties"))
    if request_type == "Update":
        return update_or_keep(
            event,
            str(ref or physical_id),
            parse=parse_model,
            properties=properties,
            kept=_model_data(ref) if ref is not None else None,
            update=lambda: model.update(physical_id, event.get("OldResourceProperties"), properties),
        )
    return model.create(properties)


def _dataset_request(event: dict[str, Any], lookout: Lookout, budget: Budget, record: Continuation) -> Outcome:
    request_type = event["RequestType"]
    physical_id = str(event.get("PhysicalResourceId", ""))
    dataset = DatasetResource(lookout, budget, str(event["RequestId"]), record.progress)
    if request_type == "Delete":
        unanswered = _unanswered_create_dataset(event)
        subject = str(parse_dataset_id(physical_id) or unanswered)
        return delete_or_orphan(event, subject, lambda: dataset.delete(physical_id, unanswered))
    properties = parse_dataset(event.get("ResourceProperties"))
    if request_type == "Update":
        same = DatasetRef(properties.project_name, properties.dataset_type)
        return update_or_keep(
            event,
            str(same),
            parse=parse_dataset,
            properties=properties,
            kept=_dataset_data(same) if same.physical_id == physical_id else None,
            update=lambda: dataset.update(physical_id, event.get("OldResourceProperties"), properties),
        )
    return dataset.create(properties)


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

    Not a resource's id, and not the id crhelper answers for the provider's own failed Create
    (which created nothing).
    """
    physical_id = event.get("PhysicalResourceId")
    if parse_model_arn(physical_id) is not None or parse_dataset_id(physical_id) is not None:
        return False
    return not is_failed_create_id(physical_id, event.get("StackId"), event.get("LogicalResourceId"))


def _unanswered_create_project(event: dict[str, Any]) -> str | None:
    """For a Delete of an unanswered Create, the project from its properties (if valid)."""
    if not _made_up_by_cloudformation(event):
        return None
    properties = event.get("ResourceProperties")
    project = properties.get(consts.PROJECT_NAME) if isinstance(properties, dict) else None
    if not isinstance(project, str) or servicemodel.validate_input("ListModels", {"ProjectName": project}):
        return None
    return project


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


@functools.cache
def _cached_client(region: str | None, endpoint: str | None) -> Any:
    # The endpoint is part of the key only: botocore reads AWS_ENDPOINT_URL_LOOKOUTVISION itself.
    return new_client(region)


def _lookout_client() -> Any:
    return _cached_client(os.environ.get("AWS_REGION"), os.environ.get("AWS_ENDPOINT_URL_LOOKOUTVISION"))


def _ensure_log_handler() -> None:
    """Lambda's runtime gives the root logger a handler; elsewhere, log to stderr as it would."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(stream)
