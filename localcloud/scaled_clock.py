"""The local cloud's one clock: service time that runs ``1 / scale`` times as fast as real time.

At the real time ``origin`` the clock reads ``reading``; from then on one real second is ``1 / scale``
service seconds. ``advance``, ``set`` and ``rescale`` start a new such line without a jump. The
emulator, the local functions (each execution environment rebuilds it from its ``line``), the
ResponseURLs' signing and the custom resources' waits read one instance
(docs/decisions/0101-one-scaled-clock.md). It is the provider's ``Clock``; standard library only.
"""

from __future__ import annotations

import threading
import time


class ScaledClock:
    """``now() = reading + (real now - origin) / scale``; ``scale`` is real seconds per service second."""

    def __init__(self, scale: float = 1.0, origin: float | None = None, reading: float | None = None) -> None:
        self._lock = threading.Lock()
        self.scale = _positive(scale)
        self.origin = time.time() if origin is None else origin
        self.reading = self.origin if reading is None else reading

    def now(self) -> float:
        with self._lock:
            return self._now(time.time())

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of service time."""
        if seconds > 0:
            time.sleep(seconds * self.scale)

    def real_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of service time take in real time."""
        return seconds * self.scale

    def advance(self, seconds: float) -> float:
        """Move service time forward by ``seconds`` at once; returns the new time."""
        if seconds < 0:
            raise ValueError("service time only moves forward")
        with self._lock:
            self.reading += seconds
            return self._now(time.time())

    def set(self, reading: float) -> None:
        """Go on from ``reading`` now (a saved state's service time, when it is loaded)."""
        with self._lock:
            self.origin, self.reading = time.time(), reading

    def rescale(self, scale: float) -> None:
        """Run at ``scale`` from now on, without a jump."""
        scale = _positive(scale)
        with self._lock:
            real = time.time()
            self.origin, self.reading, self.scale = real, self._now(real), scale

    def line(self) -> tuple[float, float, float]:
        """``(origin, reading, scale)``: what another process needs to read the same clock."""
        with self._lock:
            return self.origin, self.reading, self.scale

    def _now(self, real: float) -> float:
        return self.reading + (real - self.origin) / self.scale

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale!r}, origin={self.origin!r}, reading={self.reading!r})"


def _positive(scale: float) -> float:
    if not scale > 0:
        raise ValueError(f"time scale must be positive, not {scale}")
    return float(scale)
