"""Plays a stack operation like CloudFormation: dependency order, concurrency, events, rollback.

Create runs every resource as soon as the resources it depends on are complete (independent
resources concurrently); a failure stops new work, lets what runs finish, then rolls back by
deleting everything created — the failed resource too, with the physical id it answered.
Delete runs the reverse graph; DeletionPolicy Retain skips the call. An update's cleanup (and an
update rollback's) deletes removed resources and replaced physical ids in one reverse graph, and
tries each Delete three times; one that still fails leaves the resource out of the stack, not
deleted (``abandoned``), and the update completes. State is saved after every
resource so a separate run can continue from it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError, UnresolvableError
from lookoutvision_localcloud.cloudformation.intrinsics import Resolver
from lookoutvision_localcloud.cloudformation.models import CleanupItem, StackState, UpdateJournal
from lookoutvision_localcloud.cloudformation.records import (
    STACK_TYPE,
    RequestType,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
    StackEvent,
    Status,
)
from lookoutvision_localcloud.cloudformation.resources import SIMULATED, ResourceHandler
from lookoutvision_localcloud.cloudformation.template import ResourceDefinition, Template, ordering, reverse_graph

# CloudFormation tries a cleanup phase's Delete three times, then removes the resource from the stack.
CLEANUP_ATTEMPTS = 3
# The reason of the UPDATE_COMPLETE event after a cleanup that could not delete everything.
CLEANUP_INCOMPLETE = "Update successful. One or more resources could not be deleted."
# The note a resource left by a cleanup keeps in the stack's history (the leftover check shows it).
ABANDONED = "removed from the stack by an update's cleanup, which could not delete it"
# CloudFormation's reason on the UPDATE_COMPLETE event of a resource ContinueUpdateRollback skips.
SKIPPED = "Resource skipped during UpdateRollback"
# The reason a stack whose operation the local cloud's stop cut off carries on with (``StackOperation.resume``).
RESUMED = "The local cloud stopped during the operation: the requests it was waiting for got no response"


class OperationHalted(Exception):
    """The local cloud stopped: the operation ended as it stood, to be carried on when it starts again."""


class HandlerLookup(Protocol):
    """Chooses the handler for a resource about to be created, and for a recorded one."""

    def for_request(self, resource_type: str, properties: dict[str, Any]) -> ResourceHandler: ...

    def for_record(self, record: ResourceRecord) -> ResourceHandler: ...


class StackStore(Protocol):
    """Where an operation saves its stack after every step, and forgets it once gone (``StackRecorder``)."""

    def save(self, state: StackState) -> None: ...

    def remove(self, stack_name: str) -> None: ...


class StackOperation:
    """One deploy or destroy of a stack; ``events`` and ``durations`` are read for the summary."""

    def __init__(
        self,
        state: StackState,
        handlers: HandlerLookup,
        *,
        store: StackStore | None = None,
        on_event: Callable[[StackEvent], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        max_workers: int = 8,
        halted: threading.Event | None = None,
    ) -> None:
        self.state = state
        self.handlers = handlers
        self.store = store
        self.events: list[StackEvent] = []
        self.durations: dict[str, dict[str, float]] = {}
        self.modes: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        # Resources kept by DeletionPolicy Retain during this operation (no Delete sent).
        self.retained: dict[str, ResourceRecord] = {}
        # Resources a cleanup phase could not delete: out of the stack, still in its history.
        self.abandoned: list[ResourceRecord] = []
        # The template's Outputs, resolved once a deploy or an update completes.
        self.outputs: dict[str, Any] = {}
        self._on_event = on_event
        self._on_notice = on_notice
        self._max_workers = max_workers
        # Set when the local cloud stops: nothing new starts, and the operation ends as it stands (``OperationHalted``).
        self._halted = halted
        self._lock = threading.RLock()
        self._started = time.monotonic()

    # -- deploy ----------------------------------------------------------------------------------

    def deploy(self, template: Template, parameters: Mapping[str, Any] | None = None) -> bool:
        """Create every resource; on a failure roll back. True when the stack is CREATE_COMPLETE."""
        self._set_status(Status.CREATE_IN_PROGRESS, "User Initiated")
        resolver = self._resolver(template, parameters or {})
        graph = _active_graph(template, resolver)

        def create(logical_id: str) -> bool:
            return self._create(template, resolver, graph, logical_id)

        _, failed = self._run(graph, create, stop_on_failure=True)
        if not failed:
            self.outputs = self._outputs(template, resolver)
            self._set_status(Status.CREATE_COMPLETE)
            return True
        names = ", ".join(sorted(failed))
        reason = f"The following resource(s) failed to create: [{names}]. Rollback requested by user."
        self._set_status(Status.ROLLBACK_IN_PROGRESS, reason)
        self._roll_back_create()
        return False

    def _roll_back_create(self) -> bool:
        """A failed creation's rollback: every resource deleted. True when the stack is ROLLBACK_COMPLETE."""
        failed = self._delete_all()
        if not failed:
            self._set_status(Status.ROLLBACK_COMPLETE)
            if self.store is not None:
                self.store.remove(self.state.context.stack_name)
            return True
        names = ", ".join(sorted(failed))
        self._set_status(Status.ROLLBACK_FAILED, f"The following resource(s) failed to delete: [{names}]. ")
        return False

    def _create(self, template: Template, resolver: Resolver, graph: Mapping[str, set[str]], logical_id: str) -> bool:
        definition = template.resources[logical_id]
        self._event(logical_id, definition.resource_type, Status.CREATE_IN_PROGRESS)
        started = time.monotonic()
        properties: dict[str, Any] = {}
        try:
            with self._lock:
                properties = resolver.resolve(definition.properties)
            handler = self.handlers.for_request(definition.resource_type, properties)
            request = ResourceRequest(
                RequestType.CREATE,
                logical_id,
                definition.resource_type,
                properties,
                self.state.context,
                metadata=definition.metadata,
            )
            # Recorded before the call: a run interrupted now still lets destroy find the resource.
            pending = ResourceRecord(
                logical_id=logical_id,
                resource_type=definition.resource_type,
                status=Status.CREATE_IN_PROGRESS,
                mode=handler.mode,
                properties=properties,
                dependencies=sorted(graph[logical_id]),
                retained=definition.retained,
                metadata=definition.metadata,
            )
            with self._lock:
                self.state.resources[logical_id] = pending
            self._save()
            outcome = _guarded(handler.create, request, handler.mode)
        except LocalCloudFormationError as exc:
            outcome = ResourceOutcome.failed(SIMULATED, str(exc))
        record = ResourceRecord(
            logical_id=logical_id,
            resource_type=definition.resource_type,
            status=Status.CREATE_COMPLETE if outcome.success else Status.CREATE_FAILED,
            mode=outcome.mode,
            properties=properties,
            dependencies=sorted(graph[logical_id]),
            physical_id=outcome.physical_id,
            attributes=outcome.attributes,
            retained=definition.retained,
            metadata=definition.metadata,
            note=outcome.note,
            local=outcome.local,
        )
        self._finish(record, "create", started)
        self._event(logical_id, definition.resource_type, record.status, outcome.reason, outcome.physical_id)
        return outcome.success

    # -- update ----------------------------------------------------------------------------------

    def update(self, template: Template, parameters: Mapping[str, Any] | None = None) -> bool:
        """Bring a deployed stack to ``template``: new resources created, changed ones updated (in place or
        replaced, as each handler answers), then replaced and removed ones deleted (cleanup). A failure
        rolls back: updates reverted with the previous properties, what was created deleted. True when the
        stack is UPDATE_COMPLETE, even if the cleanup left resources (``abandoned``), as on CloudFormation.
        What the update changes is kept in the stack's journal (``StackState.update``) until it ends."""
        journal = UpdateJournal(before={key: dataclasses.replace(r) for key, r in self.state.resources.items()})
        self.state.update = journal
        self._set_status(Status.UPDATE_IN_PROGRESS, "User Initiated")
        resolver = self._resolver(template, parameters or {})
        graph = _active_graph(template, resolver)

        def work(logical_id: str) -> bool:
            previous = journal.before.get(logical_id)
            if previous is None or previous.resource_type != template.resources[logical_id].resource_type:
                self._note_change(logical_id, {})
                if previous is not None:  # a new type under the same id: a replacement
                    self._forget(logical_id)
                return self._create(template, resolver, graph, logical_id)
            return self._update(template.resources[logical_id], resolver, graph, previous)

        _, failed = self._run(graph, work, stop_on_failure=True)
        if failed:
            names = ", ".join(sorted(failed))
            reason = f"The following resource(s) failed to update: [{names}]. "
            self._set_status(Status.UPDATE_ROLLBACK_IN_PROGRESS, reason)
            self._roll_back(journal)
            return False
        self.outputs = self._outputs(template, resolver)
        with self._lock:
            # A replaced resource's old physical id; the new template's UpdateReplacePolicy decides whether to keep it.
            journal.cleanup = [
                CleanupItem(old, forget=False, retain=template.resources[key].retained_on_replacement)
                for key in journal.changed
                if (old := journal.before.get(key)) is not None
                and old.physical_id != getattr(self.state.resources.get(key), "physical_id", None)
            ] + [CleanupItem(record, forget=True) for key, record in self.state.resources.items() if key not in graph]
        self._set_status(Status.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)
        return self._complete_update(journal)

    def _complete_update(self, journal: UpdateJournal) -> bool:
        """The update's cleanup phase, then UPDATE_COMPLETE. True."""
        self._clean_up_all(journal)
        self.state.update = None
        self._set_status(Status.UPDATE_COMPLETE, CLEANUP_INCOMPLETE if self.abandoned else "")
        return True

    def continue_rollback(self, skip: Collection[str] = ()) -> bool:
        """ContinueUpdateRollback of a stack in UPDATE_ROLLBACK_FAILED: the resources not reverted yet get their
        rollback Update again, except those in ``skip``, which are marked UPDATE_COMPLETE with no request; then
        the rollback's cleanup. True when the stack is UPDATE_ROLLBACK_COMPLETE. A stack whose journal is lost
        reverts the resources in UPDATE_FAILED to the properties it holds for them."""
        journal = self.state.update or UpdateJournal(
            before={key: dataclasses.replace(record) for key, record in self.state.resources.items()},
            changed={key: r.properties for key, r in self.state.resources.items() if r.status == Status.UPDATE_FAILED},
        )
        self.state.update = journal
        self._set_status(Status.UPDATE_ROLLBACK_IN_PROGRESS, "User Initiated")
        return self._roll_back(journal, frozenset(skip))

    def _roll_back(self, journal: UpdateJournal, skip: frozenset[str] = frozenset()) -> bool:
        """CloudFormation's update rollback: every change not reverted yet is, latest first (what was updated in
        place gets an Update back to its previous properties; a replaced resource's previous physical id comes
        back, the new one going to the cleanup), then, in the cleanup, what the update created is deleted: added
        resources, replacements, and the physical id a rollback Update replaced by answering a new one. A
        resource in ``skip`` is marked UPDATE_COMPLETE as it is. UPDATE_ROLLBACK_FAILED, the journal kept, when
        a revert fails. Returns True when the stack is UPDATE_ROLLBACK_COMPLETE."""
        failed = []
        for logical_id in reversed(list(journal.changed)):
            self._halt_if_asked()
            old = journal.before.get(logical_id)
            with self._lock:
                current = self.state.resources.get(logical_id)
            if old is None:
                pass  # the update added it: deleted in the cleanup
            elif logical_id in skip:
                self._skip(current or old)
            elif current is None or current.physical_id != old.physical_id:  # replaced: the previous one comes back
                if current is not None and current.physical_id:
                    self._note_cleanup(journal, CleanupItem(current, forget=False, retain=current.retained))
                self._finish(dataclasses.replace(old, status=Status.UPDATE_COMPLETE))
            else:
                kept = self._revert(old, journal.changed[logical_id])
                if kept is None:
                    self._halt_if_asked()
                    failed.append(logical_id)
                    continue
                if kept.physical_id != old.physical_id:  # the rollback Update answered a replacement
                    self._note_cleanup(journal, CleanupItem(dataclasses.replace(current), forget=False))
            with self._lock:
                journal.changed.pop(logical_id, None)
            self._save()
        if failed:
            names = ", ".join(sorted(failed))
            self._set_status(Status.UPDATE_ROLLBACK_FAILED, f"The following resource(s) failed to update: [{names}].")
            return False
        with self._lock:
            cleaned = {item.record.logical_id for item in journal.cleanup if item.forget}
            journal.cleanup += [
                CleanupItem(record, forget=True)
                for key, record in self.state.resources.items()
                if key not in journal.before and key not in cleaned
            ]
        self._set_status(Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)
        return self._complete_rollback(journal)

    def _complete_rollback(self, journal: UpdateJournal) -> bool:
        """The rollback's cleanup phase, then UPDATE_ROLLBACK_COMPLETE. True."""
        self._clean_up_all(journal)
        self.state.update = None
        self._set_status(Status.UPDATE_ROLLBACK_COMPLETE)
        return True

    def _skip(self, record: ResourceRecord) -> None:
        """ContinueUpdateRollback's ResourcesToSkip: the resource is marked UPDATE_COMPLETE as it is, no request."""
        self._finish(dataclasses.replace(record, status=Status.UPDATE_COMPLETE))
        self._event(record.logical_id, record.resource_type, Status.UPDATE_COMPLETE, SKIPPED, record.physical_id)

    def _note_change(self, logical_id: str, properties: dict[str, Any]) -> None:
        """Record in the journal, before the request goes, that the update changes ``logical_id``."""
        journal = self.state.update
        if journal is not None:
            with self._lock:
                journal.changed[logical_id] = properties
            self._save()

    def _note_cleanup(self, journal: UpdateJournal, item: CleanupItem) -> None:
        with self._lock:
            journal.cleanup.append(item)
        self._save()

    def _clean_up_all(self, journal: UpdateJournal) -> None:
        """A cleanup phase: the journal's cleanup items deleted together, as CloudFormation does: each before what
        it depends on in the template it came from, independent ones concurrently; each leaves the journal once
        done. A replaced id and a removed (or added) resource never share a logical id: the one is in the
        template the stack ends with, the other is not."""
        with self._lock:
            items = {item.record.logical_id: item for item in journal.cleanup}
        graph = {key: set(item.record.dependencies) & set(items) for key, item in items.items()}

        def clean_up(logical_id: str) -> bool:
            item = items[logical_id]
            with self._lock:
                record = self.state.resources.get(logical_id, item.record) if item.forget else item.record
            self._clean_up(record, forget=item.forget, retain=item.retain)
            with self._lock:
                if item in journal.cleanup:
                    journal.cleanup.remove(item)
            self._save()
            return True

        self._run(reverse_graph(graph), clean_up, stop_on_failure=False)

    def _clean_up(self, record: ResourceRecord, *, forget: bool, retain: bool | None = None) -> bool:
        """A cleanup phase's Delete, tried ``CLEANUP_ATTEMPTS`` times. One that still fails leaves the resource
        out of the stack (``forget``: it was the stack's; otherwise a replaced physical id, already out) and in
        its history, noted as abandoned; the cleanup goes on. Always True: what depends on it is cleaned up too."""
        if self._delete_record(record, forget=forget, retain=retain, attempts=CLEANUP_ATTEMPTS):
            return True
        self._halt_if_asked()  # the Delete got no response: it is sent again when the cleanup is carried on
        abandoned = dataclasses.replace(record, status=Status.DELETE_FAILED, note=ABANDONED)
        with self._lock:
            self.abandoned.append(abandoned)
            self.state.remember(abandoned)
            if forget:
                self.state.resources.pop(record.logical_id, None)
            self.notes[record.logical_id] = f"the cleanup left {record.physical_id} (DELETE_FAILED)"
        self._save()
        return True

    def _update(
        self,
        definition: ResourceDefinition,
        resolver: Resolver,
        graph: Mapping[str, set[str]],
        previous: ResourceRecord,
    ) -> bool:
        logical_id = definition.logical_id
        try:
            with self._lock:
                properties = resolver.resolve(definition.properties)
        except LocalCloudFormationError as exc:
            self._event(logical_id, definition.resource_type, Status.UPDATE_FAILED, str(exc), previous.physical_id)
            return False
        current = self.state.resources[logical_id]
        current.dependencies = sorted(graph[logical_id])
        current.retained = definition.retained
        if properties == previous.properties:
            return True  # no change: no event, as CloudFormation skips it
        self._note_change(logical_id, properties)
        self._event(logical_id, definition.resource_type, Status.UPDATE_IN_PROGRESS, "", previous.physical_id)
        started = time.monotonic()
        handler = self.handlers.for_record(previous)
        request = ResourceRequest(
            RequestType.UPDATE,
            logical_id,
            definition.resource_type,
            properties,
            self.state.context,
            physical_id=previous.physical_id,
            old_properties=previous.properties,
            metadata=definition.metadata,
        )
        outcome = _guarded(handler.update, request, previous.mode)
        record = dataclasses.replace(
            current,
            status=Status.UPDATE_COMPLETE if outcome.success else Status.UPDATE_FAILED,
            properties=properties if outcome.success else previous.properties,
            physical_id=(outcome.physical_id or previous.physical_id) if outcome.success else previous.physical_id,
            attributes=outcome.attributes if outcome.success and outcome.attributes else previous.attributes,
            note=outcome.note,
            local=outcome.local or previous.local,
        )
        self._finish(record, "update", started)
        replaced = outcome.success and record.physical_id != previous.physical_id
        replacement = "Requested update requires the creation of a new physical resource" if replaced else ""
        reason = outcome.reason or replacement
        self._event(logical_id, definition.resource_type, record.status, reason, record.physical_id)
        return outcome.success

    def _revert(self, old: ResourceRecord, requested: dict[str, Any]) -> ResourceRecord | None:
        """Send the Update that takes one resource back to its previous properties (``requested``: the properties
        the update asked for, now the old ones). The record kept is what the rollback Update answers (physical id
        and attributes), as CloudFormation keeps it; None on failure."""
        self._event(old.logical_id, old.resource_type, Status.UPDATE_IN_PROGRESS, "", old.physical_id)
        request = ResourceRequest(
            RequestType.UPDATE,
            old.logical_id,
            old.resource_type,
            old.properties,
            self.state.context,
            physical_id=old.physical_id,
            old_properties=requested,
            metadata=old.metadata,
        )
        outcome = _guarded(self.handlers.for_record(old).update, request, old.mode)
        if not outcome.success:
            self._finish(dataclasses.replace(old, status=Status.UPDATE_FAILED))
            self._event(old.logical_id, old.resource_type, Status.UPDATE_FAILED, outcome.reason, old.physical_id)
            return None
        kept = dataclasses.replace(
            old,
            status=Status.UPDATE_COMPLETE,
            physical_id=outcome.physical_id or old.physical_id,
            attributes=outcome.attributes or old.attributes,
            note=outcome.note or old.note,
            local=outcome.local or old.local,
        )
        self._finish(kept)
        replaced = kept.physical_id != old.physical_id
        reason = "Requested update requires the creation of a new physical resource" if replaced else ""
        self._event(old.logical_id, old.resource_type, Status.UPDATE_COMPLETE, reason, kept.physical_id)
        return kept

    def _outputs(self, template: Template, resolver: Resolver) -> dict[str, Any]:
        """Each output's value (or why it cannot be resolved locally); outputs whose Condition is false are left out."""
        values: dict[str, Any] = {}
        for name, output in template.outputs.items():
            try:
                if output.get("Condition") and not resolver.condition(output["Condition"]):
                    continue
                values[name] = resolver.resolve(output.get("Value"))
            except LocalCloudFormationError as exc:
                values[name] = f"(not resolved: {exc})"
        return values

    def _resolver(self, template: Template, parameters: Mapping[str, Any]) -> Resolver:
        def ref(name: str) -> Any:
            record = self.state.resources.get(name)
            if record is None or not record.status.ready:
                raise UnresolvableError(f"Ref {name}: the resource is not created")
            return record.physical_id

        def get_att(name: str, attribute: str) -> Any:
            record = self.state.resources.get(name)
            if record is None or not record.status.ready:
                raise UnresolvableError(f"Fn::GetAtt {name}.{attribute}: the resource is not created")
            if attribute in record.attributes:
                return record.attributes[attribute]
            if record.mode == SIMULATED:
                return f"{record.physical_id}.{attribute}"  # a stand-in value for a simulated resource
            raise UnresolvableError(
                f"Fn::GetAtt {name}.{attribute}: {record.resource_type} has no attribute {attribute} "
                f"(it has: {', '.join(sorted(record.attributes)) or 'none'})"
            )

        return Resolver(
            self.state.context,
            parameters=parameter_values(template, parameters),
            conditions=template.conditions,
            mappings=template.mappings,
            ref=ref,
            get_att=get_att,
        )

    # -- carrying on -----------------------------------------------------------------------------

    def resume(self, template: Template, parameters: Mapping[str, Any] | None = None) -> bool:
        """Carry on the operation a stop of the local cloud cut off, as CloudFormation carries every operation to
        its end: the requests that were in progress got no response, so a creation or an update rolls back (the
        update's journal says what to revert), a rollback, a cleanup or a deletion goes on. ``template`` and
        ``parameters`` are the stack's (an update's new ones, for the outputs its cleanup ends with). True when
        the stack ends as the operation meant to (CREATE and UPDATE: never)."""
        status = self.state.status
        if status in (Status.CREATE_IN_PROGRESS, Status.ROLLBACK_IN_PROGRESS):
            self._set_status(Status.ROLLBACK_IN_PROGRESS, RESUMED)
            self._roll_back_create()
            return False
        if status == Status.DELETE_IN_PROGRESS:
            return self.destroy(RESUMED)
        journal = self.state.update or UpdateJournal(before=dict(self.state.resources))
        self.state.update = journal
        if status in (Status.UPDATE_IN_PROGRESS, Status.UPDATE_ROLLBACK_IN_PROGRESS):
            self._set_status(Status.UPDATE_ROLLBACK_IN_PROGRESS, RESUMED)
            self._roll_back(journal)
            return False
        if status == Status.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS:
            self.outputs = self._outputs(template, self._resolver(template, parameters or {}))
            self._stack_event(Status.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, RESUMED)
            return self._complete_update(journal)
        if status == Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS:
            self._stack_event(Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, RESUMED)
            return self._complete_rollback(journal)
        raise LocalCloudFormationError(f"no operation of stack {self.state.context.stack_name} to carry on ({status})")

    # -- destroy ---------------------------------------------------------------------------------

    def destroy(self, reason: str = "User Initiated") -> bool:
        """Delete every resource of the stack in reverse order, and the physical ids an update whose rollback
        failed still holds out of the stack (its journal's). True when the stack is DELETE_COMPLETE."""
        self._set_status(Status.DELETE_IN_PROGRESS, reason)
        failed = self._delete_all()
        if not failed:
            self.state.update = None
            self._set_status(Status.DELETE_COMPLETE)
            if self.store is not None:
                self.store.remove(self.state.context.stack_name)
            return True
        names = ", ".join(sorted(failed))
        self._set_status(Status.DELETE_FAILED, f"The following resource(s) failed to delete: [{names}]. ")
        return False

    def _delete_all(self) -> set[str]:
        """Delete the stack's resources and its journal's strays, each before what it depends on; the logical ids
        that could not be deleted."""
        with self._lock:
            records = dict(self.state.resources)
            strays = self._strays()
        nodes = {**records, **strays}
        graph = {key: set(record.dependencies) & set(records) for key, record in nodes.items()}

        def delete(key: str) -> bool:
            if key not in strays:
                return self._delete(key)
            if not self._delete_record(strays[key], forget=False):
                return False
            with self._lock:
                journal = self.state.update
                if journal is not None:
                    journal.cleanup = [item for item in journal.cleanup if item.record is not strays[key]]
                    if strays[key] is journal.before.get(strays[key].logical_id):
                        journal.changed.pop(strays[key].logical_id, None)
            self._save()
            return True

        _, failed = self._run(reverse_graph(graph), delete, stop_on_failure=False)
        return {key.split(" ", 1)[0] for key in failed} or set(self.state.resources)

    def _strays(self) -> dict[str, ResourceRecord]:
        """Physical ids out of the stack that its journal still holds, keyed ``<logical id> <physical id>``: the
        replaced ones a cleanup has yet to delete, and the previous ids of resources a failed rollback did not
        bring back."""
        journal = self.state.update
        if journal is None:
            return {}
        found = [item.record for item in journal.cleanup if not item.forget]
        for key in journal.changed:
            old, current = journal.before.get(key), self.state.resources.get(key)
            if old is not None and old.physical_id and old.physical_id != getattr(current, "physical_id", None):
                found.append(old)
        return {f"{record.logical_id} {record.physical_id}": record for record in found}

    def _delete(self, logical_id: str) -> bool:
        with self._lock:
            record = self.state.resources[logical_id]
        return self._delete_record(record, forget=True)

    def _delete_record(
        self, record: ResourceRecord, *, forget: bool, retain: bool | None = None, attempts: int = 1
    ) -> bool:
        """Delete one resource; ``forget``: drop it from the state (False for a replaced physical id);
        ``retain``: skip the Delete (default: the resource's DeletionPolicy); ``attempts``: how many times a
        failed Delete is sent (one DELETE_FAILED event, with the last reason)."""
        logical_id = record.logical_id
        if record.retained if retain is None else retain:
            with self._lock:
                self.retained[logical_id] = record
                self.state.remember(dataclasses.replace(record, retained=True))
            if forget:
                self._forget(logical_id)
            self.modes[logical_id] = record.mode
            self.notes[logical_id] = "retained (DeletionPolicy Retain)"
            self._event(logical_id, record.resource_type, Status.DELETE_SKIPPED, "", record.physical_id)
            return True
        self._event(logical_id, record.resource_type, Status.DELETE_IN_PROGRESS, "", record.physical_id)
        started = time.monotonic()
        handler = self.handlers.for_record(record)
        request = ResourceRequest(
            RequestType.DELETE,
            logical_id,
            record.resource_type,
            record.properties,
            self.state.context,
            physical_id=record.physical_id,
            metadata=record.metadata,
        )
        outcome = _guarded(handler.delete, request, record.mode)
        for _ in range(attempts - 1):
            if outcome.success or self._halting():
                break
            outcome = _guarded(handler.delete, request, record.mode)
        if outcome.success:
            if forget:
                self._forget(logical_id)
            self._timing(logical_id, "delete", started)
            if outcome.note:
                self.notes[logical_id] = outcome.note
            self._event(logical_id, record.resource_type, Status.DELETE_COMPLETE, "", record.physical_id)
            return True
        if forget:
            record.status = Status.DELETE_FAILED
            self._finish(record, "delete", started)
        self._event(logical_id, record.resource_type, Status.DELETE_FAILED, outcome.reason, record.physical_id)
        return False

    # -- scheduling ------------------------------------------------------------------------------

    def _run(
        self, graph: Mapping[str, set[str]], work: Callable[[str], bool], *, stop_on_failure: bool
    ) -> tuple[set[str], set[str]]:
        """Run ``work`` on each node once its dependencies succeeded, concurrently where possible.

        Ctrl-C starts nothing new and waits for what runs, so that the state records it; a second
        Ctrl-C stops waiting.
        """
        sorter = ordering(graph)  # a node becomes ready once every node it depends on is done
        done: set[str] = set()
        failed: set[str] = set()
        running: dict[Future[bool], str] = {}
        interrupted = False
        pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="resource")
        try:
            while True:
                if not (stop_on_failure and failed) and not interrupted and not self._halting():
                    for node in sorted(sorter.get_ready()):
                        running[pool.submit(work, node)] = node
                if not running:
                    break
                try:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    if interrupted:
                        raise
                    interrupted = True
                    self._notice(
                        f"Interrupted: waiting for {', '.join(sorted(running.values()))} to finish so that the "
                        "state records them (Ctrl-C again to stop now)"
                    )
                    continue
                for future in finished:
                    node = running.pop(future)
                    if future.exception() is None and future.result():
                        done.add(node)
                        sorter.done(node)
                    else:
                        failed.add(node)  # never marked done: what depends on it never starts
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        if interrupted:
            raise KeyboardInterrupt
        self._halt_if_asked()
        return done, failed

    def _halting(self) -> bool:
        return self._halted is not None and self._halted.is_set()

    def _halt_if_asked(self) -> None:
        """OperationHalted once the local cloud stops: the operation ends as it stands, its journal kept."""
        if self._halting():
            self._save()
            raise OperationHalted(f"the local cloud stopped during an operation on {self.state.context.stack_name}")

    # -- bookkeeping -----------------------------------------------------------------------------

    def _finish(self, record: ResourceRecord, phase: str | None = None, started: float = 0.0) -> None:
        """Store the resource's new record (and how long ``phase`` took) and save the state."""
        with self._lock:
            self.state.resources[record.logical_id] = record
            self.state.remember(record)
            self.modes[record.logical_id] = record.mode
            if record.note:
                self.notes[record.logical_id] = record.note
        if phase is not None:
            self._timing(record.logical_id, phase, started)
        self._save()

    def _forget(self, logical_id: str) -> None:
        with self._lock:
            record = self.state.resources.pop(logical_id, None)
            if record is not None:
                self.modes.setdefault(logical_id, record.mode)
        self._save()

    def _timing(self, logical_id: str, phase: str, started: float) -> None:
        with self._lock:
            self.durations.setdefault(logical_id, {})[phase] = time.monotonic() - started

    def _save(self) -> None:
        if self.store is not None:
            with self._lock:
                self.store.save(self.state)

    def _notice(self, text: str) -> None:
        if self._on_notice is not None:
            self._on_notice(text)

    def _set_status(self, status: Status, reason: str = "") -> None:
        """The stack's new status, announced as the stack's own event, then saved (whoever reads the status
        finds the event there already)."""
        self._stack_event(status, reason)
        self.state.status = status
        self._save()

    def _stack_event(self, status: Status, reason: str = "") -> None:
        context = self.state.context
        self._event(context.stack_name, STACK_TYPE, status, reason, context.stack_id)

    def _event(
        self, logical_id: str, resource_type: str, status: Status, reason: str = "", physical_id: str | None = None
    ) -> None:
        now = time.time()
        with self._lock:
            event = StackEvent(
                timestamp=now,
                elapsed=time.monotonic() - self._started,
                stack_name=self.state.context.stack_name,
                logical_id=logical_id,
                resource_type=resource_type,
                status=status,
                reason=reason,
                physical_id=physical_id,
            )
            self.events.append(event)
            if self._on_event is not None:
                self._on_event(event)


def _active_graph(template: Template, resolver: Resolver) -> dict[str, set[str]]:
    """The dependency graph of the resources whose Condition (if any) holds."""
    active = [
        logical_id
        for logical_id, definition in template.resources.items()
        if definition.condition is None or resolver.condition(definition.condition)
    ]
    return template.dependency_graph(active)


def parameter_values(template: Template, given: Mapping[str, Any]) -> dict[str, Any]:
    """Each parameter's value: given, else its Default; list types split on commas."""
    values: dict[str, Any] = {}
    for name, definition in template.parameters.items():
        if name in given:
            value = given[name]
        elif "Default" in definition:
            value = definition["Default"]
        else:
            raise LocalCloudFormationError(f"parameter {name} has no Default: give it with --parameter {name}=VALUE")
        kind = str(definition.get("Type", "String"))
        if isinstance(value, str) and (kind.startswith("List<") or kind == "CommaDelimitedList"):
            value = [item.strip() for item in value.split(",")]
        values[name] = value
    return values


def _guarded(
    action: Callable[[ResourceRequest], ResourceOutcome], request: ResourceRequest, mode: str
) -> ResourceOutcome:
    """Any exception of a handler becomes a failed outcome: the stack is never left waiting."""
    try:
        return action(request)
    except LocalCloudFormationError as exc:
        return ResourceOutcome.failed(mode, str(exc), request.physical_id)
    except Exception as exc:
        return ResourceOutcome.failed(mode, f"Internal failure: {type(exc).__name__}: {exc}", request.physical_id)
