"""Every call to Lookout for Vision, in one place.

botocore's own retries are off: a call is tried again (``CallRetries``) only after throttling, a
5xx or no answer, and only while the retry can start within the caller's window; each attempt is
timed by the caller. botocore's errors leave as the typed errors of ``lookoutvision_cdk_provider.errors``, saying
whether any attempt may have been carried out (``outcome_unknown``). A model version carries the
service's time of the answer that showed it (its ``Date``), so that its age is read in the
service's clock.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions
from botocore import xform_name

from lookoutvision_cdk_provider import errors
from lookoutvision_cdk_provider.lifecycle import DatasetStatus, ModelStatus
from lookoutvision_cdk_provider.properties import DatasetProperties, Hosting, ModelProperties
from lookoutvision_cdk_provider.timing import CallRetries

logger = logging.getLogger(__name__)

_CONNECTION_ERRORS = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.HTTPClientError,
)


@dataclass(frozen=True)
class ModelDescription:
    """A model version as DescribeModel shows it."""

    project_name: str
    model_version: str
    model_arn: str
    status: ModelStatus
    status_message: str | None = None
    min_inference_units: int | None = None
    max_inference_units: int | None = None
    performance: dict[str, float] = field(default_factory=dict)
    description: str | None = None
    output_config: dict[str, Any] = field(default_factory=dict)
    kms_key_id: str | None = None
    created: float | None = None  # CreationTimestamp, epoch seconds
    answered_at: float | None = None  # the service's time when it answered (its Date header), epoch seconds


@dataclass(frozen=True)
class ModelSummary:
    """A model version as a ListModels page shows it; ``answered_at``: the service's time of that page."""

    model_version: str
    model_arn: str
    status: str
    created: float | None = None
    answered_at: float | None = None


@dataclass(frozen=True)
class DatasetDescription:
    project_name: str
    dataset_type: str
    status: DatasetStatus
    status_message: str | None = None


class Lookout:
    """The operations the provider performs, each retried within bounds.

    ``sleep`` sleeps (the provider's clock); ``call_window`` returns the seconds during which a
    call may still start (a retry that would not start within it raises ``OutOfTime``);
    ``timed_call`` wraps each attempt (``lookoutvision_cdk_provider.budget.Budget.timed_call``); ``random`` yields
    [0, 1); ``retries`` says how often and after how long a call is tried again (``max_attempts``,
    when given, instead of its attempts).
    """

    def __init__(
        self,
        client: Any,
        *,
        sleep: Callable[[float], None],
        call_window: Callable[[], float] = lambda: float("inf"),
        timed_call: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
        random_unit: Callable[[], float] = random.random,
        retries: CallRetries | None = None,
        max_attempts: int | None = None,
        retry_throttled: bool = True,
    ) -> None:
        self._client = client
        self._retries = retries if retries is not None else CallRetries()
        self._retry_throttled = retry_throttled
        self._sleep = sleep
        self._call_window = call_window
        self._timed_call = timed_call
        self._random = random_unit
        self._max_attempts = max_attempts if max_attempts is not None else self._retries.attempts
        self.throttled = 0  # ThrottlingException answers so far: the pollers slow down on them

    # -- models --------------------------------------------------------------------------------

    def create_model(
        self, properties: ModelProperties, token: str, tags: dict[str, str] | None = None
    ) -> ModelDescription:
        """CreateModel with the properties' tags plus ``tags``."""
        params = properties.create_model_input()
        extra = [{"Key": key, "Value": value} for key, value in (tags or {}).items()]
        if extra:
            params["Tags"] = [*params.get("Tags", []), *extra]
        answer = self._call("CreateModel", **params, ClientToken=token)
        meta = answer["ModelMetadata"]
        return _model(properties.project_name, meta, _answered_at(answer))

    def describe_model(self, project_name: str, model_version: str) -> ModelDescription | None:
        """The model (``model_version`` may be ``latest``), or None when it or its project does not exist."""
        try:
            answer = self._call("DescribeModel", ProjectName=project_name, ModelVersion=model_version)
        except errors.NotFound:
            return None
        return _model(project_name, answer["ModelDescription"], _answered_at(answer))

    def start_model(self, project_name: str, model_version: str, hosting: Hosting, token: str) -> None:
        params = hosting.start_model_input()
        self._call("StartModel", ProjectName=project_name, ModelVersion=model_version, **params, ClientToken=token)

    def stop_model(self, project_name: str, model_version: str, token: str) -> None:
        self._call("StopModel", ProjectName=project_name, ModelVersion=model_version, ClientToken=token)

    def delete_model(self, project_name: str, model_version: str, token: str) -> None:
        self._call("DeleteModel", ProjectName=project_name, ModelVersion=model_version, ClientToken=token)

    def tag_resource(self, resource_arn: str, tags: dict[str, str]) -> None:
        self._call("TagResource", ResourceArn=resource_arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    def untag_resource(self, resource_arn: str, keys: list[str]) -> None:
        self._call("UntagResource", ResourceArn=resource_arn, TagKeys=keys)

    def model_listed(self, project_name: str, model_version: str, page_size: int | None = None) -> bool:
        """Whether ListModels still shows the version, reading every page; False when the project is gone."""
        try:
            return any(m.get("ModelVersion") == model_version for m, _ in self._list_models(project_name, page_size))
        except errors.NotFound:
            return False

    def model_summaries(self, project_name: str, page_size: int | None = None) -> list[ModelSummary] | None:
        """Every version ListModels shows, reading every page; None when the project does not exist."""
        try:
            models = list(self._list_models(project_name, page_size))
        except errors.NotFound:
            return None
        return [
            ModelSummary(
                model_version=str(m["ModelVersion"]),
                model_arn=str(m["ModelArn"]),
                status=str(m["Status"]),
                created=_epoch(m.get("CreationTimestamp")),
                answered_at=answered_at,
            )
            for m, answered_at in models
        ]

    def model_statuses(self, project_name: str, page_size: int | None = None) -> dict[str, str]:
        """{ModelVersion: Status} of every version ListModels shows; empty when the project is gone."""
        return {str(m["ModelVersion"]): str(m["Status"]) for m, _ in self._all_models(project_name, page_size)}

    def single_attempt(self) -> Lookout:
        """The same client and clock, one attempt per call: for a caller that will look again anyway."""
        return self._variant(max_attempts=1)

    def throttling_not_retried(self) -> Lookout:
        """The same client and clock; a ThrottlingException is raised at once, for the caller to pace."""
        return self._variant(max_attempts=self._max_attempts, retry_throttled=False)

    def _variant(self, *, max_attempts: int, retry_throttled: bool = True) -> Lookout:
        return Lookout(
            self._client,
            sleep=self._sleep,
            call_window=self._call_window,
            timed_call=self._timed_call,
            random_unit=self._random,
            retries=self._retries,
            max_attempts=max_attempts,
            retry_throttled=retry_throttled,
        )

    def tags_of(self, resource_arn: str) -> dict[str, str] | None:
        """A resource's tags, or None when it no longer exists."""
        try:
            answer = self._call("ListTagsForResource", ResourceArn=resource_arn)
        except errors.NotFound:
            return None
        return {str(t["Key"]): str(t.get("Value", "")) for t in answer.get("Tags", [])}

    def _all_models(self, project_name: str, page_size: int | None) -> list[tuple[dict[str, Any], float | None]]:
        """Every page of ListModels; none when the project is gone."""
        try:
            return list(self._list_models(project_name, page_size))
        except errors.NotFound:
            return []

    def _list_models(self, project_name: str, page_size: int | None) -> Iterator[tuple[dict[str, Any], float | None]]:
        """Each version ListModels shows, with the service's time of its page."""
        params: dict[str, Any] = {"ProjectName": project_name}
        if page_size is not None:
            params["MaxResults"] = page_size
        while True:
            answer = self._call("ListModels", **params)
            answered_at = _answered_at(answer)
            for model in answer.get("Models", []):
                yield model, answered_at
            token = answer.get("NextToken")
            if not token:
                return
            params["NextToken"] = token

    # -- datasets ------------------------------------------------------------------------------

    def create_dataset(self, properties: DatasetProperties, token: str) -> None:
        self._call("CreateDataset", **properties.create_dataset_input(), ClientToken=token)

    def describe_dataset(self, project_name: str, dataset_type: str) -> DatasetDescription | None:
        """The dataset, or None when it or its project does not exist."""
        try:
            answer = self._call("DescribeDataset", ProjectName=project_name, DatasetType=dataset_type)
        except errors.NotFound:
            return None
        description = answer["DatasetDescription"]
        return DatasetDescription(
            project_name=project_name,
            dataset_type=dataset_type,
            status=DatasetStatus(description["Status"]),
            status_message=description.get("StatusMessage"),
        )

    def delete_dataset(self, project_name: str, dataset_type: str, token: str) -> None:
        self._call("DeleteDataset", ProjectName=project_name, DatasetType=dataset_type, ClientToken=token)

    # -- the call ------------------------------------------------------------------------------

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = getattr(self._client, xform_name(operation))
        attempt = 0
        outcome_unknown = False  # an earlier attempt got no answer, or a 5xx: it may have been carried out
        while True:
            try:
                with self._timed_call():
                    answer: dict[str, Any] = method(**params)
                return answer
            except botocore.exceptions.ClientError as exc:
                error: errors.LookoutError = translate(operation, exc)
            except _CONNECTION_ERRORS as exc:
                error = errors.ServiceUnavailable(operation, type(exc).__name__, str(exc))
            outcome_unknown = outcome_unknown or error.outcome_unknown
            error.outcome_unknown = outcome_unknown
            if isinstance(error, errors.Throttled):
                self.throttled += 1
            if not error.retryable or attempt + 1 >= self._max_attempts:
                raise error
            if isinstance(error, errors.Throttled) and not self._retry_throttled:
                raise error
            delay = self._retries.delay(attempt, self._random(), error.retry_after)
            if delay >= self._call_window():
                raise errors.OutOfTime(error)
            logger.info("%s: %s; retry %d in %.1f s", operation, error.code, attempt + 1, delay)
            self._sleep(delay)
            attempt += 1


def translate(operation: str, exc: botocore.exceptions.ClientError) -> errors.LookoutError:
    """botocore's ClientError → the provider's typed error, with RetryAfterSeconds when given."""
    response: dict[str, Any] = dict(exc.response)
    error = response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or "")
    metadata = response.get("ResponseMetadata", {})
    status = metadata.get("HTTPStatusCode")
    retry_after = response.get("RetryAfterSeconds")
    if retry_after is None:
        retry_after = metadata.get("HTTPHeaders", {}).get("retry-after")
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except (TypeError, ValueError):
        seconds = None
    return errors.error_class(code, status)(operation, code, message, status=status, retry_after=seconds)


def _answered_at(answer: dict[str, Any]) -> float | None:
    """The service's time of an answer (its ``Date`` header, to the second), if it says."""
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    if not isinstance(date, str):
        return None
    try:
        return email.utils.parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return None


def _epoch(timestamp: object) -> float | None:
    """A timestamp as botocore parses it (a datetime), in epoch seconds."""
    if isinstance(timestamp, datetime.datetime):
        return timestamp.timestamp()
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        return float(timestamp)
    return None


def _model(project_name: str, meta: dict[str, Any], answered_at: float | None = None) -> ModelDescription:
    performance = {k: float(v) for k, v in (meta.get("Performance") or {}).items() if v is not None}
    return ModelDescription(
        project_name=project_name,
        model_version=str(meta["ModelVersion"]),
        model_arn=str(meta["ModelArn"]),
        status=ModelStatus(meta["Status"]),
        status_message=meta.get("StatusMessage"),
        min_inference_units=meta.get("MinInferenceUnits"),
        max_inference_units=meta.get("MaxInferenceUnits"),
        performance=performance,
        description=meta.get("Description"),
        output_config=dict(meta.get("OutputConfig") or {}),
        kms_key_id=meta.get("KmsKeyId"),
        created=_epoch(meta.get("CreationTimestamp")),
        answered_at=answered_at,
    )
