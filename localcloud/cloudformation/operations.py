"""Stack operations in the background: one thread per executed change set or deleted stack.

The stack's status changes when the operation starts; the engine then plays it, each event
recorded in the stack and the stack's document written. When the stack's own event says the
operation ended, the change set's end is made in the same step (its outputs, or the stack as it
was before an update that rolled back), so that whoever reads the final status finds them.
A stack found in progress when the local cloud starts ended with the process: ``interrupted``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from lookoutvision_localcloud.cloudformation import change_sets, descriptions
from lookoutvision_localcloud.cloudformation.engine import HandlerLookup, StackOperation
from lookoutvision_localcloud.cloudformation.models import ChangeSet, Stack
from lookoutvision_localcloud.cloudformation.persistence import StackFiles, StackRecorder
from lookoutvision_localcloud.cloudformation.records import STACK_TYPE, StackEvent, Status
from lookoutvision_localcloud.cloudformation.template import Template, load_template_body

logger = logging.getLogger(__name__)

# What a stack found in progress when the local cloud starts becomes: its operation ended with the process.
_INTERRUPTED = {
    "CREATE_IN_PROGRESS": "ROLLBACK_FAILED",
    "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
    "UPDATE_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS": "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "UPDATE_ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS": "DELETE_FAILED",
}
_Previous = tuple[str, list[dict[str, Any]], dict[str, Any], list[dict[str, str]], str | None]


def interrupted(stack: Stack) -> bool:
    """Mark a stack whose operation was running when the local cloud stopped as failed; True if it was."""
    if stack.status not in _INTERRUPTED:
        return False
    stack.state.status = _INTERRUPTED[stack.status]
    stack.status_reason = "the local cloud stopped during the operation"
    return True


class StackOperations:
    """The operations of one CloudFormation API: ``lock`` is the API's, held while a stack changes."""

    def __init__(
        self, resources: HandlerLookup, files: StackFiles, lock: threading.RLock, *, max_workers: int = 8
    ) -> None:
        self._resources = resources
        self._files = files
        self._lock = lock
        self._max_workers = max_workers
        self._threads: dict[str, threading.Thread] = {}
        # Per stack id: what a running change set does when the stack's status becomes final.
        self._endings: dict[str, Callable[[str], None]] = {}

    def start(self, stack: Stack, change_set: ChangeSet | None, token: str | None) -> None:
        """Run the change set (None: delete the stack) in the background. The stack's status changes now."""
        operation_id = str(uuid.uuid4())
        kind = "DELETE" if change_set is None else change_set.change_set_type
        stack.state.status = {"DELETE": "DELETE_IN_PROGRESS", "CREATE": "CREATE_IN_PROGRESS"}.get(
            kind, "UPDATE_IN_PROGRESS"
        )
        stack.status_reason = "User Initiated"
        self._files.save(stack, self._lock)
        operation = StackOperation(
            stack.state,
            self._resources,
            store=StackRecorder(self._files, stack, lock=self._lock),
            on_event=lambda event: self.record_event(stack, event, operation_id, token),
            max_workers=self._max_workers,
        )
        thread = threading.Thread(
            target=self._run, args=(stack, change_set, operation), name=f"stack-{stack.name}", daemon=True
        )
        self._threads[stack.stack_id] = thread
        thread.start()

    def record_event(self, stack: Stack, event: StackEvent, operation_id: str, token: str | None) -> None:
        """Add an engine event to the stack's events; the stack's own final event ends its change set."""
        with self._lock:
            stack.events.append(descriptions.stack_event(stack, event, operation_id, token))
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

    def _run(self, stack: Stack, change_set: ChangeSet | None, operation: StackOperation) -> None:
        try:
            if change_set is None:
                operation.destroy()
            else:
                template = change_sets.parse_template(change_set.template_body)
                creating = change_set.change_set_type == "CREATE"
                previous = (stack.template_body, stack.parameters, stack.values, stack.outputs, stack.description)
                with self._lock:
                    _apply(stack, change_set)
                    self._endings[stack.stack_id] = lambda status: _finish(
                        stack,
                        change_set,
                        status,
                        template=template,
                        operation=operation,
                        previous=None if creating else previous,
                    )
                if creating:
                    operation.deploy(template, change_set.values)
                else:
                    operation.update(template, change_set.values)
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


def _apply(stack: Stack, change_set: ChangeSet) -> None:
    """The change set's template, parameters and tags become the stack's (restored if an update rolls back)."""
    stack.template_body = change_set.template_body
    stack.parameters, stack.values = change_set.parameters, change_set.values
    stack.tags, stack.capabilities = change_set.tags, change_set.capabilities
    stack.description = load_template_body(change_set.template_body).get("Description")
    if change_set.change_set_type == "UPDATE":
        stack.updated = time.time()


def _finish(
    stack: Stack,
    change_set: ChangeSet,
    status: str,
    *,
    template: Template,
    operation: StackOperation,
    previous: _Previous | None,
) -> None:
    """The change set's end, made with the stack's final status (its event): outputs, or the old stack back."""
    succeeded = status in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
    stack.change_sets.pop(change_set.change_set_id, None)  # an executed change set is gone, as on AWS
    if succeeded:
        stack.outputs = descriptions.outputs(stack, template, operation.outputs)
    elif previous is not None:  # an update rolled back: the stack is what it was
        stack.template_body, stack.parameters, stack.values, stack.outputs, stack.description = previous
