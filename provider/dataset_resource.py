"""Custom::LookoutVisionDataset: Create, Update and Delete.

Datasets have no ARN: the physical id is ``<project>/<datasetType>``. Create is CreateDataset and
a wait for CREATE_COMPLETE; Delete is DeleteDataset and a wait until DescribeDataset no longer
finds it (already gone = success). Any change of properties replaces the dataset. A project holds
one dataset of each type, so when the replacement has the same project and type (its source
changed) the old dataset is deleted first and the new one created under the same physical id;
otherwise the new one gets a new id and CloudFormation deletes the old one.

Nothing is adopted: a Create whose project already has a dataset of its type fails (CreateDataset
answers ConflictException; the request's own ClientToken makes a repeated CreateDataset of this
request succeed instead). So a physical id ``<project>/<type>`` is only ever answered for a
dataset this resource created, and only such an id is deleted. A Create that fails after
CreateDataset answered gives the dataset's id, so that its Delete removes it; one whose
CreateDataset got no answer (a dropped connection, retries spent) gives an unconfirmed id that
names the request, and its Delete repeats that CreateDataset on the dataset it finds: the same
call's answer proves the dataset this request's, ConflictException another's, which is left.
Datasets carry no tags, so a Delete of a Create that CloudFormation stopped waiting for (whose
RequestId it never learns) cannot tell a dataset that Create made from one that was there
before, and deletes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from provider import consts
from provider.budget import Budget
from provider.cfn_response import Outcome
from provider.config import AdaptivePolls, PollSchedule
from provider.errors import Conflict, PropertyError, ResourceFailed, outcome_unknown
from provider.identifiers import DatasetRef, parse_dataset_id, parse_unconfirmed_dataset_id, unconfirmed_dataset_id
from provider.lifecycle import Action, Step, next_dataset_action
from provider.lookout import Dataset, Lookout
from provider.properties import DatasetProperties, parse_dataset
from provider.tokens import TokenKind, client_token
from provider.waiter import Waiter, retried

logger = logging.getLogger(__name__)

# Keys of the continuation record's progress.
CREATE_DATASET_ANSWERED = "CreateDatasetAnswered"  # CreateDataset answered: the dataset is this resource's
CREATE_DATASET_UNCONFIRMED = "CreateDatasetUnconfirmed"  # a CreateDataset got no answer (or a 5xx): outcome unknown
OLD_DATASET_DELETED = "OldDatasetDeleted"  # the old dataset is gone (same-id replacement)


class DatasetResource:
    """The dataset operations of one request (``progress`` survives re-invocations; ``schedule`` says when to poll)."""

    def __init__(
        self,
        lookout: Lookout,
        budget: Budget,
        request_id: str,
        progress: dict[str, Any],
        *,
        schedule: PollSchedule | None = None,
    ) -> None:
        self._lookout = lookout
        self._budget = budget
        self._request_id = request_id
        self._progress = progress
        self._schedule: PollSchedule = schedule if schedule is not None else AdaptivePolls()

    def create(self, properties: DatasetProperties) -> Outcome:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if not self._progress.get(CREATE_DATASET_ANSWERED):
            self._create_dataset(ref, properties)
        dataset = self._converge(ref, present=True)
        return _outcome(ref, dataset)

    def failed_create_id(self, properties: DatasetProperties) -> str | None:
        """The physical id a failed Create answers: the dataset's once this request created it; an
        unconfirmed id while CreateDataset's outcome is unknown; else None (nothing was created)."""
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if self._progress.get(CREATE_DATASET_ANSWERED):
            return ref.physical_id
        if self._progress.get(CREATE_DATASET_UNCONFIRMED):
            return unconfirmed_dataset_id(ref, self._request_id)
        return None

    def leftover_of_update(self, physical_id: str, properties: DatasetProperties) -> str | None:
        """Words naming the dataset a failed Update made (or may have) under a new id, for its reason."""
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        if ref.physical_id == physical_id:
            return None  # replaced in place: the resource's id still names it
        if self._progress.get(CREATE_DATASET_ANSWERED):
            return f"the new {ref} remains (delete it)"
        if self._progress.get(CREATE_DATASET_UNCONFIRMED):
            return f"the new {ref} may have been created (delete it if so)"
        return None

    def update(self, physical_id: str, old_properties: Any, properties: DatasetProperties) -> Outcome:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        try:
            old: DatasetProperties | None = parse_dataset(old_properties)
        except PropertyError:
            old = None
        if physical_id != ref.physical_id:
            return self.create(properties)  # another project or type: a new dataset, a new id
        source_changed = old is not None and old.dataset_source != properties.dataset_source
        if not source_changed and not self._progress.get(OLD_DATASET_DELETED):
            return _outcome(ref, self._converge(ref, present=True))  # this resource's dataset, unchanged
        if not self._progress.get(OLD_DATASET_DELETED):
            logger.info("replacing %s in place: deleting the old one first", ref)
            self._converge(ref, present=False)
            self._progress[OLD_DATASET_DELETED] = True
        return self.create(properties)

    def delete(self, physical_id: str, properties: Any, unanswered: DatasetRef | None = None) -> Outcome:
        """DeleteDataset and wait until it is gone; no call for an id that names no dataset of this resource.

        An unconfirmed id's dataset is deleted once the Create's own CreateDataset, repeated with
        ``properties`` (the resource's), proves it that Create's. ``unanswered``: the dataset a
        Create that CloudFormation stopped waiting for may have made. It may as well have been
        there before, so it is left, with a warning.
        """
        ref = parse_dataset_id(physical_id)
        unconfirmed = parse_unconfirmed_dataset_id(physical_id)
        if unconfirmed is not None:
            ref, create_request_id = unconfirmed
            if not self._created_by(ref, create_request_id, properties):
                return Outcome(physical_id)
        if ref is None:
            if unanswered is not None:
                logger.warning(
                    "the Create of this resource never answered: the %s, if any, may not be this resource's "
                    "and is left as it is (delete it if the stack made it)",
                    unanswered,
                )
            else:
                logger.info("the physical id is no dataset id: nothing to delete")
            return Outcome(physical_id)
        self._converge(ref, present=False)
        return Outcome(physical_id)

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
                self._progress.pop(CREATE_DATASET_UNCONFIRMED, None)  # the same token would be answered: not ours
                if self._lookout.describe_dataset(ref.project_name, ref.dataset_type) is None:
                    raise  # another conflict (e.g. the project is being deleted): reported as such
                raise ResourceFailed(
                    f"the project already has a {ref.dataset_type} dataset that this stack did not create: "
                    "delete it, or reference it instead of declaring it, then deploy again"
                ) from exc
            except Exception as exc:
                if outcome_unknown(exc):  # a refusal created nothing; no answer or a 5xx may have
                    self._progress[CREATE_DATASET_UNCONFIRMED] = True
                raise

        retried(self._budget, create)
        self._progress[CREATE_DATASET_ANSWERED] = True
        self._progress.pop(CREATE_DATASET_UNCONFIRMED, None)

    def _converge(self, ref: DatasetRef, *, present: bool) -> Dataset | None:
        """Until the dataset this request created is complete (``present``), or until it is gone."""

        def observe() -> tuple[Action, Dataset | None, str]:
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


def _outcome(ref: DatasetRef, dataset: Dataset | None) -> Outcome:
    data = {consts.ATTR_PROJECT_NAME: ref.project_name, consts.ATTR_DATASET_TYPE: ref.dataset_type}
    if dataset is not None:
        data[consts.ATTR_STATUS] = str(dataset.status)
    return Outcome(ref.physical_id, data)
