"""What a destroyed (or rolled back) stack left behind, looking only at that stack.

Every physical resource the stack ever held (its history: replaced and deleted ones too) is looked
up in the service that holds it: the emulator (projects, datasets, model versions), moto (roles,
buckets, log groups, parameters, ...) or the local Lambda. Model versions the provider created for
one of the stack's custom resources are also found by their owner tag (its resource part: any
request of that resource), in the projects the stack's resources name: the versions ListModels
lists, and those DescribeModel finds beyond them (ListModels lists a new version only after a
lag). Then the stack's own functions: no invocation still pending, no polling rule targeting
them, and every custom-resource request of the stack answered exactly once. Another stack's
resources are never looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.cloudformation import moto_resources
from localcloud.cloudformation.engine import ABANDONED
from localcloud.cloudformation.records import Mode, ResourceRecord
from localcloud.cloudformation.registry import Handlers
from localcloud.cloudformation.state import StackState
from provider.consts import DATASET_RESOURCE_TYPE, MODEL_RESOURCE_TYPE
from provider.identifiers import OWNER_TAG_KEY, Owner

NOTHING_LEFT = "no project, dataset or model in the emulator, no pending invocation, no polling rule"
_MODEL_ARN = re.compile(r"^arn:[^:]+:lookoutvision:[^:]*:\d*:model/([^/]+)/([^/]+)$")
_DATASET_ID = re.compile(r"^([^/]+)/(train|test)$")


@dataclass
class Leftovers:
    """What remains after a destroy or a rollback. ``problems`` make the run fail; ``retained`` do not."""

    problems: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def add(self, other: Leftovers) -> None:
        self.problems += other.problems
        self.retained += other.retained

    def to_dict(self) -> dict[str, Any]:
        return {"problems": self.problems, "retained": self.retained, "clean": self.clean}


def stack_leftovers(handlers: Handlers, state: StackState) -> Leftovers:
    """Everything of the stack ``state`` describes that still exists; retained resources apart."""
    found, reported = _records_left(handlers, state.history.values())
    lookout = handlers.cloud.lookoutvision()
    found.problems += [item for item in _owned_models(lookout, state) if item.split(" ")[0] not in reported]
    found.problems += _functions(handlers, state)
    return found


def records_left(handlers: Handlers, records: Iterable[ResourceRecord]) -> Leftovers:
    """Which of ``records``' physical resources still exist (e.g. what an update's cleanup could not delete)."""
    return _records_left(handlers, records)[0]


def _records_left(handlers: Handlers, records: Iterable[ResourceRecord]) -> tuple[Leftovers, set[str]]:
    """What of ``records`` still exists, and the first word of each description (to leave out of later checks)."""
    found = Leftovers()
    lookout = handlers.cloud.lookoutvision()
    reported: set[str] = set()
    for record in records:
        try:
            descriptions = _existing(handlers, lookout, record)
        except (ClientError, BotoCoreError) as exc:
            found.problems.append(f"could not check {record.logical_id} ({record.physical_id}): {exc}")
            continue
        reported.update(description.split(" ", 1)[0] for description in descriptions)
        if record.note == ABANDONED:
            descriptions = [f"{description}, {ABANDONED}" for description in descriptions]
        (found.retained if record.retained else found.problems).extend(descriptions)
    return found, reported


def _existing(handlers: Handlers, lookout: Any, record: ResourceRecord) -> list[str]:
    """What of ``record``'s physical resource still exists (a project: with its datasets and models), named."""
    physical_id = str(record.physical_id)
    if record.mode is Mode.EMULATOR:
        try:
            project = lookout.describe_project(ProjectName=physical_id)["ProjectDescription"]
        except ClientError as exc:
            return _gone(exc)
        found = [f"Lookout for Vision project {physical_id}"]
        found += [f"Lookout for Vision dataset {physical_id}/{d['DatasetType']}" for d in project.get("Datasets", [])]
        pages = lookout.get_paginator("list_models").paginate(ProjectName=physical_id)
        models = [model for page in pages for model in page["Models"]]
        return found + [f"{m['ModelArn']} Lookout for Vision model ({m.get('Status')})" for m in models]
    if record.mode is Mode.CUSTOM and record.resource_type == MODEL_RESOURCE_TYPE:
        model = _MODEL_ARN.match(physical_id)
        if model is None:
            return []  # no model was created (a failed Create's invented id)
        try:
            described = lookout.describe_model(ProjectName=model[1], ModelVersion=model[2])["ModelDescription"]
        except ClientError as exc:
            return _gone(exc)
        return [f"{physical_id} Lookout for Vision model ({described.get('Status')})"]
    if record.mode is Mode.CUSTOM and record.resource_type == DATASET_RESOURCE_TYPE:
        dataset = _DATASET_ID.match(physical_id)
        if dataset is None:
            return []
        try:
            lookout.describe_dataset(ProjectName=dataset[1], DatasetType=dataset[2])
        except ClientError as exc:
            return _gone(exc)
        return [f"Lookout for Vision dataset {physical_id}"]
    if record.mode is Mode.LAMBDA:
        exists = handlers.cloud.function(_function_arn(handlers, record)) is not None
        return [f"Lambda function {physical_id}"] if exists else []
    if record.mode is Mode.MOTO:
        return [f"{record.resource_type} {physical_id}"] if moto_resources.exists(handlers.cloud, record) else []
    return []


def _gone(exc: ClientError) -> list[str]:
    """Nothing (gone) for a ResourceNotFoundException; any other error is raised again."""
    if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
        return []
    raise exc


def _owned_models(lookout: Any, state: StackState) -> list[str]:
    """Model versions carrying the owner tag of one of the stack's model resources (the provider tags every
    version it creates), in the projects those resources name."""
    models = [r for r in state.history.values() if r.mode is Mode.CUSTOM and r.resource_type == MODEL_RESOURCE_TYPE]
    owners = [Owner.of(state.context.stack_id, record.logical_id) for record in models]
    projects = {str(record.properties.get("ProjectName")) for record in models if record.properties.get("ProjectName")}
    found = []
    for project in sorted(projects):
        try:
            for model in _project_models(lookout, project):
                tags = lookout.list_tags_for_resource(ResourceArn=model["ModelArn"]).get("Tags", [])
                owner_tags = [tag["Value"] for tag in tags if tag["Key"] == OWNER_TAG_KEY]
                if any(owner.made(value) for owner in owners for value in owner_tags):
                    found.append(f"{model['ModelArn']} Lookout for Vision model ({model.get('Status')}), owner-tagged")
        except ClientError:
            continue  # the project is gone, and its models with it
    return found


def _project_models(lookout: Any, project: str) -> list[dict[str, Any]]:
    """Every version of the project: those ListModels lists, then those DescribeModel finds up to the latest one."""
    pages = lookout.get_paginator("list_models").paginate(ProjectName=project)
    models = [model for page in pages for model in page["Models"]]
    version = max((int(m["ModelVersion"]) for m in models), default=0) + 1
    latest = _described(lookout, project, "latest")
    newest = int(latest["ModelVersion"]) if latest is not None else 0
    while True:
        described = _described(lookout, project, str(version))
        if described is not None:
            models.append(described)
        elif version > newest:
            return models
        version += 1


def _described(lookout: Any, project: str, version: str) -> dict[str, Any] | None:
    """DescribeModel's ModelDescription, or None when there is no such version."""
    try:
        description: dict[str, Any] = lookout.describe_model(ProjectName=project, ModelVersion=version)[
            "ModelDescription"
        ]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    return description


def _functions(handlers: Handlers, state: StackState) -> list[str]:
    """The stack's functions: invocations still pending, polling rules targeting them; its requests: answered once."""
    problems = []
    functions = [r for r in state.history.values() if r.mode is Mode.LAMBDA]
    events = handlers.cloud.client("events")
    for record in functions:
        arn = _function_arn(handlers, record)
        service = handlers.cloud.function(arn)
        if service is not None:
            try:
                service.wait_idle(0.5)
            except TimeoutError as exc:
                problems.append(f"function {arn}: {exc}")
        problems += [item for item in handlers.functions.pending_at_delete if f" {record.physical_id}:" in f" {item}"]
        for rule in events.list_rule_names_by_target(TargetArn=arn).get("RuleNames", []):
            problems.append(f"EventBridge rule {rule} (a polling rule left behind, targeting {arn})")
    for sent in handlers.custom.sent:
        if sent.stack_id == state.context.stack_id:
            count = len(handlers.cloud.responses.responses(sent.request_id))
            if count > 1:
                problems.append(f"{sent.logical_id} {sent.request_type} request answered {count} times")
    return problems


def _function_arn(handlers: Handlers, record: ResourceRecord) -> str:
    arn = record.attributes.get("Arn")
    return str(arn) if arn else str(record.physical_id)
