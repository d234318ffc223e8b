"""Custom::LookoutVisionDataset: Create, Update and Delete.

Datasets have no ARN: the physical id is ``<project>/<datasetType>``. Create is CreateDataset
and a wait for CREATE_COMPLETE; Delete is DeleteDataset and a wait until DescribeDataset no
longer finds it (already gone = success). Any change of properties replaces the dataset. A
project holds one dataset of each type, so when the replacement has the same project and type
(its source changed) the old dataset is deleted first and the new one created under the same
physical id; otherwise the new one gets a new id and CloudFormation deletes the old one.
"""

from __future__ import annotations

import logging
from typing import Any

from provider import consts
from provider.continuation import Budget
from provider.errors import PropertyError
from provider.identifiers import DatasetRef, parse_dataset_id
from provider.lifecycle import Action, Step, next_dataset_action
from provider.lookout import Dataset, Lookout
from provider.outcomes import Outcome
from provider.properties import DatasetProperties, parse_dataset
from provider.tokens import TokenKind, client_token
from provider.waiter import Waiter

logger = logging.getLogger(__name__)

# Key of the continuation record's progress: the old dataset is gone (same-id replacement).
OLD_DATASET_DELETED = "OldDatasetDeleted"


class DatasetResource:
    """The dataset operations of one request (``progress`` survives re-invocations)."""

    def __init__(self, lookout: Lookout, budget: Budget, request_id: str, progress: dict[str, Any]) -> None:
        self._lookout = lookout
        self._budget = budget
        self._request_id = request_id
        self._progress = progress

    def create(self, properties: DatasetProperties) -> Outcome:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        dataset = self._converge(ref, properties)
        return _outcome(ref, dataset)

    def update(self, physical_id: str, old_properties: Any, properties: DatasetProperties) -> Outcome:
        ref = DatasetRef(properties.project_name, properties.dataset_type)
        try:
            old: DatasetProperties | None = parse_dataset(old_properties)
        except PropertyError:
            old = None
        if physical_id != ref.physical_id:
            return self.create(properties)
        source_changed = old is not None and old.dataset_source != properties.dataset_source
        if source_changed and not self._progress.get(OLD_DATASET_DELETED):
            logger.info("replacing %s in place: deleting the old one first", ref)
            self._converge(ref, None)
            self._progress[OLD_DATASET_DELETED] = True
        return self.create(properties)

    def delete(self, physical_id: str, unanswered: DatasetRef | None = None) -> Outcome:
        """DeleteDataset and wait until it is gone; no call for an id that names no dataset.

        ``unanswered``: the dataset a Create that CloudFormation stopped waiting for (a cancelled
        deploy: the physical id is CloudFormation's own) may have created; it is deleted.
        """
        ref = parse_dataset_id(physical_id) or unanswered
        if ref is None:
            logger.info("the physical id is no dataset id: nothing to delete")
            return Outcome(physical_id)
        self._converge(ref, None)
        return Outcome(physical_id)

    def _converge(self, ref: DatasetRef, wanted: DatasetProperties | None) -> Dataset | None:
        """Towards the dataset created from ``wanted``, or gone when ``wanted`` is None."""

        def observe() -> tuple[Action, Dataset | None, str]:
            dataset = self._lookout.describe_dataset(ref.project_name, ref.dataset_type)
            status = dataset.status if dataset else None
            action = next_dataset_action(wanted is not None, status, dataset.status_message if dataset else None)
            return action, dataset, str(status) if status else "gone"

        def act(action: Action) -> None:
            if action.step is Step.CREATE and wanted is not None:
                self._lookout.create_dataset(wanted, client_token(self._request_id, TokenKind.CREATE_DATASET))
            elif action.step is Step.DELETE:
                token = client_token(self._request_id, TokenKind.DELETE_DATASET)
                self._lookout.delete_dataset(ref.project_name, ref.dataset_type, token)

        return Waiter(self._budget, str(ref), observe, act, throttled=lambda: self._lookout.throttled).run()


def _outcome(ref: DatasetRef, dataset: Dataset | None) -> Outcome:
    data = {consts.ATTR_PROJECT_NAME: ref.project_name, consts.ATTR_DATASET_TYPE: ref.dataset_type}
    if dataset is not None:
        data[consts.ATTR_STATUS] = str(dataset.status)
    return Outcome(ref.physical_id, data)
