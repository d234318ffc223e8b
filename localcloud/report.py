"""What the driver prints: stack events as they happen, the summary, and the check that nothing is left."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from lookoutvision_localcloud.cloudformation.custom_resource import SentRequest
from lookoutvision_localcloud.cloudformation.engine import StackOperation
from lookoutvision_localcloud.cloudformation.records import StackEvent, Status
from lookoutvision_localcloud.leftovers import NOTHING_LEFT, Leftovers
from lookoutvision_localcloud.lookoutvision import Call
from lookoutvision_localcloud.lookoutvision.report import calls_summary

LOG_TAIL = 15  # lines of a failed request's function logs shown under the summary


class EventPrinter:
    """Prints each stack event as one line, the way CloudFormation lists stack events."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()

    def __call__(self, event: StackEvent) -> None:
        with self._lock:
            try:
                self._stream.write(format_event(event) + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                pass  # a closed terminal or pipe must not stop the stack operation


def format_event(event: StackEvent) -> str:
    clock = time.strftime("%H:%M:%S", time.localtime(event.timestamp))
    line = f"{clock} {event.elapsed:7.2f}s  {event.status:<21} {event.resource_type:<32} {event.logical_id}"
    return f"{line}  {event.reason}" if event.reason else line


def resource_table(operations: list[StackOperation]) -> list[str]:
    """Per resource: how it was played locally, and how long its create and delete took."""
    durations: dict[str, dict[str, float]] = {}
    modes: dict[str, str] = {}
    notes: dict[str, str] = {}
    types: dict[str, str] = {}
    for operation in operations:
        for logical_id, phases in operation.durations.items():
            durations.setdefault(logical_id, {}).update(phases)
        modes.update(operation.modes)
        notes.update(operation.notes)
        for event in operation.events:
            if event.resource_type != "AWS::CloudFormation::Stack":
                types[event.logical_id] = event.resource_type
    updated = any("update" in timing for timing in durations.values())
    columns = ("create", "update", "delete") if updated else ("create", "delete")
    rows = [f"{'resource':<40} {'type':<30} {'played as':<16} " + " ".join(f"{column:>8}" for column in columns)]
    for logical_id in sorted(types, key=lambda key: (-durations.get(key, {}).get("create", 0.0), key)):
        timing = durations.get(logical_id, {})
        cells = " ".join(f"{f'{timing[column]:.2f}s' if column in timing else '-':>8}" for column in columns)
        mode = str(modes.get(logical_id, ""))
        row = f"{logical_id[:40]:<40} {types[logical_id][:30]:<30} {mode:<16} {cells}"
        rows.append(row + (f"  {notes[logical_id]}" if logical_id in notes else ""))
    return rows


def failed_resources(operations: list[StackOperation]) -> list[str]:
    return [
        f"{event.logical_id} {event.status}: {event.reason}"
        for operation in operations
        for event in operation.events
        if event.status.failed and event.resource_type != "AWS::CloudFormation::Stack"
    ]


def status_of(operation: StackOperation) -> Status | None:
    stack_events = [e for e in operation.events if e.resource_type == "AWS::CloudFormation::Stack"]
    return stack_events[-1].status if stack_events else None


def summary(
    operations: list[StackOperation],
    calls: list[Call],
    leftovers: Leftovers | None,
    sent: list[SentRequest],
    *,
    ok: bool,
) -> str:
    """The text printed after the events: outputs, resources, calls, failures with logs, leftovers, verdict."""
    lines: list[str] = []
    for operation in operations:
        if operation.outputs:
            lines += ["", "Outputs"] + [f"  {name} = {value}" for name, value in operation.outputs.items()]
    lines += ["", "Resources"] + ["  " + row for row in resource_table(operations)]
    lines += ["", "Lookout for Vision API calls"] + (["  " + row for row in calls_summary(calls)] or ["  none"])
    failures = failed_resources(operations)
    if failures:
        lines += ["", "Failures"] + [f"  {failure}" for failure in failures]
    for request in sent:
        if request.outcome != "SUCCESS" and request.logs:
            lines += ["", f"Function logs of {request.logical_id} {request.request_type} (last {LOG_TAIL} lines)"]
            lines += [f"  {line}" for line in request.logs[-LOG_TAIL:]]
    if leftovers is not None:
        lines += ["", "Left behind"]
        lines += [f"  LEFT: {item}" for item in leftovers.problems]
        lines += [f"  retained (DeletionPolicy Retain): {item}" for item in leftovers.retained]
        if leftovers.clean:
            lines.append(f"  nothing: {NOTHING_LEFT}")
    statuses = [str(status) for status in (status_of(operation) for operation in operations) if status]
    lines += ["", f"{'OK' if ok else 'FAILED'}: {' then '.join(statuses)}"]
    return "\n".join(lines)
