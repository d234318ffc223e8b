"""Fault injection: errors, dropped connections and latency answered instead of (or after) the service."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal["throttling", "internal_error", "drop_connection", "latency", "access_denied", "service_gone"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# "Service gone" is answered like a retired service: every call refused with AccessDeniedException
# (HTTP 403, which botocore does not retry) whose message says why. A caller that must tell it
# apart from a missing permission can read the message; a removed endpoint would instead fail to
# connect at all, which ``drop_connection`` with ``operations=None`` imitates.
END_OF_SUPPORT_MESSAGE = (
    "Amazon Lookout for Vision is no longer available: support ended on October 31, 2025, "
    "and its resources can no longer be accessed."
)


@dataclass
class Fault:
    """One injected fault.

    ``operations``: the operations it applies to (None: every operation). ``count``: how many
    calls it hits before it is used up (None: until removed or cleared). ``latency``: the delay
    added by a ``latency`` fault, in service seconds. ``after_action``: for ``internal_error`` and
    ``drop_connection``, the service acts first and only the reply is lost — the case that
    ClientToken retries exist for. ``retry_after_seconds``: the Retry-After of ``throttling`` and
    ``internal_error`` answers.
    """

    kind: FaultKind
    operations: set[str] | None = None
    count: int | None = None
    latency: float = 0.0
    after_action: bool = False
    retry_after_seconds: int | None = 1
    hits: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if self.count is not None and self.count < 1:
            raise ValueError("a fault's count is at least 1 (None: until cleared)")
        if self.operations is not None:
            self.operations = set(self.operations)

    def applies_to(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    @property
    def used_up(self) -> bool:
        return self.count is not None and self.hits >= self.count


class Faults:
    """The active faults of an emulator. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def extend(self, faults: Iterable[Fault]) -> None:
        for fault in faults:
            self.add(fault)

    def remove(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, operation: str) -> list[Fault]:
        """The faults that hit this call of ``operation``; each counts the hit and is dropped when used up."""
        with self._lock:
            hit = [f for f in self._faults if f.applies_to(operation)]
            for fault in hit:
                fault.hits += 1
            self._faults = [f for f in self._faults if not f.used_up]
            return hit


def parse_fault(spec: str) -> Fault:
    """Read a fault from the command line: ``KIND[=SECONDS][:OPERATION[,OPERATION...]|*][:COUNT]``.

    Examples: ``throttling:DeleteModel:3``, ``latency=2.5``, ``internal_error:*:10``, ``service_gone``.
    ``SECONDS`` is the latency of a ``latency`` fault. A trailing ``+after`` on the kind
    (``drop_connection+after:DeleteModel:1``) sets ``after_action``.
    """
    parts = spec.split(":")
    if len(parts) > 3 or not parts[0]:
        raise ValueError(f"bad fault {spec!r}: expected KIND[=SECONDS][:OPERATIONS|*][:COUNT]")
    head = parts[0]
    kind, _, seconds = head.partition("=")
    after_action = kind.endswith("+after")
    kind = kind.removesuffix("+after")
    operations: set[str] | None = None
    if len(parts) > 1 and parts[1] not in ("", "*"):
        operations = {op.strip() for op in parts[1].split(",") if op.strip()}
    count = int(parts[2]) if len(parts) > 2 and parts[2] else None
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    return Fault(
        kind=kind,  # type: ignore[arg-type]
        operations=operations,
        count=count,
        latency=float(seconds) if seconds else 0.0,
        after_action=after_action,
    )
