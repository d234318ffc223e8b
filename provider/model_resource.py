"""Custom::LookoutVisionModel: Create, Update and Delete, as lifecycle decisions carried out.

The physical id is the model ARN. Create trains a version carrying this resource's owner tag and
hosts it if asked; Update works in place when the version it names has the new settings, else
trains a new one; Delete stops, deletes and waits until DescribeModel and ListModels both no
longer show the version. No step acts on a version without this resource's owner tag; the Delete
of a Create that never answered acts only on the versions that Create can have made. Why:
docs/decisions/0006, 0007, 0010.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
from dataclasses import dataclass
from typing import Any

from lookoutvision_cdk_provider import consts, paced_delete, servicemodel
from lookoutvision_cdk_provider.budget import Budget, HandOver
from lookoutvision_cdk_provider.config import PollSchedule
from lookoutvision_cdk_provider.errors import (
    NEWER_VERSION_TRAINING_ADVICE,
    STILL_TRAINING_ADVICE,
    AccessDenied,
    DeadlineExceeded,
    ProviderError,
    ResourceFailed,
    outcome_unknown,
    service_gone,
)
from lookoutvision_cdk_provider.identifiers import (
    OWNER_TAG_KEY,
    ModelRef,
    Owner,
    UnconfirmedModelCreate,
    model_named_by,
)
from lookoutvision_cdk_provider.lifecycle import (
    Absent,
    Action,
    Hosted,
    ModelGoal,
    ModelObservation,
    ModelStatus,
    Step,
    UpdatePlan,
    goal_for,
    may_be_from_unanswered_create,
    next_model_action,
    update_plan,
)
from lookoutvision_cdk_provider.lookout import Lookout, ModelDescription, ModelSummary
from lookoutvision_cdk_provider.progress import FAILURE_KEPT, ModelProgress
from lookoutvision_cdk_provider.properties import ModelProperties, VersionSettings, fleet_of, hosted_by
from lookoutvision_cdk_provider.timing import AdaptivePolls, FleetPolls
from lookoutvision_cdk_provider.tokens import TokenKind, client_token
from lookoutvision_cdk_provider.verdict import Answer
from lookoutvision_cdk_provider.waiter import Waiter, retried

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnansweredCreate:
    """A Create that may have made model versions CloudFormation never learnt of: where, and which request.

    ``request_id`` is that Create's RequestId when its answer named it (``UnconfirmedModelCreate``);
    None when CloudFormation made the physical id up (it never got an answer).
    """

    project_name: str
    request_id: str | None = None


class ModelResource:
    """The model operations of one request.

    ``progress`` is the request's record (``progress``): it survives re-invocations. ``owner`` is this
    custom resource and this request (``identifiers.Owner``): the owner tag a version this request
    creates gets. ``page_size`` is ListModels' MaxResults (None: the service's default page);
    ``schedule`` says when to poll.
    """

    def __init__(
        self,
        lookout: Lookout,
        budget: Budget,
        request_id: str,
        progress: ModelProgress,
        *,
        owner: Owner,
        page_size: int | None = None,
        schedule: PollSchedule | None = None,
        fleet_polls: FleetPolls | None = None,
    ) -> None:
        self._lookout = lookout
        self._budget = budget
        self._request_id = request_id
        self._progress = progress
        self._owner = owner
        self._page_size = page_size
        self._schedule: PollSchedule = schedule if schedule is not None else AdaptivePolls()
        self._fleet_polls = fleet_polls if fleet_polls is not None else FleetPolls()
        self._verified: set[str] = set()  # ARNs seen carrying the owner tag, in this invocation
        self._others: set[str] = set()  # ARNs seen not to be an unanswered Create's, in this invocation
        # Set once a failed replacement has been dealt with: its version deleted, or named in the error.
        self.replacement_reported = False

    # -- Create ----------------------------------------------------------------------------------

    def create(self, properties: ModelProperties) -> Answer:
        """CreateModel (once per request), wait TRAINED, then host if asked."""
        ref = self._progress.created
        if ref is None:
            ref = self._create_model(properties)
        try:
            model = self._converged(ref, goal_for(properties))
        except ProviderError as exc:
            exc.physical_id = ref.model_arn  # the model exists: CloudFormation's Delete removes it
            raise
        return _answer(model)

    def failed_create_id(self, project_name: str) -> str | None:
        """The physical id a failed Create answers: what exists, so that CloudFormation's Delete removes it.

        The created version's ARN; or, when a CreateModel got no answer (or a 5xx) and may have
        created a version, an id naming this request, whose Delete looks for the versions carrying
        this request's owner tag; or None: nothing was created (no CreateModel, or only refused
        ones): a failed Create's id, whose Delete does nothing.
        """
        if self._progress.created is not None:
            return self._progress.created.model_arn
        if self._progress.create_model_unanswered:
            return UnconfirmedModelCreate(project_name, self._request_id).physical_id
        return None

    def _create_model(self, properties: ModelProperties) -> ModelRef:
        """CreateModel, tried again (same ClientToken) after transient failures until the deadline."""
        token = client_token(self._request_id, TokenKind.CREATE_MODEL)

        def create() -> ModelDescription:
            try:
                return self._lookout.create_model(properties, token, self._owner_tag(properties))
            except Exception as exc:
                if outcome_unknown(exc):  # a refusal created nothing; no answer or a 5xx may have
                    self._progress.create_model_unanswered = True
                raise

        created = retried(self._budget, create)
        ref = model_named_by(created.model_arn)
        if ref is None or ref.project_name != properties.project_name:
            raise ProviderError(f"CreateModel answered an unexpected model ARN {created.model_arn!r}")
        self._progress.created = ref
        self._verified.add(ref.model_arn)  # just created with the owner tag
        logger.info("CreateModel: %s", ref.model_arn)
        return ref

    # -- Update ----------------------------------------------------------------------------------

    def update(self, physical_id: str, properties: ModelProperties, old_project: str | None = None) -> Answer:
        """In place when the version the physical id names has the new settings; else a new version.

        An update in place (a rollback's Update is one) also deletes the versions this resource made
        after the one it keeps (``_delete_newer_versions``); ``old_project`` is the project that
        OldResourceProperties name, looked at too when it is another.
        """
        ref = model_named_by(physical_id)
        replacing = self._progress.replacement_decided or self._progress.created is not None
        if not replacing and ref is not None and self._plan(ref, properties) is UpdatePlan.IN_PLACE:
            kept = self._converged(ref, goal_for(properties), tags=dict(properties.tags))
            self._delete_newer_versions(kept, old_project)
            return _answer(kept)
        self._progress.replacement_decided = True
        logger.info("the update needs a new model version")
        return self._replace(properties)

    def _plan(self, ref: ModelRef, properties: ModelProperties) -> UpdatePlan:
        """Decided from the version itself (DescribeModel), whatever OldResourceProperties say."""
        if ref.project_name != properties.project_name:
            return UpdatePlan.REPLACE

        def look() -> ModelDescription | None:
            model = self._lookout.describe_model(ref.project_name, ref.model_version)
            if model is not None:
                self._check_owner(ref)
            return model

        model = retried(self._budget, look)
        current = _version_settings(model) if model is not None and model.status != "DELETING" else None
        plan = update_plan(current, properties)
        logger.info("%s: %s update", ref, plan)
        return plan

    def _replace(self, properties: ModelProperties) -> Answer:
        """A new model version for an Update; if it fails, delete it before answering FAILED.

        CloudFormation answers a failed Update by rolling back to the old physical id: it never
        deletes a replacement it was not told about, and a leftover version would block
        DeleteProject. Training that is still running at the deadline cannot be deleted: the
        reason then names the version left behind.
        """
        failure = self._progress.replacement_failure
        if failure is None:
            try:
                return self._create_for_update(properties)
            except ProviderError as exc:
                exc.physical_id = None  # the Update answers the old physical id
                if self._progress.created is None:
                    raise
                if isinstance(exc, DeadlineExceeded):
                    exc.message = f"{exc.message}; {self.leftover()}"
                    self.replacement_reported = True
                    raise
                failure = exc.message[:FAILURE_KEPT]  # the record travels in every re-invocation: keep it short
                self._progress.replacement_failure = failure
        ref = self._progress.created
        if ref is not None:
            logger.info("the replacement failed (%s): deleting %s", failure, ref)
            try:
                self._converge(ref, Absent())
            except ProviderError as exc:
                self.replacement_reported = True
                raise ResourceFailed(f"{failure}; deleting the new {ref} failed too: {exc.message}") from exc
        self.replacement_reported = True
        raise ResourceFailed(f"{failure} (the new model version was deleted)")

    def _delete_newer_versions(self, kept: ModelDescription, old_project: str | None) -> None:
        """Delete the versions carrying this resource's owner tag (any request's) made after ``kept``.

        CloudFormation never learns of a version whose replacing Update it stopped waiting for: it
        rolls back with an in-place Update to the version it knows, which must then delete the
        newer one, or DeleteProject fails later. A version kept by RETAIN from an earlier life of
        the logical id is older than ``kept``; a replacement CloudFormation knows of is deleted by
        its cleanup anyway. Newer means a higher version in ``kept``'s project, a later
        CreationTimestamp in ``old_project`` (a rollback from a move to another project).
        """
        projects = [kept.project_name] + ([old_project] if old_project and old_project != kept.project_name else [])
        owner = self._owner.of_resource()

        def newer(version: ModelSummary, project: str) -> bool:
            if project == kept.project_name:
                return version.model_version.isdigit() and int(version.model_version) > int(kept.model_version)
            return version.created is not None and kept.created is not None and version.created > kept.created

        def look() -> list[ModelRef]:
            found = []
            for project in projects:
                for version in self._project_versions(project):
                    ref = model_named_by(version.model_arn)
                    if ref is None or ref.project_name != project or not newer(version, project):
                        continue
                    tags = self._lookout.tags_of(ref.model_arn)
                    if tags is not None and owner.made(tags.get(OWNER_TAG_KEY)):
                        found.append(ref)
                        self._verified.add(ref.model_arn)
            return found

        for ref in retried(self._budget, look):
            logger.info("%s carries this resource's owner tag and is newer than %s: deleting it", ref, kept.model_arn)
            try:
                self._converge(ref, Absent(), token_scope=f"{ref.project_name}/{ref.model_version}")
            except DeadlineExceeded as exc:
                exc.message = f"{exc.message}; newer than version {kept.model_version}, the one kept"
                if exc.last_status == ModelStatus.TRAINING:
                    exc.advice = NEWER_VERSION_TRAINING_ADVICE
                raise

    def _create_for_update(self, properties: ModelProperties) -> Answer:
        """``create``, with any unexpected error made a ProviderError: the new version is deleted either way."""
        try:
            return self.create(properties)
        except (ProviderError, HandOver):
            raise
        except Exception as exc:
            logger.exception("the replacement failed unexpectedly")
            raise ProviderError(f"unexpected {type(exc).__name__}: {exc}") from exc

    def leftover(self) -> str:
        """Words naming the version an Update created (or may have) and could not delete, for a FAILED reason."""
        if self._progress.created is not None:
            return f"the new model version {self._progress.created.model_version} remains (delete it)"
        return f"a new model version may remain (delete it if so: its owner tag ends in {self._owner.request})"

    def replacement_left(self) -> bool:
        """Whether an Update created (or may have) a new version that is neither deleted nor named in its error."""
        made = self._progress.created is not None or self._progress.create_model_unanswered
        return made and not self.replacement_reported

    # -- Delete ----------------------------------------------------------------------------------

    def delete(self, physical_id: str, unanswered: UnansweredCreate | None = None, properties: Any = None) -> Answer:
        """Stop, delete, and wait until the version is gone (DescribeModel and ListModels).

        The Delete of a model ARN paces its calls for the fleet of Deletes it shares the service's
        quota with (``lookoutvision_cdk_provider.paced_delete``): its place in that fleet and whether the model is
        hosted come from ``properties`` (the event's, read leniently). A physical id that is no model ARN names nothing:
        no call — unless ``unanswered`` says it follows a Create whose versions were never
        answered (an id naming that Create's request, or one CloudFormation made up). Those
        versions are deleted, and the project is looked at again until a CreateModel sent before
        this Delete began has landed. A model still TRAINING at the deadline cannot be deleted:
        the reason then says to delete again once training has ended.
        """
        try:
            return self._delete(physical_id, unanswered, properties)
        except DeadlineExceeded as exc:
            if exc.last_status == ModelStatus.TRAINING:
                exc.advice = STILL_TRAINING_ADVICE
            raise

    def _delete(self, physical_id: str, unanswered: UnansweredCreate | None, properties: Any) -> Answer:
        ref = model_named_by(physical_id)
        if ref is not None:
            paced_delete.tear_down(
                self._lookout,
                self._budget,
                ref,
                check_owner=lambda tags: self._check_owner(ref, tags),
                token_key=self._request_id,
                progress=self._progress,
                schedule=self._fleet_polls,
                fleet=fleet_of(properties),
                hosted=hosted_by(properties),
                page_size=self._page_size,
            )
            return Answer.succeeded(physical_id)
        if unanswered is None:
            logger.info("the physical id is no model ARN: nothing to delete")
            return Answer.succeeded(physical_id)
        try:
            self._delete_owned_versions(unanswered)
        except AccessDenied as exc:
            # A policy without lookoutvision:ListTagsForResource (one deployed before the search):
            # as if nothing were found, with a warning. Any other denial, and the service's end
            # of support (lookoutvision_cdk_provider.unavailable), is reported.
            if exc.operation != "ListTagsForResource" or service_gone(exc) is not None:
                raise
            logger.warning("cannot look for versions this resource created (%s): nothing deleted", exc.message)
        return Answer.succeeded(physical_id)

    def _delete_owned_versions(self, unanswered: UnansweredCreate) -> None:
        timings = self._budget.timings.unanswered_create
        landed_by = self._budget.started + timings.landing
        while True:
            for ref in self._owned_versions(unanswered):  # several versions in one request: a token each
                self._converge(ref, Absent(), token_scope=ref.model_version)
            left = landed_by - self._budget.clock.now()
            if left <= 0:
                return
            self._budget.wait(min(timings.look_interval, left))

    def _owned_versions(self, unanswered: UnansweredCreate) -> list[ModelRef]:
        """The versions the unanswered Create can have made: those found before, and any new.

        Every version of the project is looked at — those ListModels lists, and those DescribeModel
        finds beyond them (ListModels may not list a new version yet) — and kept when its owner
        tag is that Create's: its request's when known; else this resource's, on a version created
        since that Create can have begun.
        """
        project_name = unanswered.project_name
        found = self._progress.unanswered_create_versions  # a version of project_name each (checked when parsed)
        owner = self._owner.with_request(unanswered.request_id)

        def look() -> None:
            logger.info("looking for the model versions of project %s made by %s", project_name, _whose(unanswered))
            for version in self._project_versions(project_name):
                arn = version.model_arn
                if any(ref.model_arn == arn for ref in found) or arn in self._verified or arn in self._others:
                    continue
                if unanswered.request_id is None and not self._since_unanswered_create(version):
                    self._others.add(arn)  # older than that Create: another life's (kept by RETAIN, say)
                    continue
                tags = self._lookout.tags_of(arn)
                if tags is None:
                    continue  # gone since
                ref = model_named_by(arn)
                if ref is not None and ref.project_name == project_name and owner.made(tags.get(OWNER_TAG_KEY)):
                    found.append(ref)
                    self._verified.add(arn)
                else:
                    self._others.add(arn)

        retried(self._budget, look)
        return list(found)

    def _project_versions(self, project_name: str) -> list[ModelSummary]:
        """Every version of the project: ListModels' pages, and those DescribeModel finds after the highest listed.

        Versions are numbered 1, 2, 3... per project, and ListModels may not list one created
        seconds ago: DescribeModel (answered at once) of ``latest`` and of each version after the
        highest listed finds it.
        """
        listed = self._lookout.model_summaries(project_name, self._page_size)
        if listed is None:
            return []  # no such project: no version
        highest = max((int(v.model_version) for v in listed if v.model_version.isdigit()), default=0)
        latest = self._lookout.describe_model(project_name, "latest")
        newest = int(latest.model_version) if latest is not None and latest.model_version.isdigit() else 0
        found = list(listed)
        version = highest + 1
        while True:
            if latest is not None and version == newest:
                model: ModelDescription | None = latest
            else:
                model = self._lookout.describe_model(project_name, str(version))
            if model is not None:
                found.append(_summary(model))
            elif version > newest:
                return found  # past the newest version and the ones that follow it
            version += 1

    def _since_unanswered_create(self, version: ModelSummary) -> bool:
        """Whether the version was created since the Create a made-up id stands for can have begun.

        Its age is read in the service's clock (the answer's time less its CreationTimestamp), the
        Delete's elapsed time in the provider's; a version whose age is unknown counts as recent.
        """
        if version.created is None:
            return True
        now = self._budget.clock.now()
        answered_at = version.answered_at if version.answered_at is not None else now
        since_start = now - self._budget.started
        margin = self._budget.timings.unanswered_create.margin
        return may_be_from_unanswered_create(
            answered_at - version.created, since_start, self._budget.service_timeout, margin
        )

    # -- the owner tag ---------------------------------------------------------------------------

    def _owner_tag(self, properties: ModelProperties) -> dict[str, str] | None:
        """The owner tag (this resource, this request), if the model can take one more tag than its properties give."""
        if len(properties.tags) >= _max_tags():
            logger.warning("the model gets no owner tag: its Tags already reach the service's maximum")
            return None
        return {OWNER_TAG_KEY: self._owner.tag_value}

    def _check_owner(self, ref: ModelRef, tags: dict[str, str] | None = None) -> None:
        """ResourceFailed unless the version carries this resource's owner tag (any request's) or can take no more."""
        if ref.model_arn in self._verified:
            return
        tags = tags if tags is not None else self._lookout.tags_of(ref.model_arn)
        if tags is None:
            return  # gone: nothing to act on
        owner = tags.get(OWNER_TAG_KEY)
        if not self._owner.of_resource().made(owner) and not (owner is None and len(tags) >= _max_tags()):
            why = f"it has no {OWNER_TAG_KEY} tag" if owner is None else f"its {OWNER_TAG_KEY} tag names another"
            raise ResourceFailed(f"{ref} was not created by this resource ({why}): not touched")
        self._verified.add(ref.model_arn)

    # -- converging ------------------------------------------------------------------------------

    def _converge(
        self, ref: ModelRef, goal: ModelGoal, token_scope: str = "", tags: dict[str, str] | None = None
    ) -> ModelDescription | None:
        """Act and poll until the model reaches ``goal``; the model as last seen (None once gone).

        ``tags``: the tags the version must end with (an in-place update), besides the owner tag.
        Tokens derive from the RequestId (and ``token_scope``, when one request acts on several
        versions: a token reused with other parameters is an error).
        """
        key = f"{self._request_id}/{token_scope}" if token_scope else self._request_id
        wanted_tags = None if tags is None or self._progress.tags_answered else tags
        current_tags: dict[str, str] = {}

        def observe() -> tuple[Action, ModelDescription | None, str]:
            nonlocal current_tags
            model = self._lookout.describe_model(ref.project_name, ref.model_version)
            if model is not None and (ref.model_arn not in self._verified or wanted_tags is not None):
                found = self._lookout.tags_of(ref.model_arn)
                self._check_owner(ref, found)
                current_tags = {k: v for k, v in (found or {}).items() if k != OWNER_TAG_KEY}
            differ = wanted_tags is not None and model is not None and current_tags != wanted_tags
            seen = dataclasses.replace(_observation(model, self._progress.start_model_answered), tags_differ=differ)
            action = next_model_action(goal, seen)
            if action.step is Step.LIST:
                listed = self._lookout.model_listed(ref.project_name, ref.model_version, self._page_size)
                action = next_model_action(goal, dataclasses.replace(seen, listed=listed))
                return action, model, "deleted but still listed by ListModels" if listed else "gone"
            return action, model, str(seen.status) if seen.status else "gone"

        def act(action: Action) -> None:
            nonlocal wanted_tags
            project, version = ref.project_name, ref.model_version
            if action.step is Step.STOP:
                self._lookout.stop_model(project, version, client_token(key, TokenKind.STOP_MODEL))
            elif action.step is Step.DELETE:
                self._lookout.delete_model(project, version, client_token(key, TokenKind.DELETE_MODEL))
            elif action.step is Step.START and isinstance(goal, Hosted):
                token = client_token(key, TokenKind.START_MODEL)
                self._lookout.start_model(project, version, goal.hosting, token)
                self._progress.start_model_answered = True
            elif action.step is Step.TAG and wanted_tags is not None:
                self._retag(ref, current_tags, wanted_tags)
                self._progress.tags_answered = True
                wanted_tags = None

        return Waiter(
            self._budget,
            str(ref),
            observe,
            act,
            interval=self._schedule.interval,
            throttled=lambda: self._lookout.throttled,
        ).run()

    def _retag(self, ref: ModelRef, current: dict[str, str], wanted: dict[str, str]) -> None:
        """The version's tags become ``wanted`` (the owner tag stays)."""
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        removed = sorted(k for k in current if k not in wanted and k != OWNER_TAG_KEY)
        if changed:
            self._lookout.tag_resource(ref.model_arn, changed)
        if removed:
            self._lookout.untag_resource(ref.model_arn, removed)
        logger.info("%s: tags set (%d changed, %d removed)", ref, len(changed), len(removed))

    def _converged(self, ref: ModelRef, goal: ModelGoal, tags: dict[str, str] | None = None) -> ModelDescription:
        model = self._converge(ref, goal, tags=tags)
        if model is None:  # goals other than Absent fail on a missing model: defensive only
            raise ProviderError(f"{ref} no longer exists", physical_id=ref.model_arn)
        return model


@functools.cache
def _max_tags() -> int:
    shape = servicemodel.operation_model("CreateModel").input_shape
    maximum = shape.members["Tags"].metadata.get("max") if shape is not None else None
    return int(maximum) if maximum is not None else sys.maxsize


def _whose(unanswered: UnansweredCreate) -> str:
    if unanswered.request_id is None:
        return "the Create whose answer CloudFormation never got"
    return f"the Create {unanswered.request_id} (its CreateModel unanswered)"


def _summary(model: ModelDescription) -> ModelSummary:
    return ModelSummary(model.model_version, model.model_arn, str(model.status), model.created, model.answered_at)


def _version_settings(model: ModelDescription) -> VersionSettings:
    location = model.output_config.get("S3Location") or {}
    return VersionSettings.of(
        model.project_name, model.description, location.get("Bucket"), location.get("Prefix"), model.kms_key_id
    )


def _observation(model: ModelDescription | None, started: bool) -> ModelObservation:
    if model is None:
        return ModelObservation(status=None, started=started)
    return ModelObservation(
        status=model.status,
        status_message=model.status_message,
        min_inference_units=model.min_inference_units,
        max_inference_units=model.max_inference_units,
        started=started,
    )


def _answer(model: ModelDescription) -> Answer:
    data: dict[str, Any] = {
        consts.ATTR_MODEL_ARN: model.model_arn,
        consts.ATTR_MODEL_VERSION: model.model_version,
        consts.ATTR_STATUS: str(model.status),
    }
    for key in (consts.ATTR_F1_SCORE, consts.ATTR_RECALL, consts.ATTR_PRECISION):
        if key in model.performance:
            data[key] = str(model.performance[key])
    return Answer.succeeded(model.model_arn, data)
