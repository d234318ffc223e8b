"""What a destroyed (or rolled back) stack left behind, looking only at that stack.

Every physical resource the stack ever held (its history: replaced and deleted ones too) is looked
up by the handler that played it, in the service that holds it, and its Lookout for Vision custom
resources and owner-tagged model versions through the emulator's API
(``lookoutvision_localcloud.lookoutvision.leftovers``). Then the stack's own functions: no invocation still
pending, no polling rule targeting them, and every custom-resource request of the stack answered
exactly once. Another stack's resources are never looked at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lookoutvision_localcloud.awslambda.cloudformation import function_arn_of
from lookoutvision_localcloud.cloudformation.engine import ABANDONED
from lookoutvision_localcloud.cloudformation.models import StackState
from lookoutvision_localcloud.cloudformation.records import ResourceRecord
from lookoutvision_localcloud.lookoutvision import leftovers as lookoutvision_leftovers

if TYPE_CHECKING:
    from lookoutvision_localcloud.cloud import LocalCloud

NOTHING_LEFT = "no project, dataset or model of the stack in the emulator, no pending invocation, no polling rule"


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


def stack_leftovers(cloud: LocalCloud, state: StackState) -> Leftovers:
    """Everything of the stack ``state`` describes that still exists; retained resources apart."""
    found, reported = _records_left(cloud, state.history.values())
    owned = lookoutvision_leftovers.owned_models(cloud.lookoutvision(), state)
    found.problems += [item for item in owned if item.split(" ")[0] not in reported]
    found.problems += _functions(cloud, state)
    return found


def records_left(cloud: LocalCloud, records: Iterable[ResourceRecord]) -> Leftovers:
    """Which of ``records``' physical resources still exist (e.g. what an update's cleanup could not delete)."""
    return _records_left(cloud, records)[0]


def _records_left(cloud: LocalCloud, records: Iterable[ResourceRecord]) -> tuple[Leftovers, set[str]]:
    """What of ``records`` still exists, each thing once, and the first word of each description (to leave out
    of later checks). A thing two records name (a project lists the dataset and model that their own records
    name too) is listed once, as retained when a retained record names it: its description without the status
    in parentheses is its key."""
    found = Leftovers()
    lookout = cloud.lookoutvision()
    reported: set[str] = set()
    listed: set[str] = set()
    for record in sorted(records, key=lambda record: not record.retained):
        try:
            descriptions = lookoutvision_leftovers.custom_resource_left(lookout, record)
            if descriptions is None:
                descriptions = cloud.resources.for_record(record).existing(record)
        except (ClientError, BotoCoreError) as exc:
            found.problems.append(f"could not check {record.logical_id} ({record.physical_id}): {exc}")
            continue
        descriptions = [description for description in descriptions if _key(description) not in listed]
        listed.update(_key(description) for description in descriptions)
        reported.update(description.split(" ", 1)[0] for description in descriptions)
        if record.note == ABANDONED:
            descriptions = [f"{description}, {ABANDONED}" for description in descriptions]
        (found.retained if record.retained else found.problems).extend(descriptions)
    return found, reported


def _key(description: str) -> str:
    """What a leftover's description names, without its status: ``arn:... Lookout for Vision model``."""
    return description.split(" (", 1)[0]


def _functions(cloud: LocalCloud, state: StackState) -> list[str]:
    """The stack's functions: invocations still pending, polling rules targeting them; its requests: answered once."""
    problems = []
    functions = [r for r in state.history.values() if r.mode == cloud.function_resources.mode]
    events = cloud.client("events")
    for record in functions:
        arn = function_arn_of(record)
        service = cloud.functions.find(arn)
        if service is not None:
            try:
                service.wait_idle(0.5)
            except TimeoutError as exc:
                problems.append(f"function {arn}: {exc}")
        pending = cloud.function_resources.pending_at_delete
        problems += [item for item in pending if f" {record.physical_id}:" in f" {item}"]
        for rule in events.list_rule_names_by_target(TargetArn=arn).get("RuleNames", []):
            problems.append(f"EventBridge rule {rule} (a polling rule left behind, targeting {arn})")
    for sent in cloud.custom_resources.sent:
        if sent.stack_id == state.context.stack_id:
            count = cloud.custom_resources.answers(sent.request_id)
            if count > 1:
                problems.append(f"{sent.logical_id} {sent.request_type} request answered {count} times")
    return problems
