"""The record of every call the emulator answered, for tests and benchmarks to read."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request as the emulator saw it.

    ``status`` is the HTTP status answered, 0 when the connection was dropped without an answer.
    ``time`` is the service time the request arrived and ``answered`` the service time its answer (or
    the dropped connection) went out, after any injected latency; ``client_token`` its ClientToken, if any.
    """

    operation: str
    params: dict[str, Any]
    status: int
    error_code: str | None
    time: float
    client_token: str | None = None
    request_id: str = ""
    fault: str | None = field(default=None, compare=False)
    answered: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class CallLog:
    """A thread-safe, append-only list of calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def append(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def of(self, operation: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.operation == operation]
