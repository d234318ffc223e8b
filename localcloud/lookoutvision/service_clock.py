"""Service time: a clock that runs ``1 / time_scale`` times faster than real time and can be advanced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class ServiceClock:
    """Seconds of service time since the Unix epoch.

    It starts at the real wall-clock time, then runs at ``1 / time_scale`` service seconds per
    real second (the scale is read on every call, so changing it re-anchors the clock without a
    jump). ``advance`` moves it forward at once, e.g. past an idempotency token's 8 hours.
    """

    def __init__(self, time_scale: Callable[[], float], start: float | None = None) -> None:
        self._time_scale = time_scale
        self._lock = threading.Lock()
        self._scale = self._checked_scale()
        self._anchor_real = time.monotonic()
        self._anchor_service = time.time() if start is None else start

    def _checked_scale(self) -> float:
        scale = float(self._time_scale())
        if scale <= 0:
            raise ValueError(f"time scale must be positive, not {scale}")
        return scale

    def now(self) -> float:
        with self._lock:
            real = time.monotonic()
            service = self._anchor_service + (real - self._anchor_real) / self._scale
            scale = self._checked_scale()
            if scale != self._scale:
                self._scale, self._anchor_real, self._anchor_service = scale, real, service
            return service

    def advance(self, seconds: float) -> float:
        """Move service time forward by ``seconds``; returns the new time."""
        if seconds < 0:
            raise ValueError("service time only moves forward")
        self.now()
        with self._lock:
            self._anchor_service += seconds
        return self.now()

    def set(self, service_time: float) -> None:
        """Restart the clock at ``service_time`` (used when a saved state is loaded)."""
        with self._lock:
            self._scale = self._checked_scale()
            self._anchor_real = time.monotonic()
            self._anchor_service = service_time

    def real_seconds(self, service_seconds: float) -> float:
        """How long ``service_seconds`` take in real time."""
        return service_seconds * self._checked_scale()

    def sleep(self, service_seconds: float) -> None:
        """Block for ``service_seconds`` of service time."""
        if service_seconds > 0:
            time.sleep(self.real_seconds(service_seconds))
