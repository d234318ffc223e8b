"""Lambda's delivery of a function's logs to CloudWatch Logs, while the function runs.

Everything an execution environment prints — the START, END and REPORT lines of each invocation it
runs, the handler's own output, a timeout's last line — is written to the function's log group (the
one its ``LoggingConfig`` names, else ``/aws/lambda/<function name>``) in one log stream per
execution environment, named as Lambda names it, each line an event timestamped when it was printed
(docs/decisions/0130-function-logs-in-cloudwatch-logs.md). Lambda writes with the function's
execution role: ``logs:CreateLogStream`` and ``logs:PutLogEvents``, and ``logs:CreateLogGroup`` when
the group does not exist. What the role may not do is not delivered, as on AWS; the function runs on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

DEFAULT_GROUP_PREFIX = "/aws/lambda/"
VERSION = "$LATEST"
# CloudWatch Logs' PutLogEvents quotas: events per batch, bytes per batch (each event counts 26 more), bytes per event.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD
# Real seconds a closing stream may take to write what it still holds.
CLOSE_TIMEOUT = 5.0


def log_group_name(function_name: str, logging_config: Any = None) -> str:
    """The group a function logs to: ``LoggingConfig.LogGroup``, else ``/aws/lambda/<function name>``."""
    if isinstance(logging_config, dict) and logging_config.get("LogGroup"):
        return str(logging_config["LogGroup"])
    return f"{DEFAULT_GROUP_PREFIX}{function_name}"


def log_stream_name(group: str, function_name: str, started: float, environment_id: str) -> str:
    """Lambda's name of an execution environment's stream: ``YYYY/MM/DD/[$LATEST]<id>`` in the function's own
    group, ``YYYY/MM/DD/<function name>[$LATEST]<id>`` in a group its LoggingConfig names (which functions may share).
    """
    day = time.strftime("%Y/%m/%d", time.gmtime(started))
    own_group = group == f"{DEFAULT_GROUP_PREFIX}{function_name}"
    return f"{day}/{'' if own_group else function_name}[{VERSION}]{environment_id}"


@dataclass(frozen=True)
class LogEvent:
    """One printed line and when it was printed (epoch milliseconds)."""

    timestamp: int
    message: str


def batches(events: list[LogEvent]) -> list[list[dict[str, Any]]]:
    """``events`` as PutLogEvents batches within CloudWatch Logs' quotas, in order; an event over its size is cut."""
    found: list[list[dict[str, Any]]] = []
    batch: list[dict[str, Any]] = []
    size = 0
    for event in events:
        message = event.message.encode()[:MAX_EVENT_BYTES].decode(errors="ignore") or " "
        weight = len(message.encode()) + EVENT_OVERHEAD
        if batch and (len(batch) == MAX_BATCH_EVENTS or size + weight > MAX_BATCH_BYTES):
            found.append(batch)
            batch, size = [], 0
        batch.append({"timestamp": event.timestamp, "message": message})
        size += weight
    if batch:
        found.append(batch)
    return found


class FunctionLogs:
    """Where Lambda writes one function's logs: its group, with a client signed by the function's role session.

    ``client`` builds that CloudWatch Logs client; it is built once, when the first stream writes.
    """

    def __init__(self, function_name: str, group: str, client: Callable[[], Any]) -> None:
        self.function_name = function_name
        self.group = group
        self._build_client = client
        self._client: Any = None
        self._lock = threading.Lock()
        self.refusals: list[str] = []  # what CloudWatch Logs refused, first of each stream

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def open_stream(self) -> LogStream:
        """A new execution environment's stream (created in CloudWatch Logs when its first line is written)."""
        started = time.time()
        name = log_stream_name(self.group, self.function_name, started, uuid.uuid4().hex)
        return LogStream(self, name)


class LogStream:
    """One execution environment's log stream: lines queued as printed, written in order by one thread.

    ``write`` never blocks the function; ``close`` writes what is still queued (at most ``CLOSE_TIMEOUT``).
    """

    def __init__(self, logs: FunctionLogs, name: str) -> None:
        self.logs = logs
        self.name = name
        self.refusal: str | None = None
        self._queue: queue.Queue[LogEvent | None] = queue.Queue()
        self._created = False
        self._last_timestamp = 0
        self._stamp_lock = threading.Lock()
        self._thread = threading.Thread(target=self._deliver, name=f"logs-{logs.function_name}", daemon=True)
        self._thread.start()

    @property
    def group(self) -> str:
        return self.logs.group

    def write(self, message: str, at: float | None = None) -> None:
        """Queue one printed line, timestamped ``at`` (epoch seconds; now), never before the line written last."""
        with self._stamp_lock:
            timestamp = max(int((time.time() if at is None else at) * 1000), self._last_timestamp)
            self._last_timestamp = timestamp
            self._queue.put(LogEvent(timestamp, message))

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _deliver(self) -> None:
        closed = False
        while not closed:
            events: list[LogEvent] = []
            item = self._queue.get()
            while True:
                if item is None:
                    closed = True
                else:
                    events.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if events:
                self._put(events)

    def _put(self, events: list[LogEvent]) -> None:
        try:
            client = self.logs.client()
            if not self._created:
                self._create(client)
            for batch in batches(events):
                client.put_log_events(logGroupName=self.group, logStreamName=self.name, logEvents=batch)
        except ClientError as exc:
            self._refused(f"{exc.operation_name}: {exc.response.get('Error', {}).get('Message')}")
        except BotoCoreError as exc:  # the local cloud is stopping: what is left is lost, as Lambda's would be
            self._refused(str(exc))

    def _create(self, client: Any) -> None:
        """The stream, and the group first when it does not exist (as Lambda does, with the role's rights)."""
        try:
            client.create_log_stream(logGroupName=self.group, logStreamName=self.name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            try:
                client.create_log_group(logGroupName=self.group)
            except ClientError as again:
                if again.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                    raise
            client.create_log_stream(logGroupName=self.group, logStreamName=self.name)
        self._created = True

    def _refused(self, reason: str) -> None:
        if self.refusal is None:
            self.refusal = reason
            self.logs.refusals.append(f"{self.name}: {reason}")
            logger.warning("logs of %s not delivered to %s: %s", self.logs.function_name, self.group, reason)
