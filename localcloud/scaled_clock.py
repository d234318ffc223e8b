"""The local cloud's clock: service time that runs ``1 / scale`` times faster than real time.

Every part of the local cloud that a request's time passes through — the local Lambda's context
and the provider it runs, and the response URLs' ``X-Amz-Date`` — reads the same clock, given by
its ``origin`` and ``scale``: at the real time ``origin`` both clocks agree, and from there one
real second is ``1 / scale`` service seconds. It is the provider's ``provider.clock.Clock``.
Standard library only: the local Lambda's runtime imports it beside the function's own code.
"""

from __future__ import annotations

import time


class ScaledClock:
    """``now() = origin + (real now - origin) / scale``; ``scale`` is real seconds per service second."""

    def __init__(self, scale: float = 1.0, origin: float | None = None) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, not {scale}")
        self.scale = scale
        self.origin = time.time() if origin is None else origin

    def now(self) -> float:
        return self.origin + (time.time() - self.origin) / self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * self.scale)

    def real_seconds(self, seconds: float) -> float:
        return seconds * self.scale

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale!r}, origin={self.origin!r})"
