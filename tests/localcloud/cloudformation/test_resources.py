"""The registry of resource handlers: which handler plays a type, what nothing plays, and what a change set refuses."""

from __future__ import annotations

from typing import Any

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    RequestType,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
    Status,
)
from lookoutvision_localcloud.cloudformation.resources import (
    SIMULATED,
    ResourceHandler,
    ResourceTypes,
    is_custom_resource_type,
    physical_name,
)
from lookoutvision_localcloud.cloudformation.template import Template

CONTEXT = StackContext(
    stack_name="Demo",
    stack_id="arn:aws:cloudformation:eu-west-1:111122223333:stack/Demo/1",
    region="eu-west-1",
    account_id="111122223333",
)


class Plays(ResourceHandler):
    """Plays its types, refusing a ``Runtime`` other than python, serving only when ``Token`` is "served"."""

    def __init__(self, mode: str, plays: str) -> None:
        self.mode, self.plays = mode, plays
        self.restored: list[str] = []

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        return ResourceOutcome(True, self.mode, f"{request.logical_id}-id")

    def refusal(self, definition: Any) -> str | None:
        runtime = definition.properties.get("Runtime")
        return f"with Runtime {runtime}" if runtime not in (None, "python3.13") else None

    def serves(self, properties: dict[str, Any]) -> bool:
        return properties.get("Token") == "served"

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        if record.logical_id == "Broken":
            raise RuntimeError("its code is gone")
        self.restored.append(record.logical_id)


def registry(*, simulate: bool = False) -> tuple[ResourceTypes, Plays, Plays]:
    types = ResourceTypes(simulate=simulate)
    functions, custom = Plays("local lambda", "Python functions"), Plays("custom resource", "custom resources")
    types.add(functions, ["AWS::Lambda::Function"])
    types.add(custom, matches=is_custom_resource_type)
    return types, functions, custom


def test_a_handler_is_found_by_type_by_match_and_by_the_mode_a_record_keeps() -> None:
    types, functions, custom = registry()
    assert types.for_request("AWS::Lambda::Function", {}) is functions
    assert types.for_request("Custom::Anything", {}) is custom
    assert types.for_request("AWS::CloudFormation::CustomResource", {}) is custom
    record = ResourceRecord("Fn", "AWS::Lambda::Function", Status.CREATE_COMPLETE, "local lambda", {}, [])
    assert types.for_record(record) is functions


def test_a_type_nothing_plays_is_recorded_only() -> None:
    types, _, _ = registry()
    handler = types.for_request("AWS::SQS::Queue", {})
    assert handler.mode == SIMULATED
    request = ResourceRequest(RequestType.CREATE, "Queue", "AWS::SQS::Queue", {}, CONTEXT)
    outcome = handler.create(request)
    assert outcome.success and outcome.note == "no local service for this type"
    assert outcome.physical_id is not None and outcome.physical_id.startswith("Demo-Queue-")
    assert outcome.attributes["Arn"] == f"arn:aws:sqs:eu-west-1:111122223333:{outcome.physical_id}"


def test_what_a_handler_cannot_serve_is_simulated_only_when_asked() -> None:
    strict, _, custom = registry()
    assert strict.for_request("Custom::Thing", {"Token": "nobody"}) is custom  # it then fails, as CloudFormation
    lenient, _, custom = registry(simulate=True)
    assert lenient.for_request("Custom::Thing", {"Token": "nobody"}).mode == SIMULATED
    assert lenient.for_request("Custom::Thing", {"Token": "served"}) is custom


def test_a_change_set_names_each_type_it_cannot_play_and_its_logical_ids() -> None:
    types, _, _ = registry()
    template = Template.parse(
        {
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue"},
                "Topic": {"Type": "AWS::SNS::Topic"},
                "OtherQueue": {"Type": "AWS::SQS::Queue"},
                "Node": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x"}},
                "Python": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.13"}},
                "Metadata": {"Type": "AWS::CDK::Metadata"},
                "Thing": {"Type": "Custom::Thing"},
            }
        }
    )
    assert types.unsupported(template.resources) == [
        "AWS::Lambda::Function with Runtime nodejs20.x (Node)",
        "AWS::SQS::Queue (OtherQueue, Queue)",
        "AWS::SNS::Topic (Topic)",
    ]
    assert types.described() == "Python functions; custom resources"


def test_restore_brings_records_back_in_creation_order_and_reports_what_it_could_not() -> None:
    types, functions, _ = registry()

    def record(logical_id: str, dependencies: list[str], physical_id: str | None = "id") -> ResourceRecord:
        return ResourceRecord(
            logical_id, "AWS::Lambda::Function", Status.CREATE_COMPLETE, "local lambda", {}, dependencies, physical_id
        )

    records = {
        "Late": record("Late", ["Early"]),
        "Early": record("Early", []),
        "Broken": record("Broken", []),
        "NeverCreated": record("NeverCreated", [], physical_id=None),
    }
    warnings = types.restore(records, CONTEXT)
    assert functions.restored == ["Early", "Late"]
    assert warnings == ["Broken: could not restore the local local lambda: its code is gone"]


def test_a_generated_name_fits_and_keeps_the_stack_and_logical_id() -> None:
    long_id = "A" * 80
    name = physical_name(CONTEXT, long_id, max_length=40, lowercase=True)
    assert len(name) <= 40
    assert name.startswith("demo-aaaa") and name == name.lower()
