"""Custom::LookoutVisionModel: Create, Update and Delete, as lifecycle decisions carried out.

PhysicalResourceId is the model ARN. Create trains a new model version (and hosts it when the
properties ask for it); Update hosts, stops or rescales in place when only Hosting changed and
otherwise creates a new version (CloudFormation then deletes the old one); Delete stops, deletes
and waits until ListModels no longer shows the version.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from typing import Any

from provider import consts, fleet, servicemodel
from provider.config import AdaptivePolls, PollSchedule
from provider.continuation import Budget
from provider.errors import (
    AccessDenied,
    DeadlineExceeded,
    LookoutError,
    PropertyError,
    ProviderError,
    ResourceFailed,
    service_gone,
)
from provider.fleet import FleetPolls
from provider.identifiers import OWNER_TAG_KEY, ModelRef, parse_model_arn, unconfirmed_create_id
from provider.lifecycle import (
    Absent,
    Action,
    Hosted,
    ModelGoal,
    ModelObservation,
    Step,
    UpdatePlan,
    goal_for,
    next_model_action,
    update_plan,
)
from provider.lookout import Lookout, Model
from provider.outcomes import Outcome
from provider.properties import ModelProperties, parse_model
from provider.tokens import TokenKind, client_token
from provider.waiter import Waiter

logger = logging.getLogger(__name__)

# Keys of the continuation record's progress.
CREATED_MODEL_ARN = "ModelArn"
HOSTING_STARTED = "StartModelSent"
REPLACEMENT_FAILURE = "ReplacementFailure"
OWNED_VERSIONS = "OwnedVersions"


class ModelResource:
    """The model operations of one request.

    ``progress`` is the continuation record's progress: it survives re-invocations. ``page_size``
    is ListModels' MaxResults (None: the service's default page). ``schedule`` says when to
    poll. ``owner`` is the owner tag's value for this custom resource
    (``provider.identifiers.owner_tag_value``): CreateModel tags each version with it.
    """

    def __init__(
        self,
        lookout: Lookout,
        budget: Budget,
        request_id: str,
        progress: dict[str, Any],
        page_size: int | None = None,
        *,
        schedule: PollSchedule | None = None,
        owner: str | None = None,
        teardown: FleetPolls | None = None,
    ) -> None:
        self._lookout = lookout
        self._owner = owner
        self._schedule: PollSchedule = schedule if schedule is not None else AdaptivePolls()
        self._budget = budget
        self._request_id = request_id
        self._progress = progress
        self._page_size = page_size
        self._teardown = teardown

    def create(self, properties: ModelProperties) -> Outcome:
        """CreateModel (once per request), wait TRAINED, then host if asked."""
        arn = self._progress.get(CREATED_MODEL_ARN)
        if not isinstance(arn, str):
            token = client_token(self._request_id, TokenKind.CREATE_MODEL)
            try:
                created = self._lookout.create_model(properties, token, self._owner_tag(properties))
            except LookoutError as exc:
                if exc.retryable and self._owner:  # it may have acted: let the Delete look for the version
                    exc.physical_id = unconfirmed_create_id(properties.project_name)
                raise
            arn = created.model_arn
            self._progress[CREATED_MODEL_ARN] = arn
            logger.info("CreateModel: %s", arn)
        ref = parse_model_arn(arn)
        if ref is None:
            raise ProviderError(f"CreateModel answered an unexpected model ARN {arn!r}", physical_id=arn)
        try:
            model = self._converged(ref, goal_for(properties))
        except ProviderError as exc:
            # The model exists: answer its ARN so that CloudFormation's Delete removes it.
            exc.physical_id = arn
            raise
        return _outcome(model)

    def update(self, physical_id: str, old_properties: Any, properties: ModelProperties) -> Outcome:
        ref = parse_model_arn(physical_id)
        try:
            old: ModelProperties | None = parse_model(old_properties)
        except PropertyError:
            old = None
        if update_plan(old, properties, ref is not None) is UpdatePlan.REPLACE or ref is None:
            logger.info("Update needs a new model version")
            return self._replace(properties)
        return _outcome(self._converged(ref, goal_for(properties)))

    def _replace(self, properties: ModelProperties) -> Outcome:
        """A new model version for an Update; if it fails, delete it before answering FAILED.

        CloudFormation answers a failed Update by rolling back to the old physical id: it never
        deletes a replacement it was not told about, and a leftover version would block
        DeleteProject. Training that is still running at the deadline cannot be deleted: the
        reason then names the version left behind.
        """
        failure = self._progress.get(REPLACEMENT_FAILURE)
        if not isinstance(failure, str):
            try:
                return self.create(properties)
            except ProviderError as exc:
                exc.physical_id = None  # the Update answers the old physical id
                arn = self._progress.get(CREATED_MODEL_ARN)
                if not isinstance(arn, str):
                    raise
                if isinstance(exc, DeadlineExceeded):
                    version = arn.rsplit("/", 1)[-1]
                    exc.message = f"{exc.message}; the new model version {version} remains: delete it"
                    raise
                failure = exc.message[:300]  # the record travels in every re-invocation: keep it short
                self._progress[REPLACEMENT_FAILURE] = failure
        ref = parse_model_arn(self._progress.get(CREATED_MODEL_ARN))
        if ref is not None:
            logger.info("the replacement failed (%s): deleting %s", failure, ref)
            try:
                self._converge(ref, Absent())
            except ProviderError as exc:
                raise ResourceFailed(f"{failure}; deleting the new {ref} failed too: {exc.message}") from exc
        raise ResourceFailed(f"{failure} (the new model version was deleted)")

    def delete(self, physical_id: str, unanswered_in: str | None = None) -> Outcome:
        """Stop, delete, and wait until the version is gone from ListModels.

        A physical id that is no model ARN names nothing: no call — unless ``unanswered_in`` gives
        the project of a Create that CloudFormation stopped waiting for (a cancelled deploy: the
        id is CloudFormation's own). That Create may still be making a model: every version of
        the project carrying this resource's owner tag is deleted. (A Create that has not yet
        called CreateModel when this Delete looks is not found.)
        """
        ref = parse_model_arn(physical_id)
        if ref is None and (unanswered_in is None or not self._owner):
            logger.info("the physical id is no model ARN: nothing to delete")
            return Outcome(physical_id)
        try:
            refs = [ref] if ref is not None else self._owned_versions(str(unanswered_in))
        except AccessDenied as exc:
            # A policy without lookoutvision:ListTagsForResource (one deployed before the search):
            # as if nothing were found, with a warning. Any other denial, and the service's end
            # of support (provider.unavailable), is reported.
            if exc.operation != "ListTagsForResource" or service_gone(exc) is not None:
                raise
            logger.warning("cannot look for versions this resource created (%s): nothing deleted", exc.message)
            return Outcome(physical_id)
        for each in refs:  # several versions in one request: a token per version
            scope = each.model_version if ref is None else ""
            if self._teardown is not None:
                key = f"{self._request_id}/{scope}" if scope else self._request_id
                fleet.tear_down(
                    self._lookout, self._budget, each, token_key=key, schedule=self._teardown, page_size=self._page_size
                )
            else:
                self._converge(each, Absent(), token_scope=scope)
        return Outcome(physical_id)

    def _owner_tag(self, properties: ModelProperties) -> dict[str, str] | None:
        """The owner tag, if the model can take one more tag than the properties give it."""
        if not self._owner:
            return None
        if len(properties.tags) >= _max_tags():
            logger.warning("the model gets no owner tag: its Tags already reach the service's maximum")
            return None
        return {OWNER_TAG_KEY: self._owner}

    def _owned_versions(self, project_name: str) -> list[ModelRef]:
        """The versions of the project tagged as this resource's, looked up once per request."""
        found = self._progress.get(OWNED_VERSIONS)
        if not isinstance(found, list):
            logger.info("looking for versions of project %s this resource created", project_name)
            found = []
            for _, arn in self._lookout.model_versions(project_name, self._page_size):
                tags = self._lookout.tags_of(arn)
                if tags is not None and tags.get(OWNER_TAG_KEY) == self._owner:
                    found.append(arn)
            self._progress[OWNED_VERSIONS] = found
        refs = [parse_model_arn(arn) for arn in found]
        return [ref for ref in refs if ref is not None]

    def _converge(self, ref: ModelRef, goal: ModelGoal, token_scope: str = "") -> Model | None:
        """Act and poll until the model reaches ``goal``; the model as last seen (None once gone).

        Tokens derive from the RequestId (and ``token_scope``, when one request acts on several
        versions: a token reused with other parameters is an error).
        """
        key = f"{self._request_id}/{token_scope}" if token_scope else self._request_id

        def observe() -> tuple[Action, Model | None, str]:
            model = self._lookout.describe_model(ref.project_name, ref.model_version)
            seen = _observation(model, bool(self._progress.get(HOSTING_STARTED)))
            action = next_model_action(goal, seen)
            if action.step is Step.LIST:
                listed = self._lookout.model_listed(ref.project_name, ref.model_version, self._page_size)
                action = next_model_action(goal, dataclasses.replace(seen, listed=listed))
                return action, model, "deleted but still listed by ListModels" if listed else "gone"
            return action, model, str(seen.status) if seen.status else "gone"

        def act(action: Action) -> None:
            project, version = ref.project_name, ref.model_version
            if action.step is Step.STOP:
                self._lookout.stop_model(project, version, client_token(key, TokenKind.STOP_MODEL))
            elif action.step is Step.DELETE:
                self._lookout.delete_model(project, version, client_token(key, TokenKind.DELETE_MODEL))
            elif action.step is Step.START and isinstance(goal, Hosted):
                token = client_token(key, TokenKind.START_MODEL)
                self._lookout.start_model(project, version, goal.hosting, token)
                self._progress[HOSTING_STARTED] = True

        return Waiter(
            self._budget,
            str(ref),
            observe,
            act,
            interval=self._schedule.interval,
            throttled=lambda: self._lookout.throttled,
        ).run()

    def _converged(self, ref: ModelRef, goal: ModelGoal) -> Model:
        model = self._converge(ref, goal)
        if model is None:  # goals other than Absent fail on a missing model: defensive only
            raise ProviderError(f"{ref} no longer exists", physical_id=ref.model_arn)
        return model


@functools.cache
def _max_tags() -> int:
    shape = servicemodel.operation_model("CreateModel").input_shape
    maximum = shape.members["Tags"].metadata.get("max") if shape is not None else None
    return int(maximum) if maximum is not None else sys.maxsize


def _observation(model: Model | None, started: bool) -> ModelObservation:
    if model is None:
        return ModelObservation(status=None, started=started)
    return ModelObservation(
        status=model.status,
        status_message=model.status_message,
        min_inference_units=model.min_inference_units,
        max_inference_units=model.max_inference_units,
        started=started,
    )


def _outcome(model: Model) -> Outcome:
    data: dict[str, Any] = {
        consts.ATTR_MODEL_ARN: model.model_arn,
        consts.ATTR_MODEL_VERSION: model.model_version,
        consts.ATTR_STATUS: str(model.status),
    }
    for key in (consts.ATTR_F1_SCORE, consts.ATTR_RECALL, consts.ATTR_PRECISION):
        if key in model.performance:
            data[key] = str(model.performance[key])
    return Outcome(model.model_arn, data)
