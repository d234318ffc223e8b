"""Stack operations in the background: one thread per executed change set, deleted stack, continued rollback or
operation carried on after a restart.

The stack's status changes when the operation starts; the engine then plays it, each event
recorded in the stack and the stack's document written. When the stack's own event says the
operation ended, the operation's end is made in the same step (a change set's outputs, or the
stack as it was before an update that rolled back), so that whoever reads the final status finds
them. A stop of the local cloud ends every operation as it stands (the engine's
``OperationHalted``); when the local cloud starts again, ``resume`` carries it on.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection
from typing import Any

from lookoutvision_localcloud.cloudformation import change_sets, descriptions
from lookoutvision_localcloud.cloudformation.engine import HandlerLookup, OperationHalted, StackOperation
from lookoutvision_localcloud.cloudformation.models import ChangeSet, Stack
from lookoutvision_localcloud.cloudformation.persistence import StackFiles, StackRecorder
from lookoutvision_localcloud.cloudformation.records import STACK_TYPE, StackEvent, Status
from lookoutvision_localcloud.cloudformation.template import load_template_body

logger = logging.getLogger(__name__)

# The statuses of a stack whose operation a stop of the local cloud cut off.
RESUMABLE = frozenset(
    {
        Status.CREATE_IN_PROGRESS,
        Status.ROLLBACK_IN_PROGRESS,
        Status.UPDATE_IN_PROGRESS,
        Status.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS,
        Status.UPDATE_ROLLBACK_IN_PROGRESS,
        Status.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS,
        Status.DELETE_IN_PROGRESS,
    }
)
# The final statuses in which an update's rollback has ended (the stack as it was before comes back).
_ROLLED_BACK = frozenset({Status.UPDATE_ROLLBACK_COMPLETE, Status.UPDATE_ROLLBACK_FAILED})


class StackOperations:
    """The operations of one CloudFormation API: ``lock`` is the API's, held while a stack changes; ``halted`` is
    set when the local cloud stops (every operation then ends as it stands)."""

    def __init__(
        self,
        resources: HandlerLookup,
        files: StackFiles,
        lock: threading.RLock,
        *,
        max_workers: int = 8,
        halted: threading.Event | None = None,
    ) -> None:
        self._resources = resources
        self._files = files
        self._lock = lock
        self._max_workers = max_workers
        self._halted = halted
        self._threads: dict[str, threading.Thread] = {}
        # Per stack id: what the running operation does when the stack's status becomes final.
        self._endings: dict[str, Callable[[str], None]] = {}

    def start(self, stack: Stack, change_set: ChangeSet | None, token: str | None) -> None:
        """Run the change set (None: delete the stack) in the background. The stack's status changes now."""
        kind = "DELETE" if change_set is None else change_set.change_set_type
        status = {"DELETE": Status.DELETE_IN_PROGRESS, "CREATE": Status.CREATE_IN_PROGRESS}.get(
            kind, Status.UPDATE_IN_PROGRESS
        )
        if change_set is None:
            self._launch(stack, status, token, "DELETE_STACK", lambda operation: operation.destroy())
            return
        template = change_sets.parse_template(change_set.template_body)
        if kind == "UPDATE":
            stack.previous = _stack_before(stack)
        _apply(stack, change_set)

        def run(operation: StackOperation) -> None:
            if kind == "CREATE":
                operation.deploy(template, change_set.values)
            else:
                operation.update(template, change_set.values)

        self._launch(stack, status, token, f"{kind}_STACK", run, change_set=change_set)

    def continue_rollback(self, stack: Stack, skip: Collection[str], token: str | None) -> None:
        """ContinueUpdateRollback in the background (``skip``: the ResourcesToSkip). The stack's status changes now."""
        running = Status.UPDATE_ROLLBACK_IN_PROGRESS
        self._launch(stack, running, token, "CONTINUE_ROLLBACK", lambda operation: operation.continue_rollback(skip))

    def resume(self, stack: Stack) -> None:
        """Carry on in the background the operation a stop of the local cloud cut off (``StackOperation.resume``)."""
        template = change_sets.parse_template(stack.template_body)
        change_set = stack.change_sets.get(stack.last_change_set_id or "")

        def run(operation: StackOperation) -> None:
            operation.resume(template, stack.values)

        kind = "DELETE" if "DELETE" in stack.status else "UPDATE" if "UPDATE" in stack.status else "CREATE"
        self._launch(stack, Status(stack.status), None, f"{kind}_STACK", run, change_set=change_set, resumed=True)

    def record_event(
        self, stack: Stack, event: StackEvent, operation_id: str, token: str | None, operation_type: str
    ) -> None:
        """Add an engine event to the stack's events; the stack's own final event ends its operation."""
        with self._lock:
            stack.events.append(descriptions.stack_event(stack, event, operation_id, token, operation_type))
            if event.resource_type == STACK_TYPE and event.logical_id == stack.name:
                # A rollback's end keeps the reason it started with: which resources failed.
                stack.status_reason = event.reason or (stack.status_reason if "ROLLBACK" in event.status else "")
                # The engine sets the status just after this event: whoever reads the final status
                # finds the outputs (or the stack before a rolled-back update) already in place.
                ending = self._endings.pop(stack.stack_id, None) if not event.status.endswith("_IN_PROGRESS") else None
                if ending is not None:
                    ending(str(event.status))
            self._files.save(stack, self._lock)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait (real seconds) until no stack operation runs; False when one still runs at the timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                running = [thread for thread in self._threads.values() if thread.is_alive()]
            if not running:
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            running[0].join(remaining)

    def _launch(
        self,
        stack: Stack,
        status: Status,
        token: str | None,
        operation_type: str,
        run: Callable[[StackOperation], Any],
        *,
        change_set: ChangeSet | None = None,
        resumed: bool = False,
    ) -> None:
        """Set the stack's status (unless ``resumed``: it is the one the operation was cut off in), then ``run`` the
        engine's operation in a thread of its own."""
        operation_id = str(uuid.uuid4())
        if not resumed:
            stack.state.status = status
            stack.status_reason = "User Initiated"
        self._files.save(stack, self._lock)
        operation = StackOperation(
            stack.state,
            self._resources,
            store=StackRecorder(self._files, stack, lock=self._lock),
            on_event=lambda event: self.record_event(stack, event, operation_id, token, operation_type),
            max_workers=self._max_workers,
            halted=self._halted,
        )
        with self._lock:
            self._endings[stack.stack_id] = lambda final: _end(stack, change_set, final, operation)
        thread = threading.Thread(target=self._run, args=(stack, operation, run), name=f"stack-{stack.name}")
        thread.daemon = True
        self._threads[stack.stack_id] = thread
        thread.start()

    def _run(self, stack: Stack, operation: StackOperation, run: Callable[[StackOperation], Any]) -> None:
        try:
            run(operation)
        except OperationHalted as exc:
            logger.warning("%s: it is carried on when the local cloud starts again", exc)
        except Exception:
            logger.exception("the operation on stack %s ended with an error", stack.name)
            with self._lock:
                failed = {"CREATE_IN_PROGRESS": "ROLLBACK_FAILED", "DELETE_IN_PROGRESS": "DELETE_FAILED"}
                stack.state.status = failed.get(stack.status, "UPDATE_ROLLBACK_FAILED")
                stack.status_reason = "Internal failure of the local cloud: see the serve log"
        finally:
            with self._lock:
                self._endings.pop(stack.stack_id, None)
                if stack.status == Status.DELETE_COMPLETE:
                    stack.deleted = time.time()
            self._files.save(stack, self._lock)


def _stack_before(stack: Stack) -> dict[str, Any]:
    """What an update's rollback brings back of the stack as the API describes it."""
    return {
        "TemplateBody": stack.template_body,
        "Parameters": stack.parameters,
        "Values": stack.values,
        "Outputs": stack.outputs,
        "Description": stack.description,
    }


def _apply(stack: Stack, change_set: ChangeSet) -> None:
    """The change set's template, parameters and tags become the stack's (restored if an update rolls back)."""
    stack.template_body = change_set.template_body
    stack.parameters, stack.values = change_set.parameters, change_set.values
    stack.tags, stack.capabilities = change_set.tags, change_set.capabilities
    stack.description = load_template_body(change_set.template_body).get("Description")
    if change_set.change_set_type == "UPDATE":
        stack.updated = time.time()


def _end(stack: Stack, change_set: ChangeSet | None, status: str, operation: StackOperation) -> None:
    """The operation's end, made with the stack's final status (its event): a change set's execution status and
    its outputs; the stack as it was before, once an update's rollback has ended."""
    if change_set is not None:
        succeeded = status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
        change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
        stack.change_sets.pop(change_set.change_set_id, None)  # an executed change set is gone, as on AWS
    if status == Status.UPDATE_COMPLETE or (status == Status.CREATE_COMPLETE and stack.template_body):
        template = change_sets.parse_template(stack.template_body)
        stack.outputs = descriptions.outputs(stack, template, operation.outputs)
    if status in _ROLLED_BACK and stack.previous is not None:
        before = stack.previous
        stack.template_body, stack.parameters = before["TemplateBody"], before["Parameters"]
        stack.values, stack.outputs, stack.description = before["Values"], before["Outputs"], before["Description"]
    if not status.endswith("_IN_PROGRESS"):
        stack.previous = None
