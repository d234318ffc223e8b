"""The stack operation without any service: order, concurrency, rollback, Retain, state, events."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from lookoutvision_localcloud.cloudformation.engine import (
    ABANDONED,
    CLEANUP_INCOMPLETE,
    RESUMED,
    SKIPPED,
    OperationHalted,
    StackOperation,
)
from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.models import StackState
from lookoutvision_localcloud.cloudformation.records import (
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
    StackEvent,
    Status,
)
from lookoutvision_localcloud.cloudformation.resources import SIMULATED
from lookoutvision_localcloud.cloudformation.template import Template

CONTEXT = StackContext(
    stack_name="Demo",
    stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/Demo/1",
    region="us-east-1",
    account_id="123456789012",
)


class FakeHandler:
    """Records every call; fails the logical ids it is told to, answering a physical id anyway."""

    mode = SIMULATED

    def __init__(self, fail_create: set[str] | None = None, fail_delete: set[str] | None = None, delay: float = 0.0):
        self.fail_create = fail_create or set()
        self.fail_delete = fail_delete or set()
        self.fail_update: set[str] = set()
        self.delay = delay
        self.calls: list[tuple[str, str, str | None, dict[str, Any]]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def _enter(self) -> None:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(self.delay)
        with self._lock:
            self.active -= 1

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        self.calls.append(("Create", request.logical_id, None, request.properties))
        self._enter()
        physical_id = f"{request.logical_id}-id"
        if request.logical_id in self.fail_create:
            return ResourceOutcome.failed(self.mode, f"{request.logical_id} broke", physical_id)
        return ResourceOutcome(True, self.mode, physical_id, {"Arn": f"arn:{physical_id}"})

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        self.calls.append(("Update", request.logical_id, request.physical_id, request.properties))
        if request.logical_id in self.fail_update:
            self.fail_update.discard(request.logical_id)  # fails once: the rollback's update succeeds
            return ResourceOutcome.failed(self.mode, f"{request.logical_id} cannot change")
        physical_id = request.physical_id
        if request.properties.get("Replace") != (request.old_properties or {}).get("Replace"):
            physical_id = f"{request.logical_id}-id-{request.properties.get('Replace')}"
        return ResourceOutcome(True, self.mode, physical_id, {"Arn": f"arn:{physical_id}"})

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        self.calls.append(("Delete", request.logical_id, request.physical_id, request.properties))
        self._enter()
        if request.logical_id in self.fail_delete:
            return ResourceOutcome.failed(self.mode, "still in use", request.physical_id)
        return ResourceOutcome(True, self.mode, request.physical_id)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        return None


class Saved:
    """The engine's store, in memory: the document of the state saved last, gone once the stack is removed."""

    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None

    def save(self, state: StackState) -> None:
        self.document = state.to_dict()

    def remove(self, stack_name: str) -> None:
        self.document = None

    def load(self) -> StackState | None:
        return StackState.from_dict(self.document) if self.document is not None else None


class Lookup:
    def __init__(self, handler: FakeHandler) -> None:
        self.handler = handler

    def for_request(self, resource_type: str, properties: dict[str, Any]) -> FakeHandler:
        return self.handler

    def for_record(self, record: ResourceRecord) -> FakeHandler:
        return self.handler


# Project ← Dataset ← Model, and two independent roles; Model's name comes from Project's Ref.
TEMPLATE = Template.parse(
    {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Project": {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "p"}},
            "Dataset": {"Type": "Custom::D", "Properties": {"ProjectName": {"Ref": "Project"}}},
            "Model": {
                "Type": "Custom::M",
                "Properties": {"ProjectName": {"Ref": "Project"}, "Arn": {"Fn::GetAtt": ["Project", "Arn"]}},
                "DependsOn": "Dataset",
            },
            "RoleA": {"Type": "AWS::IAM::Role"},
            "RoleB": {"Type": "AWS::IAM::Role"},
            "Skipped": {"Type": "AWS::IAM::Role", "Condition": "Never"},
            "Kept": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
        },
    }
)


def operation(handler: FakeHandler, store: Saved | None = None, state: StackState | None = None):
    events: list[StackEvent] = []
    op = StackOperation(state or StackState(CONTEXT, "NEW"), Lookup(handler), store=store, on_event=events.append)
    return op, events


def order(handler: FakeHandler, action: str) -> list[str]:
    return [logical_id for kind, logical_id, _, _ in handler.calls if kind == action]


def test_create_runs_dependencies_first_and_resolves_references() -> None:
    handler = FakeHandler()
    op, events = operation(handler)
    assert op.deploy(TEMPLATE)
    created = order(handler, "Create")
    assert "Skipped" not in created  # its condition is false
    assert created.index("Project") < created.index("Dataset") < created.index("Model")
    model_properties = next(props for kind, lid, _, props in handler.calls if lid == "Model")
    assert model_properties == {"ProjectName": "Project-id", "Arn": "arn:Project-id"}
    assert events[0].status is Status.CREATE_IN_PROGRESS and events[0].logical_id == "Demo"
    assert events[-1].status is Status.CREATE_COMPLETE and events[-1].resource_type == "AWS::CloudFormation::Stack"
    assert op.state.resources["Model"].dependencies == ["Dataset", "Project"]


def test_independent_resources_run_concurrently() -> None:
    handler = FakeHandler(delay=0.05)
    op, _ = operation(handler)
    assert op.deploy(TEMPLATE)
    assert handler.max_active >= 3  # Project, RoleA, RoleB, Kept start together


def test_a_failed_create_rolls_back_everything_in_reverse_including_the_failed_resource() -> None:
    handler = FakeHandler(fail_create={"Model"})
    op, events = operation(handler)
    assert not op.deploy(TEMPLATE)
    deleted = order(handler, "Delete")
    assert set(deleted) == {"Model", "Dataset", "Project", "RoleA", "RoleB"}  # Kept is retained
    assert deleted.index("Model") < deleted.index("Dataset") < deleted.index("Project")
    model_delete = next(call for call in handler.calls if call[:2] == ("Delete", "Model"))
    assert model_delete[2] == "Model-id"  # the physical id the failed Create answered
    statuses = [(e.logical_id, e.status) for e in events]
    assert ("Model", Status.CREATE_FAILED) in statuses
    assert ("Kept", Status.DELETE_SKIPPED) in statuses
    assert statuses[-1] == ("Demo", Status.ROLLBACK_COMPLETE)
    assert op.state.resources == {}


def test_no_new_resource_starts_after_a_failure() -> None:
    handler = FakeHandler(fail_create={"Project"})
    op, _ = operation(handler)
    assert not op.deploy(TEMPLATE)
    assert "Dataset" not in order(handler, "Create")
    assert "Model" not in order(handler, "Create")


def test_destroy_skips_retained_and_stops_at_a_failed_delete() -> None:
    store = Saved()
    handler = FakeHandler(fail_delete={"Dataset"})
    op, _ = operation(handler, store)
    assert op.deploy(TEMPLATE)
    assert store.load() is not None
    handler.calls.clear()
    destroy, events = operation(handler, store, state=store.load())
    assert not destroy.destroy()
    deleted = order(handler, "Delete")
    assert "Kept" not in deleted
    assert "Project" not in deleted  # Dataset, which depends on it, failed to delete
    assert {"Model", "RoleA", "RoleB", "Dataset"} <= set(deleted)
    left = store.load()
    assert left is not None and left.status == "DELETE_FAILED"
    assert set(left.resources) == {"Dataset", "Project"}
    assert left.resources["Dataset"].status is Status.DELETE_FAILED
    assert events[-1].status is Status.DELETE_FAILED
    handler.fail_delete.clear()
    again, _ = operation(handler, store, state=store.load())
    assert again.destroy()
    assert store.load() is None


def test_state_round_trips_through_its_document() -> None:
    store = Saved()
    op, _ = operation(FakeHandler(), store)
    assert op.deploy(TEMPLATE)
    loaded = store.load()
    assert loaded is not None
    assert loaded.context == CONTEXT
    assert loaded.status == "CREATE_COMPLETE"
    assert loaded.resources["Project"].physical_id == "Project-id"
    assert loaded.resources["Project"].attributes == {"Arn": "arn:Project-id"}
    assert loaded.resources["Kept"].retained
    assert loaded.context.stack_name == "Demo"


def test_an_unresolvable_reference_fails_the_resource_not_the_run() -> None:
    template = Template.parse(
        {"Resources": {"A": {"Type": "T"}, "B": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["A", "Missing"]}}}}}
    )

    class NoAttributes(FakeHandler):
        def create(self, request: ResourceRequest) -> ResourceOutcome:
            super().create(request)
            return ResourceOutcome(True, "moto", f"{request.logical_id}-id")

    handler = NoAttributes()
    op, events = operation(handler)
    assert not op.deploy(template)
    failure = next(e for e in events if e.status is Status.CREATE_FAILED)
    assert failure.logical_id == "B"
    assert "has no attribute Missing" in failure.reason


def test_a_handler_exception_becomes_a_failed_status() -> None:
    class Broken(FakeHandler):
        def create(self, request: ResourceRequest) -> ResourceOutcome:
            raise RuntimeError("boom")

    op, events = operation(Broken())
    assert not op.deploy(Template.parse({"Resources": {"A": {"Type": "T"}}}))
    failure = next(e for e in events if e.status is Status.CREATE_FAILED)
    assert "RuntimeError: boom" in failure.reason


# -- update -----------------------------------------------------------------------------------------

BASE = {
    "Resources": {
        "Project": {"Type": "P", "Properties": {"Name": "p"}},
        "Model": {"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 1}},
        "Old": {"Type": "O"},
        "Uses": {"Type": "U", "Properties": {"Model": {"Fn::GetAtt": ["Model", "Arn"]}}},
    }
}


def changed(**resources: dict[str, Any] | None) -> Template:
    document = {"Resources": {**BASE["Resources"]}}
    for logical_id, definition in resources.items():
        if definition is None:
            del document["Resources"][logical_id]
        else:
            document["Resources"][logical_id] = definition
    return Template.parse(document)


def deployed(handler: FakeHandler) -> Saved:
    store = Saved()
    op, _ = operation(handler, store)
    assert op.deploy(Template.parse(BASE))
    handler.calls.clear()
    return store


def test_update_in_place_creates_new_and_deletes_removed_resources() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    template = changed(
        Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 2}},
        Old=None,
        New={"Type": "N", "Properties": {"Model": {"Ref": "Model"}}},
    )
    op, events = operation(handler, store, state=store.load())
    assert op.update(template)
    calls = [(kind, lid) for kind, lid, _, _ in handler.calls]
    assert calls[0] == ("Update", "Model")
    # Uses refers to Model's Arn, which did not change: no update; Old goes in the cleanup, last.
    assert calls[1:] == [("Create", "New"), ("Delete", "Old")]
    update = next(call for call in handler.calls if call[:2] == ("Update", "Model"))
    assert update[2] == "Model-id"
    assert ("Project", Status.UPDATE_IN_PROGRESS) not in [(e.logical_id, e.status) for e in events]  # unchanged
    state = store.load()
    assert state is not None and state.status == "UPDATE_COMPLETE"
    assert set(state.resources) == {"Project", "Model", "New", "Uses"}
    assert state.resources["Model"].properties["Hosting"] == 2
    assert events[-1].status is Status.UPDATE_COMPLETE


def test_a_replacement_deletes_the_old_physical_id_in_cleanup() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    template = changed(
        Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 1, "Replace": "v2"}}
    )
    op, events = operation(handler, store, state=store.load())
    assert op.update(template)
    kinds = [(kind, lid, pid) for kind, lid, pid, _ in handler.calls]
    assert kinds.index(("Update", "Uses", "Uses-id")) < kinds.index(("Delete", "Model", "Model-id"))
    state = store.load()
    assert state is not None and state.resources["Model"].physical_id == "Model-id-v2"
    uses = next(props for kind, lid, _, props in handler.calls if (kind, lid) == ("Update", "Uses"))
    assert uses == {"Model": "arn:Model-id-v2"}
    statuses = [e.status for e in events]
    assert statuses.index(Status.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) < statuses.index(Status.DELETE_COMPLETE)


def test_a_failed_update_is_rolled_back() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    template = changed(
        Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 1, "Replace": "v2"}},
        New={"Type": "N"},
    )
    op, events = operation(handler, store, state=store.load())
    assert not op.update(template)
    deleted = {(lid, pid) for kind, lid, pid, _ in handler.calls if kind == "Delete"}
    assert ("Model", "Model-id-v2") in deleted  # the replacement made during the update
    assert ("New", "New-id") in deleted
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE"
    assert state.resources["Model"].physical_id == "Model-id"
    assert state.resources["Model"].properties["Hosting"] == 1
    assert "New" not in state.resources
    assert events[-1].status is Status.UPDATE_ROLLBACK_COMPLETE


def test_a_resource_is_saved_while_it_is_being_created() -> None:
    store = Saved()
    seen: list[Status] = []

    class Watching(FakeHandler):
        def create(self, request: ResourceRequest) -> ResourceOutcome:
            saved = store.load()
            assert saved is not None
            seen.append(saved.resources[request.logical_id].status)
            return super().create(request)

    op, _ = operation(Watching(), store)
    assert op.deploy(Template.parse({"Resources": {"A": {"Type": "T"}}}))
    assert seen == [Status.CREATE_IN_PROGRESS]


def test_update_replace_policy_retain_keeps_the_old_physical_resource() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    model = {
        "Type": "M",
        "Properties": {"Project": {"Ref": "Project"}, "Hosting": 1, "Replace": "v2"},
        "UpdateReplacePolicy": "Retain",
    }
    op, events = operation(handler, store, state=store.load())
    assert op.update(changed(Model=model))
    assert ("Delete", "Model") not in [(kind, lid) for kind, lid, _, _ in handler.calls]
    assert ("Model", Status.DELETE_SKIPPED) in [(e.logical_id, e.status) for e in events]
    assert op.retained["Model"].physical_id == "Model-id"


class AnswersOnRollback(FakeHandler):
    """A resource whose rollback Update (an Update with the previous properties) answers ``answer``."""

    def __init__(self, answer: ResourceOutcome) -> None:
        super().__init__()
        self.answer = answer

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        rollback = request.logical_id == "Model" and request.properties.get("Hosting") == 1
        if not rollback:
            return super().update(request)
        self.calls.append(("Update", request.logical_id, request.physical_id, request.properties))
        return self.answer


def hosting_two_and_a_failing_update() -> Template:
    """Model updated in place (Hosting 1 → 2), then Uses, which depends on it, fails to update."""
    return changed(
        Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 2}},
        Uses={"Type": "U", "Properties": {"Model": {"Fn::GetAtt": ["Model", "Arn"]}, "Changed": True}},
    )


def test_a_rollback_keeps_the_physical_id_and_data_the_rollback_update_answers() -> None:
    """CloudFormation records what the rollback Update answers, and deletes a physical id it replaced."""
    handler = AnswersOnRollback(ResourceOutcome(True, SIMULATED, "Model-id-restored", {"Arn": "arn:restored"}))
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    op, events = operation(handler, store, state=store.load())
    assert not op.update(hosting_two_and_a_failing_update())
    updates = [(lid, pid, props.get("Hosting")) for kind, lid, pid, props in handler.calls if kind == "Update"]
    assert ("Model", "Model-id", 2) in updates and ("Model", "Model-id", 1) in updates  # forward, then back
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE"
    model = state.resources["Model"]
    assert (model.physical_id, model.attributes, model.properties["Hosting"]) == (
        "Model-id-restored",
        {"Arn": "arn:restored"},
        1,
    )
    # The physical id the rollback replaced goes in the rollback's cleanup, after the stack is restored.
    deletes = [(lid, pid) for kind, lid, pid, _ in handler.calls if kind == "Delete"]
    assert deletes == [("Model", "Model-id")]
    statuses = [(e.logical_id, e.status) for e in events]
    assert statuses.index(("Demo", Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)) < statuses.index(
        ("Model", Status.DELETE_COMPLETE)
    )
    assert statuses[-1] == ("Demo", Status.UPDATE_ROLLBACK_COMPLETE)


def test_a_rollback_update_with_the_same_id_keeps_its_new_data() -> None:
    handler = AnswersOnRollback(ResourceOutcome(True, SIMULATED, "Model-id", {"Arn": "arn:Model-id", "Status": "B"}))
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    op, _ = operation(handler, store, state=store.load())
    assert not op.update(hosting_two_and_a_failing_update())
    state = store.load()
    assert state is not None
    assert state.resources["Model"].attributes == {"Arn": "arn:Model-id", "Status": "B"}
    assert [call for call in handler.calls if call[0] == "Delete"] == []


def test_a_failed_rollback_update_leaves_the_stack_update_rollback_failed() -> None:
    handler = AnswersOnRollback(ResourceOutcome.failed(SIMULATED, "cannot go back"))
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    op, events = operation(handler, store, state=store.load())
    assert not op.update(hosting_two_and_a_failing_update())
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_FAILED"
    assert ("Model", Status.UPDATE_FAILED, "cannot go back") in [(e.logical_id, e.status, e.reason) for e in events]


# -- cleanup -----------------------------------------------------------------------------------------


def test_a_cleanup_delete_that_keeps_failing_leaves_the_old_physical_id_out_of_the_stack() -> None:
    """Tried three times, then DELETE_FAILED; the update still completes, the old id stays in the history."""
    handler = FakeHandler(fail_delete={"Model"})
    store = deployed(handler)
    op, events = operation(handler, store, state=store.load())
    assert op.update(changed(Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Replace": "v2"}}))
    assert [(lid, pid) for kind, lid, pid, _ in handler.calls if kind == "Delete"] == [("Model", "Model-id")] * 3
    model_events = [(e.status, e.physical_id, e.reason) for e in events if e.logical_id == "Model"]
    assert model_events[-2:] == [
        (Status.DELETE_IN_PROGRESS, "Model-id", ""),
        (Status.DELETE_FAILED, "Model-id", "still in use"),
    ]
    assert (events[-1].status, events[-1].reason) == (Status.UPDATE_COMPLETE, CLEANUP_INCOMPLETE)
    state = store.load()
    assert state is not None and state.status == "UPDATE_COMPLETE"
    assert (state.resources["Model"].physical_id, state.resources["Model"].status) == (
        "Model-id-v2",
        Status.UPDATE_COMPLETE,
    )
    left = state.history["Model|Model-id"]
    assert (left.status, left.note) == (Status.DELETE_FAILED, ABANDONED)
    assert [(record.logical_id, record.physical_id) for record in op.abandoned] == [("Model", "Model-id")]


def test_a_removed_resource_that_cannot_be_deleted_leaves_the_stack_and_the_cleanup_goes_on() -> None:
    handler = FakeHandler(fail_delete={"Uses"})
    store = deployed(handler)
    op, events = operation(handler, store, state=store.load())
    assert op.update(changed(Uses=None, Model=None))
    # Uses depends on Model: its failed Delete does not stop Model's.
    assert order(handler, "Delete") == ["Uses", "Uses", "Uses", "Model"]
    assert ("Uses", Status.DELETE_FAILED) in [(e.logical_id, e.status) for e in events]
    assert events[-1].reason == CLEANUP_INCOMPLETE
    state = store.load()
    assert state is not None and state.status == "UPDATE_COMPLETE"
    assert set(state.resources) == {"Project", "Old"}  # Uses is no longer the stack's, though it exists
    assert state.history["Uses|Uses-id"].note == ABANDONED
    # A later destroy deletes what the stack holds, not what it abandoned.
    handler.calls.clear()
    destroy, _ = operation(handler, store, state=state)
    assert destroy.destroy()
    assert sorted(order(handler, "Delete")) == ["Old", "Project"]


def test_an_update_rollback_whose_cleanup_cannot_delete_an_added_resource_completes() -> None:
    handler = FakeHandler(fail_delete={"New"})
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    op, events = operation(handler, store, state=store.load())
    template = changed(
        New={"Type": "N"},
        Uses={"Type": "U", "Properties": {"Model": {"Fn::GetAtt": ["Model", "Arn"]}, "Changed": True}},
    )
    assert not op.update(template)
    assert order(handler, "Delete") == ["New"] * 3
    statuses = [(e.logical_id, e.status) for e in events]
    assert statuses.index(("Demo", Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)) < statuses.index(
        ("New", Status.DELETE_FAILED)
    )
    assert statuses[-1] == ("Demo", Status.UPDATE_ROLLBACK_COMPLETE)
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE"
    assert "New" not in state.resources
    assert state.history["New|New-id"].note == ABANDONED
    assert [record.logical_id for record in op.abandoned] == ["New"]


def replaced_model() -> dict[str, Any]:
    """Model with a property whose change the handler answers with a new physical id."""
    return {"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 1, "Replace": "v2"}}


def deletes(handler: FakeHandler) -> list[tuple[str, str | None]]:
    return [(logical_id, physical_id) for kind, logical_id, physical_id, _ in handler.calls if kind == "Delete"]


def test_a_replaced_physical_id_is_deleted_before_a_removed_resource_it_depended_on() -> None:
    """A model moved away from the rights it was created with: its old id goes first, then the rights."""
    handler = FakeHandler()
    store = Saved()
    op, _ = operation(handler, store)
    base = {**BASE["Resources"], "Access": {"Type": "A"}}
    base["Model"] = {**base["Model"], "DependsOn": "Access"}
    assert op.deploy(Template.parse({"Resources": base}))
    handler.calls.clear()
    update, _ = operation(handler, store, state=store.load())
    assert update.update(changed(Model=replaced_model()))  # Access is not in BASE: removed
    assert deletes(handler) == [("Model", "Model-id"), ("Access", "Access-id")]


def test_a_removed_resource_is_deleted_before_the_replaced_physical_id_it_depended_on() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    op, _ = operation(handler, store, state=store.load())
    assert op.update(changed(Model=replaced_model(), Uses=None))  # Uses referred to the old Model's Arn
    assert deletes(handler) == [("Uses", "Uses-id"), ("Model", "Model-id")]


def test_a_cleanup_deletes_independent_replaced_and_removed_resources_concurrently() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    handler.delay, handler.max_active = 0.2, 0
    op, _ = operation(handler, store, state=store.load())
    assert op.update(changed(Model=replaced_model(), Old=None))
    assert sorted(deletes(handler)) == [("Model", "Model-id"), ("Old", "Old-id")]
    assert handler.max_active == 2


def test_a_rollback_cleanup_deletes_an_added_resource_before_the_replacement_it_depends_on() -> None:
    handler = FakeHandler()
    store = deployed(handler)
    handler.fail_update = {"Uses"}
    op, events = operation(handler, store, state=store.load())
    new = {"Type": "N", "Properties": {"Of": {"Fn::GetAtt": ["Model", "Arn"]}}}  # made after Model's replacement
    assert not op.update(changed(Model=replaced_model(), New=new))
    assert deletes(handler) == [("New", "New-id"), ("Model", "Model-id-v2")]
    assert events[-1].status is Status.UPDATE_ROLLBACK_COMPLETE


# -- continuing a rollback, carrying on after a stop of the local cloud -------------------------------


class RollbackFails(FakeHandler):
    """Every Update of ``failing`` fails (forward and rollback) until the set is emptied."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing
        self.old_properties: list[tuple[str, dict[str, Any] | None]] = []

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        self.old_properties.append((request.logical_id, request.old_properties))
        if request.logical_id in self.failing:
            self.calls.append(("Update", request.logical_id, request.physical_id, request.properties))
            return ResourceOutcome.failed(self.mode, f"{request.logical_id} cannot change")
        return super().update(request)


def rollback_failed(handler: RollbackFails) -> Saved:
    """Model updated in place (Hosting 1 → 2); Uses, which depends on it, fails, and so does its rollback Update."""
    store = deployed(handler)
    op, _ = operation(handler, store, state=store.load())
    assert not op.update(hosting_two_and_a_failing_update())
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_FAILED"
    handler.calls.clear()
    return store


def test_a_failed_rollback_keeps_what_is_left_to_revert_in_the_stacks_document() -> None:
    handler = RollbackFails({"Uses"})
    state = rollback_failed(handler).load()
    assert state is not None and state.update is not None
    assert list(state.update.changed) == ["Uses"]  # Model was reverted; Uses is what is left
    assert state.update.before["Model"].properties["Hosting"] == 1
    assert state.failed_rollbacks() == ["Uses"]
    assert state.resources["Model"].properties["Hosting"] == 1


def test_continuing_a_rollback_sends_the_failed_rollback_update_again_and_completes() -> None:
    handler = RollbackFails({"Uses"})
    store = rollback_failed(handler)
    handler.failing.clear()  # the cause is fixed
    op, events = operation(handler, store, state=store.load())

    assert op.continue_rollback()

    assert [(kind, lid) for kind, lid, _, _ in handler.calls] == [("Update", "Uses")]
    assert handler.old_properties[-1][1] == {"Model": "arn:Model-id", "Changed": True}  # the update's properties
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE" and state.update is None
    assert "Changed" not in state.resources["Uses"].properties
    assert (events[0].logical_id, events[0].status) == ("Demo", Status.UPDATE_ROLLBACK_IN_PROGRESS)


def test_continuing_a_rollback_skips_the_resources_to_skip_as_they_are() -> None:
    handler = RollbackFails({"Uses"})
    store = rollback_failed(handler)
    op, events = operation(handler, store, state=store.load())

    assert op.continue_rollback(skip={"Uses"})

    assert handler.calls == []
    assert ("Uses", Status.UPDATE_COMPLETE, SKIPPED) in [(e.logical_id, e.status, e.reason) for e in events]
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE"
    assert state.resources["Uses"].status == Status.UPDATE_COMPLETE


def test_a_rollback_that_fails_again_stays_update_rollback_failed() -> None:
    handler = RollbackFails({"Uses"})
    store = rollback_failed(handler)
    op, events = operation(handler, store, state=store.load())
    assert not op.continue_rollback()
    assert (events[-1].status, events[-1].reason) == (
        Status.UPDATE_ROLLBACK_FAILED,
        "The following resource(s) failed to update: [Uses].",
    )


def test_deleting_a_stack_whose_rollback_failed_deletes_the_replaced_ids_it_still_holds() -> None:
    """Model was replaced (its new id went to the rollback's cleanup, which never ran): both ids are deleted."""
    handler = RollbackFails(set())
    store = deployed(handler)
    handler.failing.add("Uses")
    template = changed(
        Model=replaced_model(),
        Uses={"Type": "U", "Properties": {"Model": {"Fn::GetAtt": ["Model", "Arn"]}, "Changed": True}},
    )
    op, _ = operation(handler, store, state=store.load())
    assert not op.update(template)
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_FAILED"
    assert [item.record.physical_id for item in state.update.cleanup] == ["Model-id-v2"]  # type: ignore[union-attr]
    handler.calls.clear()
    op, _ = operation(handler, store, state=state)

    assert op.destroy()

    assert ("Model", "Model-id-v2") in deletes(handler) and ("Model", "Model-id") in deletes(handler)
    assert store.load() is None


class Halting(FakeHandler):
    """The local cloud stops (``halted`` set) while ``logical_id``'s ``request_type`` request is in progress, which
    then gets no response."""

    def __init__(self, logical_id: str, request_type: str) -> None:
        super().__init__()
        self.halted = threading.Event()
        self.when = (request_type, logical_id)

    def _stop_here(self, request: ResourceRequest) -> bool:
        if (request.request_type.value, request.logical_id) != self.when or self.halted.is_set():
            return False
        self.calls.append((request.request_type.value, request.logical_id, request.physical_id, request.properties))
        self.halted.set()
        return True

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        if self._stop_here(request):
            return ResourceOutcome.failed(self.mode, "the local cloud stopped", f"{request.logical_id}-made-up")
        return super().create(request)

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        if self._stop_here(request):
            return ResourceOutcome.failed(self.mode, "the local cloud stopped")
        return super().update(request)

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        if self._stop_here(request):
            return ResourceOutcome.failed(self.mode, "the local cloud stopped", request.physical_id)
        return super().delete(request)


def halted_operation(handler: Halting, store: Saved, state: StackState | None = None):
    events: list[StackEvent] = []
    state = state or StackState(CONTEXT, "NEW")
    op = StackOperation(state, Lookup(handler), store=store, on_event=events.append, halted=handler.halted)
    return op, events


def carried_on(handler: Halting, store: Saved) -> tuple[StackOperation, list[StackEvent]]:
    """The operation of a new local cloud on what the stopped one saved."""
    handler.calls.clear()
    return operation(handler, store, state=store.load())


def test_an_update_cut_off_by_a_stop_ends_as_it_stands_and_is_rolled_back_when_carried_on() -> None:
    handler = Halting("Model", "Update")
    store = Saved()
    op, _ = halted_operation(handler, store)
    assert op.deploy(Template.parse(BASE))
    op, events = halted_operation(handler, store, state=store.load())

    with pytest.raises(OperationHalted):
        op.update(changed(Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 2}}))

    saved = store.load()
    assert saved is not None and saved.status == "UPDATE_IN_PROGRESS"
    assert saved.update is not None and list(saved.update.changed) == ["Model"]
    assert Status.UPDATE_ROLLBACK_IN_PROGRESS not in [e.status for e in events]  # nothing new started
    op, events = carried_on(handler, store)
    assert not op.resume(changed(Model={"Type": "M", "Properties": {"Project": {"Ref": "Project"}, "Hosting": 2}}))
    assert [(kind, lid, props.get("Hosting")) for kind, lid, _, props in handler.calls] == [("Update", "Model", 1)]
    assert (events[0].status, events[0].reason) == (Status.UPDATE_ROLLBACK_IN_PROGRESS, RESUMED)
    state = store.load()
    assert state is not None and state.status == "UPDATE_ROLLBACK_COMPLETE" and state.update is None


def test_a_creation_cut_off_by_a_stop_is_rolled_back_when_carried_on() -> None:
    handler = Halting("Model", "Create")
    store = Saved()
    op, _ = halted_operation(handler, store)
    with pytest.raises(OperationHalted):
        op.deploy(TEMPLATE)
    op, events = carried_on(handler, store)
    assert not op.resume(TEMPLATE)
    assert ("Model", "Model-made-up") in deletes(handler)  # the id the cut-off Create was answered
    assert (events[0].status, events[-1].status) == (Status.ROLLBACK_IN_PROGRESS, Status.ROLLBACK_COMPLETE)


def test_a_deletion_cut_off_by_a_stop_goes_on_when_carried_on() -> None:
    handler = Halting("Model", "Delete")
    store = Saved()
    op, _ = halted_operation(handler, store)
    assert op.deploy(TEMPLATE)
    op, _ = halted_operation(handler, store, state=store.load())
    with pytest.raises(OperationHalted):
        op.destroy()
    saved = store.load()
    assert saved is not None and saved.status == "DELETE_IN_PROGRESS" and "Project" in saved.resources
    op, events = carried_on(handler, store)
    assert op.resume(TEMPLATE)
    assert order(handler, "Delete")[0] == "Model"
    assert events[-1].status is Status.DELETE_COMPLETE and store.load() is None


def test_a_cleanup_cut_off_by_a_stop_goes_on_when_carried_on() -> None:
    handler = Halting("Model", "Delete")
    store = Saved()
    op, _ = halted_operation(handler, store)
    assert op.deploy(Template.parse(BASE))
    template = changed(Model=replaced_model(), Old=None)
    op, _ = halted_operation(handler, store, state=store.load())
    with pytest.raises(OperationHalted):
        op.update(template)
    saved = store.load()
    assert saved is not None and saved.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    op, events = carried_on(handler, store)
    assert op.resume(template)
    assert ("Model", "Model-id") in deletes(handler)
    assert events[-1].status is Status.UPDATE_COMPLETE
    state = store.load()
    assert state is not None and state.update is None and "Old" not in state.resources
