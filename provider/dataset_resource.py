"""Custom::LookoutVisionDataset: Create, Update and Delete.

The physical id is ``<project>/<datasetType>``, answered only for a dataset this resource's
CreateDataset made: nothing is adopted (a project's existing dataset of the type fails the Create),
so only such a dataset is ever deleted. A changed source replaces the dataset under the same id
(the old one deleted first); another project or type gets a new id. A Create whose CreateDataset's
outcome is unknown answers an id naming its request. Why: docs/decisions/0007.
"""

from __future__ import annotations

import logging
from typing import Any

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.budget import Budget
from lookoutvision_cdk_provider.config import PollSchedule
from lookoutvision_cdk_provider.errors import Conflict, PropertyError, ResourceFailed, outcome_unknown
from lookoutvision_cdk_provider.identifiers import DatasetRef, UnconfirmedDatasetCreate, parse_physical_id
from lookoutvision_cdk_provider.lifecycle import Action, Step, next_dataset_action
from lookoutvision_cdk_provider.lookout import DatasetDescription, Lookout
from lookoutvision_cdk_provider.progress import DatasetProgress
from lookoutvision_cdk_provider.properties import DatasetProperties, parse_dataset
from lookoutvision_cdk_provider.timing import AdaptivePolls
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_cdk_provider.verdict import Answer
from lookoutvision_cdk_provider.waiter import Waiter, retried

logger = logging.getLogger(__name__)


class DatasetResource:
    """The dataset operations of one request (``progress``, its record, survives re-invocations; ``schedule`` says
    when to poll)."""

    def __init__(
        self,
        lookout: Lookout,
        budget: Budget,
        request_id: str,
        progress: DatasetProgress,
        *,
        schedule: PollSchedule | None = None,
    ) -> None:
        self._lookout = lookout
        self._budget = budget
        self._request_id = request_id
        self._progress = progress
        self._schedule: PollSchedule = schedule if schedule is not None else AdaptivePolls()

    def create(self, properties: DatasetProperties) -> Answer:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if not self._progress.create_dataset_answered:
            self._create_dataset(ref, properties)
        dataset = self._converge(ref, present=True)
        return _answer(ref, dataset)

    def failed_create_id(self, properties: DatasetProperties) -> str | None:
        """The physical id a failed Create answers: the dataset's once this request created it; an
        unconfirmed id while CreateDataset's outcome is unknown; else None (nothing was created)."""
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if self._progress.create_dataset_answered:
            return ref.physical_id
        if self._progress.create_dataset_unanswered:
            return UnconfirmedDatasetCreate(ref, self._request_id).physical_id
        return None

    def leftover_of_update(self, physical_id: str, properties: DatasetProperties) -> str | None:
        """Words naming the dataset a failed Update made (or may have) under a new id, for its reason."""
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if ref.physical_id == physical_id:
            return None  # replaced in place: the resource's id still names it
        if self._progress.create_dataset_answered:
            return f"the new {ref} remains (delete it)"
        if self._progress.create_dataset_unanswered:
            return f"the new {ref} may have been created (delete it if so)"
        return None

    def update(self, physical_id: str, old_properties: Any, properties: DatasetProperties) -> Answer:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        try:
            old: DatasetProperties | None = parse_dataset(old_properties)
        except PropertyError:
            old = None
        if physical_id != ref.physical_id:
            return self.create(properties)  # another project or type: a new dataset, a new id
        source_changed = old is not None and old.dataset_source != properties.dataset_source
        if not source_changed and not self._progress.old_dataset_gone:
            return _answer(ref, self._converge(ref, present=True))  # this resource's dataset, unchanged
        if not self._progress.old_dataset_gone:
            logger.info("replacing %s in place: deleting the old one first", ref)
            self._converge(ref, present=False)
            self._progress.old_dataset_gone = True
        return self.create(properties)

    def delete(self, physical_id: str, properties: Any, unanswered: DatasetRef | None = None) -> Answer:
        """DeleteDataset and wait until it is gone; no call for an id that names no dataset of this resource.

        An unconfirmed id's dataset is deleted once the Create's own CreateDataset, repeated with
        ``properties`` (the resource's), proves it that Create's. ``unanswered``: the dataset a
        Create that CloudFormation stopped waiting for may have made. It may as well have been
        there before, so it is left, with a warning.
        """
        named = parse_physical_id(physical_id)
        ref = named if isinstance(named, DatasetRef) else None
        if isinstance(named, UnconfirmedDatasetCreate):
            ref = named.dataset
            if not self._created_by(ref, named.request_id, properties):
                return Answer.succeeded(physical_id)
        if ref is None:
            if unanswered is not None:
                logger.warning(
                    "the Create of this resource never answered: the %s, if any, may not be this resource's "
                    "and is left as it is (delete it if the stack made it)",
                    unanswered,
                )
            else:
                logger.info("the physical id is no dataset id: nothing to delete")
            return Answer.succeeded(physical_id)
        self._converge(ref, present=False)
        return Answer.succeeded(physical_id)

    def _created_by(self, ref: DatasetRef, create_request_id: str, properties: Any) -> bool:
        """Whether the dataset exists and that Create's CreateDataset made it (asked by repeating the call)."""

        def ask() -> bool:
            if self._lookout.describe_dataset(ref.project_name, ref.dataset_type) is None:
                logger.info("the Create's CreateDataset made no %s: nothing to delete", ref)
                return False
            token = client_token(create_request_id, TokenKind.CREATE_DATASET)
            try:
                self._lookout.create_dataset(parse_dataset(properties), token)
            except (Conflict, PropertyError):
                logger.warning("the %s was not made by this resource's Create: it is left as it is", ref)
                return False
            logger.info("the %s is the one this resource's Create made (its CreateDataset answered again)", ref)
            return True

        return retried(self._budget, ask)

    def _create_dataset(self, ref: DatasetRef, properties: DatasetProperties) -> None:
        """CreateDataset, tried again (same ClientToken) after transient failures until the deadline."""
        token = client_token(self._request_id, TokenKind.CREATE_DATASET)

        def create() -> None:
            try:
                self._lookout.create_dataset(properties, token)
            except Conflict as exc:
                self._progress.create_dataset_unanswered = False  # the same token would be answered: not ours
                if self._lookout.describe_dataset(ref.project_name, ref.dataset_type) is None:
                    raise  # another conflict (e.g. the project is being deleted): reported as such
                raise ResourceFailed(
                    f"the project already has a {ref.dataset_type} dataset that this stack did not create: "
                    f"delete it, or reference it ({consts.DATASET_REFERENCE_API}) instead of declaring it, "
                    "then deploy again"
                ) from exc
            except Exception as exc:
                if outcome_unknown(exc):  # a refusal created nothing; no answer or a 5xx may have
                    self._progress.create_dataset_unanswered = True
                raise

        retried(self._budget, create)
        self._progress.create_dataset_answered = True
        self._progress.create_dataset_unanswered = False

    def _converge(self, ref: DatasetRef, *, present: bool) -> DatasetDescription | None:
        """Until the dataset this request created is complete (``present``), or until it is gone."""

        def observe() -> tuple[Action, DatasetDescription | None, str]:
            dataset = self._lookout.describe_dataset(ref.project_name, ref.dataset_type)
            status = dataset.status if dataset else None
            action = next_dataset_action(present, status, dataset.status_message if dataset else None)
            if action.step is Step.CREATE:  # this resource's dataset, since gone
                action = Action(Step.FAIL, "the dataset no longer exists (deleted outside the stack?)")
            return action, dataset, str(status) if status else "gone"

        def act(action: Action) -> None:
            if action.step is Step.DELETE:
                token = client_token(self._request_id, TokenKind.DELETE_DATASET)
                self._lookout.delete_dataset(ref.project_name, ref.dataset_type, token)

        return Waiter(
            self._budget,
            str(ref),
            observe,
            act,
            interval=self._schedule.interval,
            throttled=lambda: self._lookout.throttled,
        ).run()


def _answer(ref: DatasetRef, dataset: DatasetDescription | None) -> Answer:
    data = {consts.ATTR_PROJECT_NAME: ref.project_name, consts.ATTR_DATASET_TYPE: ref.dataset_type}
    if dataset is not None:
        data[consts.ATTR_STATUS] = str(dataset.status)
    return Answer.succeeded(ref.physical_id, data)
