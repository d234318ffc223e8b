"""The Lookout for Vision backend: projects, datasets and model versions as a state machine. No HTTP.

Asynchronous work is data: each model and dataset records its status and when it entered it, and
``MODEL_TRANSITIONS`` / ``DATASET_TRANSITIONS`` say what follows after how long (``Settings.durations``,
or a model version's own ``Settings.model_durations``); the backend advances them lazily against
service time on every access. Where the service's documentation is silent, its rules are those of
docs/decisions/0104-the-emulators-rules-where-aws-is-silent.md.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import functools
import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from botocore import xform_name
from botocore.model import StringShape

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_localcloud.scaled_clock import ScaledClock

from .exceptions import (
    ConflictException,
    LookoutVisionError,
    NotImplementedByEmulator,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .inference import ImageReading, InvalidImage, detect_anomaly_result, read_image, segmentation
from .manifest import DatasetImport, ManifestImage, image_stats
from .settings import Settings

GONE = "GONE"  # not a service status: the resource no longer exists
IDEMPOTENCY_WINDOW = 8 * 3600.0  # service seconds a ClientToken stays active
STATE_VERSION = 1


def _model_statuses() -> tuple[str, ...]:
    """The service model's ModelStatus enum: every status a model version can be in."""
    shape = servicemodel.service_model().shape_for("ModelStatus")
    assert isinstance(shape, StringShape)
    return tuple(shape.enum)


MODEL_STATUSES = _model_statuses()
DELETABLE = frozenset({"TRAINED", "TRAINING_FAILED", "HOSTING_FAILED"})
STARTABLE = frozenset({"TRAINED", "HOSTING_FAILED"})
STOPPABLE = frozenset({"HOSTED"})
DATASET_READY = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_FAILED_ROLLBACK_COMPLETE"})
# The operations outside the per-API quota of 5 requests per second (the service lists it "excluding DetectAnomalies").
UNTHROTTLED = frozenset({"DetectAnomalies"})

STATUS_MESSAGES = {
    "TRAINING": "Training in progress.",
    "TRAINED": "Training completed.",
    "TRAINING_FAILED": "Training failed: the training job ended with an error. Check the datasets and train again.",
    "STARTING_HOSTING": "Hosting starting.",
    "HOSTED": "Model is hosted.",
    "HOSTING_FAILED": "Hosting failed: the model could not be started. Start it again.",
    "STOPPING_HOSTING": "Hosting stopping.",
    "SYSTEM_UPDATING": "System update in progress.",
    "DELETING": "Model is being deleted.",
}


@dataclass(frozen=True)
class Transition:
    """After ``Durations.<duration>`` service seconds in a status, the resource moves to ``target(settings, it)``."""

    duration: str
    target: Callable[[Settings, Any], str]


MODEL_TRANSITIONS: dict[str, Transition] = {
    "TRAINING": Transition("training", lambda s, m: "TRAINING_FAILED" if m.training_failure else s.training_outcome),
    "STARTING_HOSTING": Transition("starting_hosting", lambda s, m: s.hosting_outcome),
    "STOPPING_HOSTING": Transition("stopping_hosting", lambda s, m: "TRAINED"),
    "SYSTEM_UPDATING": Transition("system_updating", lambda s, m: "HOSTED"),
    "DELETING": Transition("deleting", lambda s, m: GONE),
}
DATASET_TRANSITIONS: dict[str, Transition] = {
    "CREATE_IN_PROGRESS": Transition(
        "creating_dataset", lambda s, d: "CREATE_FAILED" if d.import_failure else "CREATE_COMPLETE"
    ),
    "DELETE_IN_PROGRESS": Transition("deleting_dataset", lambda s, d: GONE),
}


@dataclass
class ModelRecord:
    """One model version as the service keeps it."""

    project_name: str
    version: str
    arn: str
    created: float
    status: str
    entered_at: float
    output_config: dict[str, Any]
    description: str | None = None
    kms_key_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    status_message: str | None = None
    performance: dict[str, float] | None = None
    evaluation_manifest: dict[str, str] | None = None
    evaluation_result: dict[str, str] | None = None
    evaluation_end: float | None = None
    min_inference_units: int | None = None
    max_inference_units: int | None = None
    # A released hold: the current status lasts at least until then.
    not_before: float = 0.0
    # Why the service cannot train it (its datasets' images or its output out of reach): TRAINING_FAILED.
    training_failure: str | None = None
    # The dimensions of the images it was trained on (None: not read, as without S3): DetectAnomalies' must match.
    image_width: int | None = None
    image_height: int | None = None
    # A segmentation model's anomaly types, [name, hex color] each, from its datasets' color maps; None: a
    # classification model (no dataset line had a mask, or no manifest was read).
    anomaly_types: list[list[str]] | None = None

    def metadata(self) -> dict[str, Any]:
        """The model as ListModels and CreateModel show it (ModelMetadata)."""
        return _without_none(
            {
                "CreationTimestamp": self.created,
                "ModelVersion": self.version,
                "ModelArn": self.arn,
                "Description": self.description,
                "Status": self.status,
                "StatusMessage": self.status_message,
                "Performance": self.performance,
            }
        )

    def description_shape(self) -> dict[str, Any]:
        """The model as DescribeModel shows it (ModelDescription)."""
        return _without_none(
            {
                "ModelVersion": self.version,
                "ModelArn": self.arn,
                "CreationTimestamp": self.created,
                "Description": self.description,
                "Status": self.status,
                "StatusMessage": self.status_message,
                "Performance": self.performance,
                "OutputConfig": self.output_config,
                "EvaluationManifest": self.evaluation_manifest,
                "EvaluationResult": self.evaluation_result,
                "EvaluationEndTimestamp": self.evaluation_end,
                "KmsKeyId": self.kms_key_id,
                "MinInferenceUnits": self.min_inference_units,
                "MaxInferenceUnits": self.max_inference_units,
            }
        )


@dataclass
class DatasetRecord:
    """A project's train or test dataset as the service keeps it."""

    project_name: str
    dataset_type: str
    created: float
    updated: float
    status: str
    entered_at: float
    source: dict[str, Any] | None = None
    status_message: str | None = None
    not_before: float = 0.0
    # The images its manifest lists (None: no manifest was read), or why it could not be imported.
    images: list[ManifestImage] | None = None
    import_failure: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetRecord:
        images = data.get("images")
        return cls(**{**data, "images": None if images is None else [ManifestImage.from_dict(i) for i in images]})

    def metadata(self) -> dict[str, Any]:
        return _without_none(
            {
                "DatasetType": self.dataset_type,
                "CreationTimestamp": self.created,
                "Status": self.status,
                "StatusMessage": self.status_message,
            }
        )

    def description_shape(self) -> dict[str, Any]:
        return _without_none(
            {
                "ProjectName": self.project_name,
                "DatasetType": self.dataset_type,
                "CreationTimestamp": self.created,
                "LastUpdatedTimestamp": self.updated,
                "Status": self.status,
                "StatusMessage": self.status_message,
                "ImageStats": None if self.images is None else image_stats(self.images),
            }
        )


@dataclass
class DeletedListing:
    """A deleted model version ListModels still shows (eventual consistency)."""

    metadata: dict[str, Any]
    until: float


@dataclass
class ProjectRecord:
    """A project, with its datasets and model versions."""

    name: str
    arn: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)
    datasets: dict[str, DatasetRecord] = field(default_factory=dict)
    models: dict[str, ModelRecord] = field(default_factory=dict)
    last_version: int = 0
    listed_after_delete: dict[str, DeletedListing] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {"ProjectArn": self.arn, "ProjectName": self.name, "CreationTimestamp": self.created}


@dataclass(frozen=True)
class StatusChange:
    """One entry of the backend's history: a resource entered ``status`` at service time ``time``.

    ``resource_type`` is PROJECT, DATASET or MODEL; ``resource_id`` the project name, dataset type or
    model version. Besides the service's statuses, ``status`` may be CREATED (a project), GONE (the
    resource no longer exists) or UNLISTED (a deleted model version left ListModels).
    """

    time: float
    project_name: str
    resource_type: str
    resource_id: str
    status: str
    previous: str | None = None


@dataclass
class TokenRecord:
    """The first successful answer to a call made with a ClientToken."""

    fingerprint: str
    result: dict[str, Any]
    time: float


P = ParamSpec("P")
R = TypeVar("R")


def _locked(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        self = args[0]
        with self.lock:  # type: ignore[attr-defined]
            self._advance()  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return wrapper


class LookoutVisionBackend:
    """The service's state and rules. Methods are named after the API operations.

    ``invoke(operation, params)`` is the service's front door (validation against the service
    model, ClientToken idempotency, then the operation); the per-operation methods take the
    API's members as snake_case keywords and can also be called directly to arrange a test.
    """

    def __init__(self, settings: Settings, clock: ScaledClock) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self._projects: dict[str, ProjectRecord] = {}
        self._tokens: dict[tuple[str, str], TokenRecord] = {}
        self._holds: set[tuple[str, str, str]] = set()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._history: list[StatusChange] = []

    # -- front door -------------------------------------------------------------------------

    def invoke(self, operation: str, params: dict[str, Any], found: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one API call as the service does: validate, honour the ClientToken, act.

        ``found``: what the edge found for the call outside the request (``dataset_import`` of
        CreateDataset, ``training_problem`` and ``image_size`` of CreateModel, the checked ``image`` of
        DetectAnomalies), passed to the operation as keywords.
        """
        self.validate(operation, params)
        method = getattr(self, xform_name(operation), None)
        if method is None or operation not in IMPLEMENTED_OPERATIONS:
            raise NotImplementedByEmulator(f"The emulator does not implement {operation}.")
        kwargs = {xform_name(name): value for name, value in params.items()} | (found or {})
        token_member = idempotency_token_member(operation)
        token = params.get(token_member) if token_member else None
        with self.lock:
            self._advance()
            if token is None:
                return method(**kwargs)
            key = (operation, token)
            fingerprint = json.dumps(
                {k: v for k, v in params.items() if k != token_member}, sort_keys=True, default=str
            )
            record = self._tokens.get(key)
            if record is not None:
                if record.fingerprint != fingerprint:
                    resource_id, resource_type = _resource_of(params)
                    raise ConflictException(
                        f"The ClientToken {token} was already used with {operation} and different parameters. "
                        "Use a new ClientToken for a new request.",
                        resource_id=resource_id,
                        resource_type=resource_type,
                    )
                return copy.deepcopy(record.result)
            result = method(**kwargs)
            self._tokens[key] = TokenRecord(fingerprint, copy.deepcopy(result), self.clock.now())
            return result

    @staticmethod
    def validate(operation: str, params: dict[str, Any]) -> None:
        """ValidationException, naming the member, when ``params`` break the service model's constraints."""
        violations = servicemodel.validate_input(operation, params)
        if violations:
            raise ValidationException(servicemodel.validation_message(violations))

    def throttle(self, operation: str) -> None:
        """Apply the per-operation quota (a token bucket in service time); raise ThrottlingException beyond it."""
        rate = self.settings.requests_per_second
        if rate is None or rate <= 0 or operation in UNTHROTTLED:
            return
        with self.lock:
            now = self.clock.now()
            capacity = max(1.0, rate)
            tokens, last = self._buckets.get(operation, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[operation] = (tokens, now)
                wait = (1.0 - tokens) / rate
                raise ThrottlingException(
                    f"Rate exceeded for {operation}: the quota is {rate:g} requests per second.",
                    retry_after_seconds=max(1, math.ceil(wait)),
                    quota_code=f"{operation}-requests-per-second",
                )
            self._buckets[operation] = (tokens - 1.0, now)

    # -- projects ---------------------------------------------------------------------------

    @_locked
    def create_project(self, project_name: str, client_token: str | None = None) -> dict[str, Any]:
        if project_name in self._projects:
            raise ConflictException(
                f"A project named {project_name} already exists.", resource_id=project_name, resource_type="PROJECT"
            )
        limit = self.settings.max_projects
        if limit is not None and len(self._projects) >= limit:
            raise ServiceQuotaExceededException(
                f"The account already has {limit} projects, the quota.",
                quota_code="projects-per-account",
                resource_id=project_name,
                resource_type="PROJECT",
            )
        project = ProjectRecord(project_name, self.project_arn(project_name), self.clock.now())
        self._projects[project_name] = project
        self._history.append(StatusChange(project.created, project_name, "PROJECT", project_name, "CREATED", None))
        return {"ProjectMetadata": project.metadata()}

    @_locked
    def describe_project(self, project_name: str) -> dict[str, Any]:
        project = self._project(project_name)
        return {
            "ProjectDescription": {
                **project.metadata(),
                "Datasets": [d.metadata() for d in project.datasets.values()],
            }
        }

    @_locked
    def list_projects(self, next_token: str | None = None, max_results: int | None = None) -> dict[str, Any]:
        items = [(name, p.metadata()) for name, p in sorted(self._projects.items())]
        page, token = _paginate(items, "projects", next_token, max_results)
        return _without_none({"Projects": page, "NextToken": token})

    @_locked
    def delete_project(self, project_name: str, client_token: str | None = None) -> dict[str, Any]:
        project = self._project(project_name)
        left = [f"dataset {t}" for t in project.datasets] + [
            f"model version {v}" for v in sorted({*project.models, *project.listed_after_delete}, key=int)
        ]
        if left:
            raise ConflictException(
                f"Project {project_name} still contains {', '.join(left)}. Delete them before the project.",
                resource_id=project_name,
                resource_type="PROJECT",
            )
        del self._projects[project_name]
        self._history.append(StatusChange(self.clock.now(), project_name, "PROJECT", project_name, GONE, "CREATED"))
        return {"ProjectArn": project.arn}

    # -- datasets ---------------------------------------------------------------------------

    @_locked
    def create_dataset(
        self,
        project_name: str,
        dataset_type: str,
        dataset_source: dict[str, Any] | None = None,
        client_token: str | None = None,
        *,
        dataset_import: DatasetImport | None = None,
    ) -> dict[str, Any]:
        """``dataset_import``: what reading the manifest gave (None: not read, as without S3)."""
        project = self._project(project_name)
        if dataset_type in project.datasets:
            raise ConflictException(
                f"Project {project_name} already has a {dataset_type} dataset.",
                resource_id=dataset_type,
                resource_type="DATASET",
            )
        now = self.clock.now()
        # Without a source the service creates an empty dataset synchronously.
        status = "CREATE_IN_PROGRESS" if dataset_source else "CREATE_COMPLETE"
        dataset = DatasetRecord(project_name, dataset_type, now, now, status, now, source=dataset_source)
        if dataset_source and dataset_import is not None:
            dataset.images = list(dataset_import.images)
            dataset.import_failure = dataset_import.failure
        elif not dataset_source:
            dataset.images = []
        dataset.status_message = _dataset_message(status)
        project.datasets[dataset_type] = dataset
        self._history.append(StatusChange(now, project_name, "DATASET", dataset_type, status, None))
        return {"DatasetMetadata": dataset.metadata()}

    @_locked
    def describe_dataset(self, project_name: str, dataset_type: str) -> dict[str, Any]:
        return {"DatasetDescription": self._dataset(project_name, dataset_type).description_shape()}

    @_locked
    def delete_dataset(self, project_name: str, dataset_type: str, client_token: str | None = None) -> dict[str, Any]:
        project = self._project(project_name)
        dataset = self._dataset(project_name, dataset_type)
        if dataset.status.endswith("_IN_PROGRESS"):
            raise ConflictException(
                f"The {dataset_type} dataset of project {project_name} is {dataset.status}.",
                resource_id=dataset_type,
                resource_type="DATASET",
            )
        training = [m.version for m in project.models.values() if m.status == "TRAINING"]
        if training:
            raise ConflictException(
                f"Model version {training[0]} of project {project_name} is training with this dataset.",
                resource_id=training[0],
                resource_type="MODEL",
            )
        self._enter_dataset(project, dataset, "DELETE_IN_PROGRESS", self.clock.now())
        return {}

    # -- models -----------------------------------------------------------------------------

    @_locked
    def create_model(
        self,
        project_name: str,
        *,
        output_config: dict[str, Any],
        description: str | None = None,
        client_token: str | None = None,
        kms_key_id: str | None = None,
        tags: list[dict[str, str]] | None = None,
        training_problem: str | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        """``training_problem``: why the service cannot train it, found at the call; it then ends TRAINING_FAILED.
        ``image_size``: the (width, height) of the images it trains on, as read at the call (None: not read)."""
        project = self._project(project_name)
        train = project.datasets.get("train")
        if train is None:
            raise ValidationException(
                f"Project {project_name} has no train dataset. Create a training dataset before training a model."
            )
        for dataset in project.datasets.values():
            if dataset.status not in DATASET_READY:
                raise ConflictException(
                    f"The {dataset.dataset_type} dataset of project {project_name} is {dataset.status}.",
                    resource_id=dataset.dataset_type,
                    resource_type="DATASET",
                )
        limit = self.settings.max_models_per_project
        if limit is not None and len(project.models) >= limit:
            raise ServiceQuotaExceededException(
                f"Project {project_name} already has {limit} model versions, the quota.",
                quota_code="models-per-project",
                resource_id=project_name,
                resource_type="PROJECT",
            )
        project.last_version += 1
        version = str(project.last_version)
        now = self.clock.now()
        model = ModelRecord(
            project_name=project_name,
            version=version,
            arn=self.model_arn(project_name, version),
            created=now,
            status="TRAINING",
            entered_at=now,
            output_config=copy.deepcopy(output_config),
            description=description,
            kms_key_id=kms_key_id,
            tags={t["Key"]: t["Value"] for t in tags or []},
            status_message=STATUS_MESSAGES["TRAINING"],
            training_failure=training_problem,
            image_width=image_size[0] if image_size else None,
            image_height=image_size[1] if image_size else None,
            anomaly_types=_anomaly_types(project),
        )
        project.models[version] = model
        self._history.append(StatusChange(now, project_name, "MODEL", version, "TRAINING", None))
        return {"ModelMetadata": model.metadata()}

    @_locked
    def dataset_images(self, project_name: str) -> dict[str, list[ManifestImage]]:
        """Dataset type → the images its manifest listed, for the project's datasets that read one."""
        project = self._projects.get(project_name)
        datasets = project.datasets.values() if project is not None else ()
        return {d.dataset_type: list(d.images) for d in datasets if d.images is not None}

    @_locked
    def next_model_version(self, project_name: str) -> str:
        """The version the project's next CreateModel creates (``1`` for a project that does not exist)."""
        project = self._projects.get(project_name)
        return str((project.last_version if project is not None else 0) + 1)

    @_locked
    def describe_model(self, project_name: str, model_version: str) -> dict[str, Any]:
        return {"ModelDescription": self._model(project_name, model_version).description_shape()}

    @_locked
    def list_models(
        self, project_name: str, next_token: str | None = None, max_results: int | None = None
    ) -> dict[str, Any]:
        project = self._project(project_name)
        now = self.clock.now()
        listed = {v: m.metadata() for v, m in project.models.items() if self._listed_by(project, m, now)}
        for version, ghost in project.listed_after_delete.items():
            listed.setdefault(version, copy.deepcopy(ghost.metadata))
        items = [(f"{int(v):010d}", listed[v]) for v in sorted(listed, key=int)]
        page, token = _paginate(items, f"models/{project_name}", next_token, max_results)
        return _without_none({"Models": page, "NextToken": token})

    @_locked
    def start_model(
        self,
        project_name: str,
        model_version: str,
        min_inference_units: int,
        client_token: str | None = None,
        max_inference_units: int | None = None,
    ) -> dict[str, Any]:
        model = self._model(project_name, model_version)
        if max_inference_units is not None and max_inference_units < min_inference_units:
            raise ValidationException(
                f"MaxInferenceUnits ({max_inference_units}) must be greater than or equal to "
                f"MinInferenceUnits ({min_inference_units})."
            )
        self._require(model, STARTABLE, "start")
        model.min_inference_units = min_inference_units
        model.max_inference_units = max_inference_units if max_inference_units is not None else min_inference_units
        self._enter_model(self._projects[project_name], model, "STARTING_HOSTING", self.clock.now())
        return {"Status": model.status}

    @_locked
    def stop_model(self, project_name: str, model_version: str, client_token: str | None = None) -> dict[str, Any]:
        model = self._model(project_name, model_version)
        self._require(model, STOPPABLE, "stop")
        self._enter_model(self._projects[project_name], model, "STOPPING_HOSTING", self.clock.now())
        return {"Status": model.status}

    @_locked
    def delete_model(self, project_name: str, model_version: str, client_token: str | None = None) -> dict[str, Any]:
        model = self._model(project_name, model_version)
        self._require(model, DELETABLE, "delete")
        self._enter_model(self._projects[project_name], model, "DELETING", self.clock.now())
        return {"ModelArn": model.arn}

    @_locked
    def detect_anomalies(
        self,
        project_name: str,
        model_version: str,
        body: bytes,
        content_type: str,
        *,
        image: ImageReading | None = None,
    ) -> dict[str, Any]:
        """The hosted version's DetectAnomalyResult for the image ``body``, by ``inference``'s rule.

        ``image``: the request's image as the edge read and checked it (None: read here).
        """
        reading = image if image is not None else checked_image(body, content_type)
        model = self._model(project_name, model_version)
        if model.status != "HOSTED":
            raise ConflictException(
                f"Model version {model.version} of project {project_name} is {model.status}, not HOSTED: "
                "start it (StartModel) and wait until it is HOSTED to detect anomalies with it.",
                resource_id=model.version,
                resource_type="MODEL",
            )
        trained_on = (model.image_width, model.image_height)
        if None not in trained_on and trained_on != (reading.width, reading.height):
            raise ValidationException(
                f"Body is {reading.dimensions}, but model version {model.version} of project {project_name} was "
                f"trained on images of {model.image_width} x {model.image_height} pixels: DetectAnomalies needs "
                "images of the same dimensions."
            )
        result = detect_anomaly_result(reading, self.settings.detection_outcome)
        if model.anomaly_types is not None:
            result |= segmentation(body, reading, [(name, color) for name, color in model.anomaly_types])
        return {"DetectAnomalyResult": result}

    # -- tags -------------------------------------------------------------------------------

    @_locked
    def list_tags_for_resource(self, resource_arn: str) -> dict[str, Any]:
        tags = self._tags_of(resource_arn)
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    @_locked
    def tag_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> dict[str, Any]:
        current = self._tags_of(resource_arn)
        merged = {**current, **{t["Key"]: t["Value"] for t in tags}}
        if len(merged) > 200:
            raise ValidationException("A resource can have at most 200 tags.")
        current.update(merged)
        return {}

    @_locked
    def untag_resource(self, resource_arn: str, tag_keys: list[str]) -> dict[str, Any]:
        current = self._tags_of(resource_arn)
        for key in tag_keys:
            current.pop(key, None)
        return {}

    # -- test and operator controls -----------------------------------------------------------

    @_locked
    def hold_status(self, project_name: str, model_version: str, status: str) -> None:
        """Keep the model version in ``status`` once it is there, until ``release_status`` ("stuck in a state").

        The version need not exist yet: ``hold_status("p", "1", "TRAINING")`` before CreateModel works.
        """
        _check_status(status)
        self._holds.add((project_name, str(model_version), status))

    @_locked
    def release_status(self, project_name: str, model_version: str, status: str | None = None) -> None:
        """Undo ``hold_status`` (every held status of the version when ``status`` is None).

        A status held past its duration ends at the release, not retroactively.
        """
        version = str(model_version)
        released = {h for h in self._holds if h[:2] == (project_name, version) and status in (None, h[2])}
        self._holds -= released
        model = self._projects.get(project_name, ProjectRecord("", "", 0)).models.get(version)
        if model is not None and any(h[2] == model.status for h in released):
            model.not_before = self.clock.now()

    @_locked
    def set_status(self, project_name: str, model_version: str, status: str) -> None:
        """Put a model version in any of the service's 9 statuses now (time-based transitions continue from there)."""
        _check_status(status)
        model = self._model(project_name, model_version)
        if status in ("STARTING_HOSTING", "HOSTED", "SYSTEM_UPDATING", "STOPPING_HOSTING"):
            model.min_inference_units = model.min_inference_units or 1
            model.max_inference_units = model.max_inference_units or model.min_inference_units
        self._enter_model(self._projects[project_name], model, status, self.clock.now())

    @_locked
    def model_status(self, project_name: str, model_version: str) -> str | None:
        """The version's status now, or None when it no longer exists (without going through the API)."""
        project = self._projects.get(project_name)
        model = project.models.get(str(model_version)) if project else None
        return model.status if model else None

    @_locked
    def inventory(self) -> dict[str, Any]:
        """Everything that exists now: {project: {"datasets": {type: status}, "models": {version: status}}}."""
        return {
            name: {
                "datasets": {t: d.status for t, d in p.datasets.items()},
                "models": {v: m.status for v, m in p.models.items()},
            }
            for name, p in self._projects.items()
        }

    @_locked
    def is_empty(self) -> bool:
        """True when no project exists (so no dataset or model either)."""
        return not self._projects

    @_locked
    def history(
        self, project_name: str | None = None, resource_id: str | None = None, resource_type: str | None = None
    ) -> list[StatusChange]:
        """Every status change so far, in service-time order, optionally for one project / resource."""
        return sorted(
            (
                c
                for c in self._history
                if project_name in (None, c.project_name)
                and resource_id in (None, c.resource_id)
                and resource_type in (None, c.resource_type)
            ),
            key=lambda c: c.time,
        )

    def reset(self) -> None:
        with self.lock:
            self._projects.clear()
            self._tokens.clear()
            self._holds.clear()
            self._buckets.clear()
            self._history.clear()

    # -- ARNs -------------------------------------------------------------------------------

    def project_arn(self, project_name: str) -> str:
        return f"arn:aws:lookoutvision:{self.settings.region}:{self.settings.account_id}:project/{project_name}"

    def model_arn(self, project_name: str, model_version: str) -> str:
        return (
            f"arn:aws:lookoutvision:{self.settings.region}:{self.settings.account_id}:"
            f"model/{project_name}/{model_version}"
        )

    # -- saved state ------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The whole world as JSON-serializable data (``from_state`` reads it back)."""
        with self.lock:
            self._advance()
            return {
                "version": STATE_VERSION,
                "time": self.clock.now(),
                "projects": [dataclasses.asdict(p) for p in self._projects.values()],
                "tokens": [
                    {"operation": op, "token": tok, **dataclasses.asdict(rec)}
                    for (op, tok), rec in self._tokens.items()
                ],
                "holds": sorted(list(h) for h in self._holds),
            }

    def from_state(self, state: dict[str, Any]) -> None:
        """Replace the world with a saved one; service time resumes where it was saved."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported emulator state version: {state.get('version')!r}")
        with self.lock:
            self.reset()
            for data in state["projects"]:
                project = ProjectRecord(
                    name=data["name"],
                    arn=data["arn"],
                    created=data["created"],
                    tags=data["tags"],
                    datasets={t: DatasetRecord.from_dict(d) for t, d in data["datasets"].items()},
                    models={v: ModelRecord(**m) for v, m in data["models"].items()},
                    last_version=data["last_version"],
                    listed_after_delete={v: DeletedListing(**g) for v, g in data["listed_after_delete"].items()},
                )
                self._projects[project.name] = project
            for tok in state["tokens"]:
                key = (tok["operation"], tok["token"])
                self._tokens[key] = TokenRecord(tok["fingerprint"], tok["result"], tok["time"])
            self._holds = {(h[0], h[1], h[2]) for h in state["holds"]}
            self.clock.set(float(state["time"]))

    # -- internals --------------------------------------------------------------------------

    def _advance(self) -> None:
        """Apply every transition due by now, and forget expired tokens and stale listings."""
        now = self.clock.now()
        for project in list(self._projects.values()):
            for model in list(project.models.values()):
                self._advance_model(project, model, now)
            for dataset in list(project.datasets.values()):
                self._advance_dataset(project, dataset, now)
            for version, listed in list(project.listed_after_delete.items()):
                if listed.until <= now:
                    del project.listed_after_delete[version]
                    self._history.append(StatusChange(listed.until, project.name, "MODEL", version, "UNLISTED", GONE))
        expired = [key for key, rec in self._tokens.items() if now - rec.time >= IDEMPOTENCY_WINDOW]
        for key in expired:
            del self._tokens[key]

    def _listed_by(self, project: ProjectRecord, model: ModelRecord, now: float) -> bool:
        """Whether ListModels lists the version yet (``list_models_lag_after_create`` after CreateModel)."""
        lag = self.settings.duration("list_models_lag_after_create", project.name, model.version)
        return now >= model.created + lag

    def _advance_model(self, project: ProjectRecord, model: ModelRecord, now: float) -> None:
        while model.version in project.models:
            transition = MODEL_TRANSITIONS.get(model.status)
            if transition is None or (project.name, model.version, model.status) in self._holds:
                return
            seconds = self.settings.duration(transition.duration, project.name, model.version)
            due = max(model.entered_at + seconds, model.not_before)
            if due > now:
                return
            self._enter_model(project, model, transition.target(self.settings, model), due)

    def _advance_dataset(self, project: ProjectRecord, dataset: DatasetRecord, now: float) -> None:
        while dataset.dataset_type in project.datasets:
            transition = DATASET_TRANSITIONS.get(dataset.status)
            if transition is None:
                return
            due = max(dataset.entered_at + getattr(self.settings.durations, transition.duration), dataset.not_before)
            if due > now:
                return
            self._enter_dataset(project, dataset, transition.target(self.settings, dataset), due)

    def _enter_model(self, project: ProjectRecord, model: ModelRecord, status: str, at: float) -> None:
        previous = model.status
        self._history.append(StatusChange(at, project.name, "MODEL", model.version, status, previous))
        if status == GONE:
            del project.models[model.version]
            lag = self.settings.duration("list_models_lag", project.name, model.version)
            if lag > 0:
                project.listed_after_delete[model.version] = DeletedListing(model.metadata(), at + lag)
            else:
                self._history.append(StatusChange(at, project.name, "MODEL", model.version, "UNLISTED", GONE))
            return
        model.status, model.entered_at, model.not_before = status, at, 0.0
        failure = model.training_failure if status == "TRAINING_FAILED" and previous == "TRAINING" else None
        model.status_message = failure or STATUS_MESSAGES[status]
        if status == "TRAINED" and model.performance is None:
            self._finish_training(model, at)
        if status == "TRAINED" and previous in ("STOPPING_HOSTING", "HOSTED", "STARTING_HOSTING"):
            model.min_inference_units = model.max_inference_units = None
        if status == "TRAINING_FAILED":
            model.performance = None

    def _finish_training(self, model: ModelRecord, at: float) -> None:
        bucket = model.output_config.get("S3Location", {}).get("Bucket", "output")
        manifest_key, result_key = output_keys(model.output_config, model.project_name, model.version)
        model.performance = {"F1Score": 0.95, "Recall": 0.94, "Precision": 0.96}
        model.evaluation_manifest = {"Bucket": bucket, "Key": manifest_key}
        model.evaluation_result = {"Bucket": bucket, "Key": result_key}
        model.evaluation_end = at

    def _enter_dataset(self, project: ProjectRecord, dataset: DatasetRecord, status: str, at: float) -> None:
        self._history.append(StatusChange(at, project.name, "DATASET", dataset.dataset_type, status, dataset.status))
        if status == GONE:
            del project.datasets[dataset.dataset_type]
            return
        dataset.status, dataset.entered_at, dataset.updated, dataset.not_before = status, at, at, 0.0
        failure = dataset.import_failure if status == "CREATE_FAILED" else None
        dataset.status_message = failure or _dataset_message(status)

    def _require(self, model: ModelRecord, allowed: frozenset[str], action: str) -> None:
        if model.status not in allowed:
            raise ConflictException(
                f"Cannot {action} model version {model.version} of project {model.project_name} "
                f"while its status is {model.status}.",
                resource_id=model.version,
                resource_type="MODEL",
            )

    def _project(self, project_name: str) -> ProjectRecord:
        project = self._projects.get(project_name)
        if project is None:
            raise ResourceNotFoundException(
                f"Project {project_name} was not found.", resource_id=project_name, resource_type="PROJECT"
            )
        return project

    def _dataset(self, project_name: str, dataset_type: str) -> DatasetRecord:
        dataset = self._project(project_name).datasets.get(dataset_type)
        if dataset is None:
            raise ResourceNotFoundException(
                f"Project {project_name} has no {dataset_type} dataset.",
                resource_id=dataset_type,
                resource_type="DATASET",
            )
        return dataset

    def _model(self, project_name: str, model_version: str) -> ModelRecord:
        project = self._project(project_name)
        version = str(model_version)
        if version == "latest" and project.models:
            version = max(project.models, key=int)
        model = project.models.get(version)
        if model is None:
            raise ResourceNotFoundException(
                f"Model version {model_version} of project {project_name} was not found.",
                resource_id=str(model_version),
                resource_type="MODEL",
            )
        return model

    def _tags_of(self, resource_arn: str) -> dict[str, str]:
        match = _ARN.fullmatch(resource_arn)
        if match is None:
            raise ValidationException(f"{resource_arn} is not a Lookout for Vision project or model ARN.")
        kind, name, version = match.group("kind", "name", "version")
        expected = self.project_arn(name) if kind == "project" else self.model_arn(name, version or "")
        project = self._projects.get(name)
        if resource_arn == expected and project is not None:
            if kind == "project":
                return project.tags
            if version in project.models:
                return project.models[version].tags
        raise ResourceNotFoundException(
            f"Resource {resource_arn} was not found.", resource_id=resource_arn, resource_type=kind.upper()
        )


_ARN = re.compile(
    r"arn:aws[a-z-]*:lookoutvision:[a-z0-9-]*:[0-9]*:(?P<kind>project|model)/(?P<name>[^/]+)(?:/(?P<version>[^/]+))?"
)

IMPLEMENTED_OPERATIONS = frozenset(
    {
        "CreateProject",
        "DescribeProject",
        "ListProjects",
        "DeleteProject",
        "CreateDataset",
        "DescribeDataset",
        "DeleteDataset",
        "CreateModel",
        "DescribeModel",
        "ListModels",
        "StartModel",
        "StopModel",
        "DeleteModel",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
        "DetectAnomalies",
    }
)


def checked_image(body: bytes, content_type: str) -> ImageReading:
    """A DetectAnomalies request's image read and checked (``inference.read_image``); ValidationException if refused."""
    try:
        return read_image(body, content_type)
    except InvalidImage as exc:
        raise ValidationException(str(exc)) from exc


def output_keys(output_config: dict[str, Any], project_name: str, model_version: str) -> tuple[str, str]:
    """The keys of the evaluation manifest and result that training writes under the output prefix."""
    prefix = output_config.get("S3Location", {}).get("Prefix", "")
    base = f"{prefix}{project_name}/model-{model_version}/evaluation"
    return f"{base}/manifest.json", f"{base}/result.json"


@functools.cache
def idempotency_token_member(operation: str) -> str | None:
    """The input member the service model marks ``idempotencyToken`` (ClientToken), if any."""
    shape = servicemodel.operation_model(operation).input_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.metadata.get("idempotencyToken"):
            return name
    return None


def _anomaly_types(project: ProjectRecord) -> list[list[str]] | None:
    """The anomaly types a model of ``project`` is trained to find: those of its datasets' segmentation lines, in
    order, each once; None when no line has a mask (a classification model)."""
    lines = [image for dataset in project.datasets.values() for image in dataset.images or ()]
    if not any(image.anomaly_types is not None for image in lines):
        return None
    found: dict[tuple[str, str], None] = {}
    for image in lines:
        found.update(dict.fromkeys(image.anomaly_types or ()))
    return [[name, color] for name, color in found]


def _resource_of(params: dict[str, Any]) -> tuple[str, str]:
    if "ModelVersion" in params:
        return str(params["ModelVersion"]), "MODEL"
    if "DatasetType" in params:
        return str(params["DatasetType"]), "DATASET"
    if "ProjectName" in params and "OutputConfig" in params:
        return str(params["ProjectName"]), "MODEL"
    return str(params.get("ProjectName", "")), "PROJECT"


def _paginate(
    items: list[tuple[str, dict[str, Any]]], scope: str, next_token: str | None, max_results: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``(sort key, item)`` pairs; the NextToken names the last key returned, not an offset."""
    after = _decode_token(next_token, scope) if next_token else None
    remaining = [(key, item) for key, item in items if after is None or key > after]
    size = max_results or 100
    page = remaining[:size]
    token = _encode_token(scope, page[-1][0]) if len(remaining) > size else None
    return [item for _, item in page], token


def _encode_token(scope: str, after: str) -> str:
    return base64.b64encode(json.dumps({"scope": scope, "after": after}).encode()).decode()


def _decode_token(token: str, scope: str) -> str:
    try:
        data = json.loads(base64.b64decode(token, validate=True))
        if isinstance(data, dict) and data.get("scope") == scope and isinstance(data.get("after"), str):
            return data["after"]
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise ValidationException("The pagination token is invalid.")


def _dataset_message(status: str) -> str:
    return {
        "CREATE_IN_PROGRESS": "Creating dataset.",
        "CREATE_COMPLETE": "Dataset created.",
        "CREATE_FAILED": "Dataset creation failed.",
        "DELETE_IN_PROGRESS": "Deleting dataset.",
    }.get(status, status)


def _check_status(status: str) -> None:
    if status not in MODEL_STATUSES:
        raise ValueError(f"unknown model status {status!r}; expected one of {', '.join(MODEL_STATUSES)}")


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


__all__ = ["GONE", "MODEL_TRANSITIONS", "LookoutVisionBackend", "LookoutVisionError"]
