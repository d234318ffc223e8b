"""One request in one invocation, to one verdict (``lookoutvision_cdk_provider.verdict``); it never raises.

The continuation record is read and checked first: a record out of bounds is answered FAILED,
with the physical id of what the request may have made. Then the request's work runs within its
time budget and ends in an answer, a hand-over, silence (CloudFormation stopped waiting) or a
Lambda retry (a hand-over whose Invoke got no clear answer). A failure answers the physical id of
what exists: the event's for an Update or a Delete; for a Create, what it created or may have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from lookoutvision_cdk_provider import clients, consts, continuation, servicemodel
from lookoutvision_cdk_provider.budget import Budget, HandOver, LambdaContext
from lookoutvision_cdk_provider.cfn_response import failure_reason
from lookoutvision_cdk_provider.config import ProviderConfig
from lookoutvision_cdk_provider.continuation import Continuation
from lookoutvision_cdk_provider.dataset_resource import DatasetResource
from lookoutvision_cdk_provider.errors import ContinuationUncertain, ProviderError, RejectedEvent
from lookoutvision_cdk_provider.identifiers import (
    DatasetRef,
    FailedCreate,
    MadeUp,
    ModelRef,
    Owner,
    UnconfirmedDatasetCreate,
    UnconfirmedModelCreate,
)
from lookoutvision_cdk_provider.lookout import Lookout
from lookoutvision_cdk_provider.model_resource import ModelResource, UnansweredCreate
from lookoutvision_cdk_provider.progress import DatasetProgress, ModelProgress, ResourceProgress
from lookoutvision_cdk_provider.properties import parse_dataset, parse_model, service_timeout
from lookoutvision_cdk_provider.request import CustomResourceRequest, RequestType
from lookoutvision_cdk_provider.unavailable import delete_or_orphan, update_or_keep
from lookoutvision_cdk_provider.verdict import Answer, HandedOver, LambdaRetry, Silence, Verdict

logger = logging.getLogger(__name__)

_LOG_ADVICE = "See the provider function's log."


def decide(request: CustomResourceRequest, context: LambdaContext, config: ProviderConfig) -> Verdict:
    """What this invocation does about ``request``: every exception becomes a FAILED answer."""
    try:
        return _decide(request, context, config)
    except Exception as exc:
        logger.exception("%s %s failed unexpectedly", request.request_type, request.logical_id)
        return undecided(request, f"unexpected {type(exc).__name__}: {exc}")


def undecided(request: CustomResourceRequest, message: str, advice: str = _LOG_ADVICE) -> Answer:
    """FAILED, before the request's work could tell what exists: the physical id of what the request may have made.

    The event's for an Update or a Delete; for a Create, an id naming the request
    (``UnconfirmedModelCreate``, ``UnconfirmedDatasetCreate``), whose Delete looks for what that
    request made, when its properties name where; else a failed Create's (nothing can exist).
    """
    return _failed(request, _what_may_exist(request), message, advice)


def _decide(request: CustomResourceRequest, context: LambdaContext, config: ProviderConfig) -> Verdict:
    clock, timings = config.clock, config.timings
    timeout = service_timeout(request.properties)
    try:
        record = Continuation.from_event(
            request.event, clock, timeout, _progress_parser(request), timings.invocation.max_clock_skew
        )
    except RejectedEvent as exc:
        logger.error("%s %s rejected: %s", request.request_type, request.logical_id, exc.message)
        return undecided(request, exc.message, exc.advice)
    logger.info(
        "%s %s %s (RequestId %s, invocation %d)",
        request.request_type,
        request.resource_type,
        request.logical_id,
        request.request_id,
        record.invocation,
    )
    if clock.now() >= record.started + timeout:
        return Silence(f"CloudFormation stopped waiting at the request's ServiceTimeout ({timeout:g} s)")
    budget = Budget(clock, context, record.started, timeout, timings, handed_over_wait=record.wait)
    lookout = Lookout(
        clients.lookoutvision(*budget.socket_timeouts()),
        sleep=clock.sleep,
        call_window=budget.call_window,
        timed_call=budget.timed_call,
        retries=timings.calls,
    )
    work = _work(request, lookout, budget, record, config)
    try:
        try:
            return work.perform()
        except HandOver:
            record.wait = budget.handed_over_wait
            client = clients.awslambda(*budget.socket_timeouts())
            try:
                continuation.hand_over(client, context, request.event, record, budget)
            except ContinuationUncertain as exc:
                return LambdaRetry(str(exc))
            return HandedOver(record.invocation + 1)
    except ProviderError as exc:
        message = work.failure_message(exc)
        logger.error("%s %s failed: %s", request.request_type, request.logical_id, message)
        return _failed(request, work.failure_physical_id(exc), message, exc.advice)
    except Exception as exc:
        logger.exception("%s %s failed unexpectedly", request.request_type, request.logical_id)
        message = work.failure_message(ProviderError(f"unexpected {type(exc).__name__}: {exc}"))
        return _failed(request, work.failure_physical_id(None), message, _LOG_ADVICE)


def _failed(request: CustomResourceRequest, physical_id: str | None, message: str, advice: str) -> Answer:
    reason = failure_reason(request.request_type, request.logical_id, message, advice)
    return Answer.failed(physical_id or _failed_create_id(request), reason)


def _failed_create_id(request: CustomResourceRequest) -> str:
    return FailedCreate.of(request.stack_id, request.logical_id, request.request_id).physical_id


def _what_may_exist(request: CustomResourceRequest) -> str:
    if request.physical_id is not None:
        return request.physical_id
    project, request_id = request.property(consts.PROJECT_NAME), request.request_id
    if request.resource_type == consts.MODEL_RESOURCE_TYPE and _valid("ListModels", ProjectName=project):
        return UnconfirmedModelCreate(str(project), request_id).physical_id
    dataset_type = request.property(consts.DATASET_TYPE)
    if request.resource_type == consts.DATASET_RESOURCE_TYPE and _valid(
        "DescribeDataset", ProjectName=project, DatasetType=dataset_type
    ):
        return UnconfirmedDatasetCreate(DatasetRef(str(project), str(dataset_type)), request_id).physical_id
    return _failed_create_id(request)


def _valid(operation: str, **params: object) -> bool:
    return not servicemodel.validate_input(operation, params)


def _progress_parser(request: CustomResourceRequest) -> Callable[[Mapping[str, Any]], ResourceProgress | None]:
    """How the request's record is parsed: a model's checked against the project the request is about."""
    if request.resource_type == consts.MODEL_RESOURCE_TYPE:
        named = request.named()
        project = request.property(consts.PROJECT_NAME)
        if isinstance(named, UnconfirmedModelCreate):
            project = named.project_name
        return lambda raw: ModelProgress.from_json(raw, project if isinstance(project, str) else None)
    if request.resource_type == consts.DATASET_RESOURCE_TYPE:
        return DatasetProgress.from_json
    return lambda raw: None


# -- the work of each resource type ---------------------------------------------------------------


class _Work:
    """One request's work in one invocation, and what a failure of it answers."""

    def __init__(self, request: CustomResourceRequest, budget: Budget, record: Continuation) -> None:
        self.request = request
        self.budget = budget
        self.record = record

    def perform(self) -> Answer:
        raise NotImplementedError

    def failure_physical_id(self, exc: ProviderError | None) -> str | None:
        """The physical id a FAILED answer carries: the event's for Update and Delete, what exists for a Create."""
        if self.request.physical_id is not None:
            return self.request.physical_id
        return exc.physical_id if exc is not None and exc.physical_id else self.created_id()

    def created_id(self) -> str | None:
        return None

    def failure_message(self, exc: ProviderError) -> str:
        return exc.message


class _UnknownType(_Work):
    def perform(self) -> Answer:
        if self.request.request_type is RequestType.DELETE:  # nothing of an unknown type was ever created
            return Answer.succeeded(str(self.request.physical_id))
        raise ProviderError(
            f"unsupported resource type {self.request.resource_type!r}; this function handles "
            f"{consts.MODEL_RESOURCE_TYPE} and {consts.DATASET_RESOURCE_TYPE}"
        )


class _ModelWork(_Work):
    def __init__(
        self, request: CustomResourceRequest, budget: Budget, record: Continuation, model: ModelResource
    ) -> None:
        super().__init__(request, budget, record)
        self.model = model
        project = request.property(consts.PROJECT_NAME)
        self.project = project if isinstance(project, str) else ""

    def perform(self) -> Answer:
        request, named = self.request, self.request.named()
        physical_id = str(request.physical_id)
        ref = named if isinstance(named, ModelRef) else None
        if request.request_type is RequestType.DELETE:
            unanswered = _unanswered_model_create(request)
            subject = str(ref) if ref or unanswered is None else f"model versions of project {unanswered.project_name}"
            return delete_or_orphan(
                request,
                subject,
                lambda: self.model.delete(physical_id, unanswered, request.properties),
                self.budget,
                self.record.service_gone,
            )
        properties = parse_model(request.properties)
        if request.request_type is RequestType.UPDATE:
            return update_or_keep(
                request,
                str(ref or physical_id),
                parse=parse_model,
                properties=properties,
                kept=_model_data(ref) if ref is not None else None,
                update=lambda: self.model.update(physical_id, properties, _old_project(request)),
            )
        return self.model.create(properties)

    def created_id(self) -> str | None:
        return self.model.failed_create_id(self.project)

    def failure_message(self, exc: ProviderError) -> str:
        if self.request.request_type is RequestType.UPDATE and self.model.replacement_left():
            return f"{self.model.leftover()}; {exc.message}"
        return exc.message


class _DatasetWork(_Work):
    def __init__(
        self, request: CustomResourceRequest, budget: Budget, record: Continuation, dataset: DatasetResource
    ) -> None:
        super().__init__(request, budget, record)
        self.dataset = dataset

    def perform(self) -> Answer:
        request = self.request
        physical_id = str(request.physical_id)
        if request.request_type is RequestType.DELETE:
            unanswered = _unanswered_create_dataset(request)
            named = request.named()
            subject = str(named if isinstance(named, DatasetRef | UnconfirmedDatasetCreate) else unanswered)
            return delete_or_orphan(
                request,
                subject,
                lambda: self.dataset.delete(physical_id, request.properties, unanswered),
                self.budget,
                self.record.service_gone,
            )
        properties = parse_dataset(request.properties)
        if request.request_type is RequestType.UPDATE:
            same = DatasetRef(properties.project_name, properties.dataset_type)
            return update_or_keep(
                request,
                str(same),
                parse=parse_dataset,
                properties=properties,
                kept=_dataset_data(same) if same.physical_id == physical_id else None,
                update=lambda: self.dataset.update(physical_id, request.old_properties, properties),
            )
        return self.dataset.create(properties)

    def created_id(self) -> str | None:
        try:
            return self.dataset.failed_create_id(parse_dataset(self.request.properties))
        except ProviderError:
            return None

    def failure_message(self, exc: ProviderError) -> str:
        if self.request.request_type is not RequestType.UPDATE:
            return exc.message
        try:
            properties = parse_dataset(self.request.properties)
        except ProviderError:
            return exc.message
        left = self.dataset.leftover_of_update(str(self.request.physical_id), properties)
        return f"{left}; {exc.message}" if left else exc.message


def _work(
    request: CustomResourceRequest, lookout: Lookout, budget: Budget, record: Continuation, config: ProviderConfig
) -> _Work:
    """The request's work, its resource's operations built on the record's progress (parsed for that resource type)."""
    progress = record.progress
    if request.resource_type == consts.MODEL_RESOURCE_TYPE and isinstance(progress, ModelProgress):
        model = ModelResource(
            lookout,
            budget,
            request.request_id,
            progress,
            owner=Owner.of(request.stack_id, request.logical_id, request.request_id),
            page_size=config.list_models_page_size,
            schedule=config.poll_schedule,
            fleet_polls=config.fleet_polls,
        )
        return _ModelWork(request, budget, record, model)
    if request.resource_type == consts.DATASET_RESOURCE_TYPE and isinstance(progress, DatasetProgress):
        dataset = DatasetResource(lookout, budget, request.request_id, progress, schedule=config.poll_schedule)
        return _DatasetWork(request, budget, record, dataset)
    return _UnknownType(request, budget, record)


def _model_data(ref: ModelRef) -> Answer:
    """A model's answer known without the service (its ARN and version)."""
    data = {consts.ATTR_MODEL_ARN: ref.model_arn, consts.ATTR_MODEL_VERSION: ref.model_version}
    return Answer.succeeded(ref.model_arn, data)


def _dataset_data(ref: DatasetRef) -> Answer:
    """A dataset's answer known without the service."""
    data = {consts.ATTR_PROJECT_NAME: ref.project_name, consts.ATTR_DATASET_TYPE: ref.dataset_type}
    return Answer.succeeded(ref.physical_id, data)


def _unanswered_model_create(request: CustomResourceRequest) -> UnansweredCreate | None:
    """For a Delete of a Create whose versions were never answered, where to look and for which request.

    An id the Create answered names its project and request; an id CloudFormation made up names
    neither, and the project comes from the properties (if valid).
    """
    named = request.named()
    if isinstance(named, UnconfirmedModelCreate):
        return UnansweredCreate(named.project_name, named.request_id)
    project = request.property(consts.PROJECT_NAME)
    if not isinstance(named, MadeUp) or not _valid("ListModels", ProjectName=project):
        return None
    return UnansweredCreate(str(project))


def _old_project(request: CustomResourceRequest) -> str | None:
    """The project OldResourceProperties name, if valid."""
    old = request.old_properties if isinstance(request.old_properties, dict) else {}
    project = old.get(consts.PROJECT_NAME)
    return str(project) if _valid("ListModels", ProjectName=project) else None


def _unanswered_create_dataset(request: CustomResourceRequest) -> DatasetRef | None:
    """For a Delete of an id CloudFormation made up, the dataset its properties name (if valid)."""
    project, dataset_type = request.property(consts.PROJECT_NAME), request.property(consts.DATASET_TYPE)
    if not isinstance(request.named(), MadeUp):
        return None
    if not _valid("DescribeDataset", ProjectName=project, DatasetType=dataset_type):
        return None
    return DatasetRef(str(project), str(dataset_type))
