"""Faults beyond the emulator's own kinds, built on its Fault class."""

from __future__ import annotations

from localcloud.lookoutvision import Emulator, Fault


class HangsOnce(Fault):
    """A latency fault that hits the ``nth`` call of its operation (0-based), not the first ones."""

    def __init__(self, emulator: Emulator, operation: str, nth: int, latency: float) -> None:
        super().__init__(kind="latency", operations={operation}, count=1, latency=latency)
        self._emulator = emulator
        self._nth = nth

    def applies_to(self, operation: str) -> bool:
        return super().applies_to(operation) and len(self._emulator.calls_of(operation)) >= self._nth


class FromNth(Fault):
    """A fault of any kind that hits calls of one operation from the ``nth`` (0-based) on, ``count`` times."""

    def __init__(self, emulator: Emulator, kind: str, operation: str, nth: int, count: int) -> None:
        super().__init__(kind=kind, operations={operation}, count=count)  # type: ignore[arg-type]
        self._emulator = emulator
        self._nth = nth

    def applies_to(self, operation: str) -> bool:
        return super().applies_to(operation) and len(self._emulator.calls_of(operation)) >= self._nth
