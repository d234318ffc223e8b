"""The lifecycle decisions, as pure functions: no I/O, no clock, no randomness of their own.

From what a request wants (a goal) and what the service shows (an observation) to the one next
action; ``lookoutvision_cdk_provider.model_resource`` and ``lookoutvision_cdk_provider.dataset_resource`` perform the
actions and
observe again until DONE or FAIL. The timing rules are ``lookoutvision_cdk_provider.timing``'s.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from lookoutvision_cdk_provider.properties import Hosting, ModelProperties, VersionSettings


class ModelStatus(enum.StrEnum):
    """The 9 states of a model version (DescribeModel's Status)."""

    TRAINING = "TRAINING"
    TRAINED = "TRAINED"
    TRAINING_FAILED = "TRAINING_FAILED"
    STARTING_HOSTING = "STARTING_HOSTING"
    HOSTED = "HOSTED"
    HOSTING_FAILED = "HOSTING_FAILED"
    STOPPING_HOSTING = "STOPPING_HOSTING"
    SYSTEM_UPDATING = "SYSTEM_UPDATING"
    DELETING = "DELETING"


class DatasetStatus(enum.StrEnum):
    """The states of a dataset (DescribeDataset's Status)."""

    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED_ROLLBACK_IN_PROGRESS = "UPDATE_FAILED_ROLLBACK_IN_PROGRESS"
    UPDATE_FAILED_ROLLBACK_COMPLETE = "UPDATE_FAILED_ROLLBACK_COMPLETE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"


class Step(enum.StrEnum):
    """What to do next."""

    CREATE = "create"  # CreateDataset
    TAG = "tag"  # TagResource / UntagResource: the version's tags become the properties' tags
    START = "start"  # StartModel
    STOP = "stop"  # StopModel
    DELETE = "delete"  # DeleteModel / DeleteDataset
    LIST = "list"  # ListModels through every page: is the version still listed?
    WAIT = "wait"  # poll again after an interval
    DONE = "done"
    FAIL = "fail"


@dataclass(frozen=True)
class Action:
    step: Step
    reason: str = ""


WAIT = Action(Step.WAIT)
DONE = Action(Step.DONE)


# -- goals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Absent:
    """Delete: the model version is gone and no longer listed by ListModels."""


@dataclass(frozen=True)
class Trained:
    """The model is trained and not hosted."""


@dataclass(frozen=True)
class Hosted:
    """The model is hosted with these inference units."""

    hosting: Hosting


ModelGoal = Absent | Trained | Hosted


def goal_for(properties: ModelProperties) -> Trained | Hosted:
    return Hosted(properties.hosting) if properties.hosting else Trained()


# -- observations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelObservation:
    """What the service shows of one model version.

    ``status`` None: DescribeModel says the model (or its project) does not exist. ``listed`` is
    ListModels' view, None until asked. ``started`` tells whether this request already sent
    StartModel, so that HOSTING_FAILED after our own start is a failure, not a reason to retry.
    ``tags_differ``: the version's tags are not (yet) the ones the request wants.
    """

    status: ModelStatus | None
    status_message: str | None = None
    min_inference_units: int | None = None
    max_inference_units: int | None = None
    listed: bool | None = None
    started: bool = False
    tags_differ: bool = False


# -- model decisions -----------------------------------------------------------------------------

_TRANSITIONS = frozenset(
    {ModelStatus.STARTING_HOSTING, ModelStatus.STOPPING_HOSTING, ModelStatus.SYSTEM_UPDATING, ModelStatus.TRAINING}
)


def next_model_action(goal: ModelGoal, seen: ModelObservation) -> Action:
    """The next action towards ``goal`` given what the service shows."""
    if isinstance(goal, Absent):
        return _towards_absent(seen)
    if seen.status is None:
        return Action(Step.FAIL, "the model no longer exists")
    if seen.status is ModelStatus.DELETING:
        return Action(Step.FAIL, "the model is being deleted")
    if seen.status is ModelStatus.TRAINING_FAILED:
        return Action(Step.FAIL, f"training failed: {seen.status_message or 'no status message'}")
    if seen.status in _TRANSITIONS:
        return WAIT
    if seen.tags_differ:
        return Action(Step.TAG)
    if isinstance(goal, Trained):
        return Action(Step.STOP) if seen.status is ModelStatus.HOSTED else DONE
    return _towards_hosted(goal.hosting, seen)


def _towards_absent(seen: ModelObservation) -> Action:
    status = seen.status
    if status is None:
        if seen.listed is None:
            return Action(Step.LIST)
        return WAIT if seen.listed else DONE
    if status is ModelStatus.HOSTED:
        return Action(Step.STOP)
    if status in (ModelStatus.TRAINED, ModelStatus.TRAINING_FAILED, ModelStatus.HOSTING_FAILED):
        return Action(Step.DELETE)
    return WAIT  # TRAINING, STARTING_HOSTING, STOPPING_HOSTING, SYSTEM_UPDATING, DELETING


def _towards_hosted(hosting: Hosting, seen: ModelObservation) -> Action:
    if seen.status is ModelStatus.TRAINED:
        return Action(Step.START)
    if seen.status is ModelStatus.HOSTING_FAILED:
        if seen.started:
            return Action(Step.FAIL, f"hosting failed: {seen.status_message or 'no status message'}")
        return Action(Step.START)
    # HOSTED: rescaling means stopping, then starting with the new units.
    return DONE if units_match(hosting, seen) else Action(Step.STOP)


def units_match(hosting: Hosting, seen: ModelObservation) -> bool:
    """Whether a hosted model runs with ``hosting``'s units (unknown units count as matching)."""
    if seen.min_inference_units is not None and seen.min_inference_units != hosting.min_inference_units:
        return False
    wanted_max = hosting.max_inference_units
    if wanted_max is None or seen.max_inference_units is None:
        return True
    return seen.max_inference_units == wanted_max


# -- update --------------------------------------------------------------------------------------


class UpdatePlan(enum.StrEnum):
    IN_PLACE = "in-place"  # the version already has the properties' settings: host, stop, rescale, retag
    REPLACE = "replace"  # a new model version, hence a new physical id


def update_plan(current: VersionSettings | None, new: ModelProperties) -> UpdatePlan:
    """In place when the version the physical id names was created with the new properties' settings.

    ``current`` is what the service shows of that version (None: it does not exist, or is being
    deleted). The decision rests on the version itself, not on OldResourceProperties: a rollback
    Update, whose properties are the old ones again, finds the version it created and keeps it.
    Hosting, Tags and the resource's own settings change in place.
    """
    if current is None or current != new.version_settings():
        return UpdatePlan.REPLACE
    return UpdatePlan.IN_PLACE


# -- datasets ------------------------------------------------------------------------------------

_DATASET_BUSY = frozenset(
    {
        DatasetStatus.CREATE_IN_PROGRESS,
        DatasetStatus.UPDATE_IN_PROGRESS,
        DatasetStatus.UPDATE_FAILED_ROLLBACK_IN_PROGRESS,
        DatasetStatus.DELETE_IN_PROGRESS,
    }
)
_DATASET_READY = frozenset(
    {DatasetStatus.CREATE_COMPLETE, DatasetStatus.UPDATE_COMPLETE, DatasetStatus.UPDATE_FAILED_ROLLBACK_COMPLETE}
)


def next_dataset_action(present: bool, status: DatasetStatus | None, status_message: str | None = None) -> Action:
    """Towards a dataset that exists and is complete (``present``), or that is gone."""
    if present:
        if status is None or status is DatasetStatus.DELETE_COMPLETE:
            return Action(Step.CREATE)
        if status in _DATASET_READY:
            return DONE
        if status in _DATASET_BUSY:
            return WAIT
        return Action(Step.FAIL, f"the dataset is {status}: {status_message or 'no status message'}")
    if status is None or status is DatasetStatus.DELETE_COMPLETE:
        return DONE
    if status in _DATASET_BUSY:
        return WAIT
    if status is DatasetStatus.DELETE_FAILED:
        return Action(Step.FAIL, f"deleting the dataset failed: {status_message or 'no status message'}")
    return Action(Step.DELETE)


# -- the versions of a Create that never answered --------------------------------------------------


def may_be_from_unanswered_create(
    age: float, since_request_start: float, service_timeout: float, margin: float
) -> bool:
    """Whether a version ``age`` seconds old may have been created by the Create a Delete follows, unanswered.

    The Delete began ``since_request_start`` seconds ago; that Create began at most its
    ``service_timeout`` plus ``margin`` before (``lookoutvision_cdk_provider.timing.UnansweredCreateTimings``), and
    made nothing earlier. An older version is another life's (one kept by RETAIN from an earlier
    resource of the same logical id).
    """
    return age <= since_request_start + service_timeout + margin
