"""The CloudFormation API's operations over the local engine: stacks and change sets, no HTTP.

A change set is computed when it is created (CREATE_COMPLETE, or FAILED with CloudFormation's
reason: no changes, or a resource type the local cloud cannot play); ExecuteChangeSet and
DeleteStack start the engine's operation in the background (``operations.py``) and return at
once, and the Describe/List/Get operations read what it has done so far (``descriptions.py``).
Each method takes the operation's input as botocore's model names it and returns its output the
same way (``responses.py`` does the wire). Every stack is kept in ``StackFiles`` after each
change, deleted ones too (describable by their id), and comes back when the local cloud starts.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from lookoutvision_localcloud.cloudformation import change_sets, descriptions, drift, parameters
from lookoutvision_localcloud.cloudformation.exceptions import (
    AlreadyExistsError,
    ChangeSetNotFoundError,
    InvalidChangeSetStatusError,
    ValidationError,
)
from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.models import ChangeSet, Stack, StackState, live_stack
from lookoutvision_localcloud.cloudformation.operations import RESUMABLE, StackOperations
from lookoutvision_localcloud.cloudformation.persistence import StackFiles
from lookoutvision_localcloud.cloudformation.records import STACK_TYPE, UPDATABLE, StackEvent, Status
from lookoutvision_localcloud.cloudformation.resources import ResourceTypes
from lookoutvision_localcloud.cloudformation.template import Template, load_template_body

logger = logging.getLogger(__name__)

# CloudFormation's answer to an operation on a change set that another operation is running (a change set of a
# deployment in progress, which a second deployment of the stack deletes before making its own).
OPERATION_IN_PROGRESS = (
    "An operation on this ChangeSet is currently in progress.  Please attempt this operation again later."
)


class StackHost(Protocol):
    """The local cloud, as the CloudFormation API uses it."""

    @property
    def resources(self) -> ResourceTypes: ...

    @property
    def time_scale(self) -> float: ...

    @property
    def closing(self) -> threading.Event:
        """Set when the local cloud stops: every stack operation then ends as it stands."""
        ...

    def stack_context(self, stack_name: str) -> StackContext: ...

    def client(self, service: str) -> Any: ...


class CloudFormationBackend:
    """The stacks of one local cloud, kept in ``files``."""

    def __init__(self, cloud: StackHost, files: StackFiles, *, max_workers: int = 8) -> None:
        self.cloud = cloud
        self.resources = cloud.resources
        self._files = files
        self._lock = threading.RLock()
        self._stacks: dict[str, Stack] = {}
        self._operations = StackOperations(
            self.resources, files, self._lock, max_workers=max_workers, halted=cloud.closing
        )
        self._load()

    # -- change sets ---------------------------------------------------------------------------

    def create_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        stack_name, name = params["StackName"], params["ChangeSetName"]
        kind = params.get("ChangeSetType", "UPDATE")
        if kind not in ("CREATE", "UPDATE"):
            raise ValidationError(f"ChangeSetType {kind} is not supported by the local cloud (CREATE or UPDATE)")
        with self._lock:
            stack = self._live(stack_name)
            if kind == "CREATE" and stack is not None and stack.status != Status.REVIEW_IN_PROGRESS:
                raise AlreadyExistsError(f"Stack [{stack_name}] already exists")
            if kind == "UPDATE":
                if stack is None:
                    raise ValidationError(f"Stack [{stack_name}] does not exist")
                self._check_updatable(stack)
            body = self._template_body(params, stack)
            template = change_sets.parse_template(body)
            change_sets.check_capabilities(template, params.get("Capabilities") or [])
            previous = {p["ParameterKey"]: p["ParameterValue"] for p in stack.parameters} if stack is not None else {}
            api_parameters, values = parameters.resolve(
                template, params.get("Parameters") or [], previous, self._ssm_value
            )
            if stack is None:
                stack = self._new_stack(stack_name, params)
            if any(existing.name == name for existing in stack.change_sets.values()):
                raise AlreadyExistsError(f"ChangeSet [{name}] already exists")
            region, account = stack.state.context.region, stack.state.context.account_id
            change_set = ChangeSet(
                change_set_id=f"arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{uuid.uuid4()}",
                name=name,
                stack_id=stack.stack_id,
                change_set_type=kind,
                template_body=body,
                parameters=api_parameters,
                values=values,
                tags=list(params.get("Tags") or []),
                capabilities=list(params.get("Capabilities") or []),
                description=params.get("Description"),
                created=time.time(),
            )
            self._describe_changes(stack, change_set, template)
            stack.change_sets[change_set.change_set_id] = change_set
            self._files.save(stack, self._lock)
            return {"Id": change_set.change_set_id, "StackId": stack.stack_id}

    def describe_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack, change_set = self._change_set(params)
            return descriptions.change_set(stack, change_set)

    def execute_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack, change_set = self._change_set(params)
            if change_set.execution_status != "AVAILABLE":
                raise InvalidChangeSetStatusError(
                    f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
                    f"[{change_set.execution_status}]"
                )
            if stack.busy:
                raise InvalidChangeSetStatusError(
                    f"Stack [{stack.stack_id}] is in {stack.status} state and can not be updated."
                )
            change_set.execution_status = "EXECUTE_IN_PROGRESS"
            # Once a change set runs, CloudFormation deletes the stack's other change sets.
            stack.change_sets = {change_set.change_set_id: change_set}
            stack.last_change_set_id = change_set.change_set_id
            self._operations.start(stack, change_set, params.get("ClientRequestToken"))
            return {}

    def delete_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                stack, change_set = self._change_set(params)
            except ChangeSetNotFoundError:
                return {}  # as CloudFormation: the CDK CLI deletes a change set it may never have made
            if change_set.execution_status == "EXECUTE_IN_PROGRESS":  # another deployment of the stack runs it
                raise InvalidChangeSetStatusError(OPERATION_IN_PROGRESS)
            del stack.change_sets[change_set.change_set_id]
            self._files.save(stack, self._lock)
            return {}

    def list_change_sets(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"])
            summaries = [
                descriptions.change_set_summary(stack, change_set) for change_set in stack.change_sets.values()
            ]
            return {"Summaries": summaries}

    # -- stacks --------------------------------------------------------------------------------

    def create_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._live(params["StackName"]) is not None:
                raise AlreadyExistsError(f"Stack [{params['StackName']}] already exists")
            return self._direct(params, "CREATE")

    def update_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._direct(params, "UPDATE")

    def _direct(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """CreateStack and UpdateStack: a change set of the service's own, executed at once."""
        name = f"direct-{uuid.uuid4()}"
        created = self.create_change_set({**params, "ChangeSetName": name, "ChangeSetType": kind})
        stack, change_set = self._change_set({"ChangeSetName": created["Id"]})
        if change_set.status == "FAILED":
            del stack.change_sets[change_set.change_set_id]
            if kind == "CREATE":
                self._forget_review_stack(stack)
            if change_set.status_reason == change_sets.NO_CHANGES:
                raise ValidationError("No updates are to be performed.")
            raise ValidationError(change_set.status_reason)
        self.execute_change_set(
            {"ChangeSetName": created["Id"], "ClientRequestToken": params.get("ClientRequestToken")}
        )
        return {"StackId": stack.stack_id}

    def delete_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        """DeleteStack: accepted in every status but an operation's in progress (a stack gone or going: nothing to
        do); RetainResources and DeletionMode FORCE_DELETE_STACK (every resource whose Delete failed is retained)
        only in DELETE_FAILED."""
        with self._lock:
            stack = self._find(params["StackName"])
            if stack is None or stack.status in (Status.DELETE_COMPLETE, Status.DELETE_IN_PROGRESS):
                return {}  # CloudFormation answers success for a stack that is gone or going
            if stack.termination_protection:
                raise ValidationError(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
            force = (params.get("DeletionMode") or "STANDARD") == "FORCE_DELETE_STACK"
            if force and stack.status != Status.DELETE_FAILED:
                raise ValidationError(
                    f"Invalid operation on stack [{stack.stack_id}]. You can activate DeletionMode FORCE_DELETE_STACK "
                    "in a delete stack operation only when the stack is in the DELETE_FAILED state."
                )
            if stack.busy:
                raise ValidationError(f"Stack [{stack.stack_id}] cannot be deleted while in status {stack.status}")
            retain = set(params.get("RetainResources") or [])
            if retain and stack.status != Status.DELETE_FAILED:
                raise ValidationError(
                    "Invalid operation on stack: RetainResources can only be specified when the stack is in the "
                    "DELETE_FAILED state"
                )
            resources = stack.state.resources
            if retain - set(resources):
                raise ValidationError(
                    "The specified resources to retain must be in a valid state. Do not specify resources that are in "
                    f"the DELETE_COMPLETE state: {', '.join(sorted(retain - set(resources)))}"
                )
            if force:
                retain |= {key for key, record in resources.items() if record.status == Status.DELETE_FAILED}
            for logical_id in retain:
                resources[logical_id].retained = True
            stack.change_sets.clear()
            self._operations.start(stack, None, params.get("ClientRequestToken"))
            return {}

    def continue_update_rollback(self, params: dict[str, Any]) -> dict[str, Any]:
        """ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED: the resources not reverted yet get their
        rollback Update again; ResourcesToSkip (or, with ForceRollback, every resource whose rollback failed) are
        marked UPDATE_COMPLETE as they are."""
        with self._lock:
            name = params["StackName"]
            stack = self._find(name)
            if stack is None:
                raise ValidationError(f"Stack [{name}] does not exist")
            if stack.status != Status.UPDATE_ROLLBACK_FAILED:
                raise ValidationError(
                    f"Stack [{stack.stack_id}] is in {stack.status} state: ContinueUpdateRollback continues only the "
                    "rollback of a stack in UPDATE_ROLLBACK_FAILED"
                )
            skip = list(params.get("ResourcesToSkip") or [])
            force = bool(params.get("ForceRollback"))
            if skip and force:
                raise ValidationError("ForceRollback and ResourcesToSkip are mutually exclusive: give one or the other")
            failed = stack.state.failed_rollbacks()
            if set(skip) - set(failed):
                raise ValidationError(
                    f"ResourcesToSkip [{', '.join(sorted(set(skip) - set(failed)))}]: only resources in UPDATE_FAILED "
                    f"because their rollback failed can be skipped ({', '.join(failed) or 'none in this stack'})"
                )
            stack.change_sets.clear()
            self._operations.continue_rollback(stack, failed if force else skip, params.get("ClientRequestToken"))
            return {}

    def update_termination_protection(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"])
            stack.termination_protection = bool(params["EnableTerminationProtection"])
            self._files.save(stack, self._lock)
            return {"StackId": stack.stack_id}

    def describe_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if params.get("StackName"):
                stacks = [self._stack(params["StackName"])]
            else:
                stacks = [stack for stack in self._stacks.values() if stack.status != Status.DELETE_COMPLETE]
            page, token = descriptions.page(sorted(stacks, key=lambda s: -s.created), params.get("NextToken"))
            return {"Stacks": [descriptions.stack(stack) for stack in page], "NextToken": token}

    def list_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("StackStatusFilter") or [])
        with self._lock:
            stacks = [s for s in self._stacks.values() if not wanted or s.status in wanted]
            page, token = descriptions.page(sorted(stacks, key=lambda s: -s.created), params.get("NextToken"))
            return {"StackSummaries": [descriptions.stack_summary(stack) for stack in page], "NextToken": token}

    def describe_stack_events(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            name = params["StackName"]
            stack = self._find(name)
            if stack is None:
                raise ValidationError(f"Stack [{name}] does not exist")
            page, token = descriptions.page(descriptions.stack_events(stack), params.get("NextToken"))
            return {"StackEvents": page, "NextToken": token}

    def describe_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params.get("StackName") or "")
            return {"StackResources": descriptions.stack_resources(stack, params.get("LogicalResourceId"))}

    def describe_stack_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        found = self.describe_stack_resources(params)["StackResources"]
        if not found:
            raise ValidationError(
                f"Resource {params['LogicalResourceId']} does not exist for stack {params['StackName']}"
            )
        detail = {**found[0], "LastUpdatedTimestamp": found[0].pop("Timestamp"), "Metadata": "{}"}
        return {"StackResourceDetail": detail}

    def list_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        described = self.describe_stack_resources({"StackName": params["StackName"]})["StackResources"]
        summaries = [descriptions.resource_summary(resource) for resource in described]
        page, token = descriptions.page(summaries, params.get("NextToken"))
        return {"StackResourceSummaries": page, "NextToken": token}

    def get_template(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if params.get("ChangeSetName"):
                _, change_set = self._change_set(params)
                body = change_set.template_body
            else:
                body = self._stack(params.get("StackName") or "").template_body
            return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}

    def get_template_summary(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"]) if params.get("StackName") else None
            body = self._template_body(params, stack)
        return descriptions.template_summary(body)

    def validate_template(self, params: dict[str, Any]) -> dict[str, Any]:
        return descriptions.template_validation(self.get_template_summary(params))

    def list_hook_results(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"HookResults": []}  # the local cloud runs no hooks

    def describe_events(self, params: dict[str, Any]) -> dict[str, Any]:
        """The events of a stack, of one of its operations, or of a change set's creation (which records none: a
        change set's failure is its StatusReason); FailedEvents: the failed ones only."""
        failed_only = bool((params.get("Filters") or {}).get("FailedEvents"))
        with self._lock:
            if params.get("ChangeSetName"):
                self._change_set(params)  # ChangeSetNotFound, as DescribeChangeSet
                events: list[dict[str, Any]] = []
            elif params.get("StackName"):
                events = descriptions.operation_events(self._stack(params["StackName"]), failed_only=failed_only)
            elif params.get("OperationId"):
                operation = params["OperationId"]
                events = [
                    event
                    for stack in self._stacks.values()
                    for event in descriptions.operation_events(stack, operation, failed_only)
                ]
            else:
                raise ValidationError("One of ChangeSetName, OperationId or StackName must be specified.")
            page, token = descriptions.page(events, params.get("NextToken"))
            return {"OperationEvents": page, "NextToken": token}

    # -- drift ---------------------------------------------------------------------------------

    def detect_stack_drift(self, params: dict[str, Any]) -> dict[str, Any]:
        """Each resource (those LogicalResourceIds name, if given) looked at by its handler, at once; the detection
        is complete when this answers."""
        with self._lock:
            stack = self._stack(params["StackName"])
            if stack.busy or stack.status in (Status.REVIEW_IN_PROGRESS, Status.DELETE_COMPLETE):
                raise ValidationError(
                    f"Stack [{stack.stack_id}] is in {stack.status} state: drift detection needs a stack that no "
                    "operation is changing"
                )
            wanted = set(params.get("LogicalResourceIds") or [])
            if wanted - set(stack.state.resources):
                raise ValidationError(
                    f"LogicalResourceIds [{', '.join(sorted(wanted - set(stack.state.resources)))}]: no such "
                    f"resource in stack {stack.name}"
                )
            records = [r for key, r in dict(stack.state.resources).items() if not wanted or key in wanted]
        detection = drift.detect(stack, records, lambda record: self.resources.for_record(record).drift(record))
        with self._lock:
            drift.keep(stack, detection)
            self._files.save(stack, self._lock)
        return {"StackDriftDetectionId": detection["StackDriftDetectionId"]}

    def describe_stack_drift_detection_status(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params["StackDriftDetectionId"]
        with self._lock:
            for stack in self._stacks.values():
                for detection in stack.drift_detections:
                    if detection["StackDriftDetectionId"] == wanted:
                        return drift.status(detection)
        raise ValidationError(f"No drift detection {wanted} was found (a stack keeps its latest {drift.KEPT})")

    def describe_stack_resource_drifts(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stack = self._stack(params["StackName"])
            found = drift.resource_drifts(stack, params.get("StackResourceDriftStatusFilters") or [])
        size = int(params.get("MaxResults") or descriptions.PAGE)
        page, token = descriptions.page(found, params.get("NextToken"), size)
        return {"StackResourceDrifts": page, "NextToken": token}

    # -- for the local cloud itself --------------------------------------------------------------

    def stacks_named(self, name: str) -> list[Stack]:
        """Every stack called ``name``, deleted ones too, newest first."""
        with self._lock:
            return sorted((s for s in self._stacks.values() if s.name == name), key=lambda s: -s.created)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait (real seconds) until no stack operation runs; False when one still runs at the timeout."""
        return self._operations.wait_idle(timeout)

    # -- lookups -------------------------------------------------------------------------------

    def _find(self, name_or_id: str) -> Stack | None:
        """By stack id (deleted stacks too), or by name (the live stack)."""
        if name_or_id.startswith("arn:"):
            return self._stacks.get(name_or_id)
        return self._live(name_or_id)

    def _live(self, name: str) -> Stack | None:
        return live_stack(self._stacks.values(), name)

    def _stack(self, name_or_id: str) -> Stack:
        stack = self._find(name_or_id)
        if stack is None:
            raise ValidationError(f"Stack with id {name_or_id} does not exist")
        return stack

    def _change_set(self, params: dict[str, Any]) -> tuple[Stack, ChangeSet]:
        name = params["ChangeSetName"]
        if name.startswith("arn:"):
            for stack in self._stacks.values():
                if name in stack.change_sets:
                    return stack, stack.change_sets[name]
            raise ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")
        stack_name = params.get("StackName")
        if not stack_name:
            raise ValidationError("StackName must be specified if ChangeSetName is not specified as an ARN.")
        found = self._find(stack_name)
        if found is None:
            raise ValidationError(f"Stack [{stack_name}] does not exist")
        for change_set in found.change_sets.values():
            if change_set.name == name:
                return found, change_set
        raise ChangeSetNotFoundError(f"ChangeSet [{name}] does not exist")

    @staticmethod
    def _check_updatable(stack: Stack) -> None:
        if stack.status not in UPDATABLE:
            raise ValidationError(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")

    # -- change set contents -------------------------------------------------------------------

    def _template_body(self, params: dict[str, Any], stack: Stack | None) -> str:
        if params.get("TemplateBody"):
            return str(params["TemplateBody"])
        if params.get("TemplateURL"):
            return self._read_template_url(str(params["TemplateURL"]))
        if params.get("UsePreviousTemplate") and stack is not None and stack.template_body:
            return stack.template_body
        raise ValidationError("Either Template URL or Template Body must be specified.")

    def _read_template_url(self, url: str) -> str:
        """The template object in the local S3: the bucket and key come from the URL (path style, or the bucket
        in the host name); nothing is fetched from the network."""
        parts = urlsplit(url)
        path = unquote(parts.path).lstrip("/")
        host = parts.hostname or ""
        virtual = re.match(r"^(.+)\.s3[.-]", host)
        bucket, _, key = (f"{virtual.group(1)}/{path}" if virtual else path).partition("/")
        if not bucket or not key:
            raise ValidationError(f"TemplateURL must be an Amazon S3 URL that names a bucket and a key: {url}")
        try:
            body = self.cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise ValidationError(
                f"S3 error: Unable to get object s3://{bucket}/{key}: {exc.response.get('Error', {}).get('Code')}"
            ) from exc
        return str(body.decode("utf-8"))

    def _ssm_value(self, name: str) -> str:
        try:
            return str(self.cloud.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
        except ClientError as exc:
            raise ValidationError(
                f"Unable to fetch parameters [{name}] from parameter store for this account."
            ) from exc

    def _describe_changes(self, stack: Stack, change_set: ChangeSet, template: Template) -> None:
        """The change set's Changes and status: FAILED when nothing would change or a type cannot be played."""
        unsupported = self.resources.unsupported(template.resources)
        if unsupported:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = (
                f"The local cloud cannot play these resource types: [{'; '.join(unsupported)}]. "
                f"It plays: {self.resources.described()}."
            )
            return
        context = stack.state.context
        after = (template, change_set.values, change_sets.active_resources(template, change_set.values, context))
        before = None
        if change_set.change_set_type == "UPDATE":
            unchanged = (
                load_template_body(stack.template_body) == load_template_body(change_set.template_body)
                and stack.values == change_set.values
                and stack.tags == change_set.tags
            )
            if unchanged:
                change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
                change_set.status_reason = change_sets.NO_CHANGES
                return
            before = (change_sets.parse_template(stack.template_body), stack.values, set(stack.state.resources))
        physical_ids = {key: record.physical_id for key, record in dict(stack.state.resources).items()}
        change_set.changes = change_sets.resource_changes(before, after, physical_ids)

    # -- state ---------------------------------------------------------------------------------

    def _new_stack(self, name: str, params: dict[str, Any]) -> Stack:
        if not re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,127}", name):
            raise ValidationError(
                f"1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member "
                "must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        context = self.cloud.stack_context(name)
        stack = Stack(state=StackState(context, Status.REVIEW_IN_PROGRESS, time_scale=self.cloud.time_scale))
        stack.termination_protection = bool(params.get("EnableTerminationProtection", False))
        self._stacks[stack.stack_id] = stack
        review = StackEvent(
            time.time(), 0.0, name, name, STACK_TYPE, Status.REVIEW_IN_PROGRESS, "User Initiated", stack.stack_id
        )
        self._operations.record_event(stack, review, str(uuid.uuid4()), params.get("ClientToken"), "CREATE_CHANGESET")
        return stack

    def _forget_review_stack(self, stack: Stack) -> None:
        if stack.status == Status.REVIEW_IN_PROGRESS and not stack.change_sets and not stack.state.resources:
            del self._stacks[stack.stack_id]
            self._files.remove(stack.stack_id)

    def _load(self) -> None:
        """Stacks from the files; what live stacks hold only in memory (moto resources, local functions) is brought
        back, then the operations a stop of the local cloud cut off are carried on (``StackOperation.resume``)."""
        for stack in self._files.load():
            self._stacks[stack.stack_id] = stack
        stacks = sorted(self._stacks.values(), key=lambda s: s.created)
        for stack in stacks:
            if stack.status != Status.DELETE_COMPLETE:
                for warning in self.resources.restore(stack.state.resources, stack.state.context):
                    logger.warning("stack %s: %s", stack.name, warning)
        with self._lock:
            for stack in stacks:
                if stack.status in RESUMABLE:
                    logger.warning("stack %s was %s when the local cloud stopped: carried on", stack.name, stack.status)
                    self._operations.resume(stack)
