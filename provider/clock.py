"""Service time as the provider sees it: real time divided by the time scale.

On AWS the scale is 1 and service time is real time. The local cloud and the tests set
``LOOKOUTVISION_TIME_SCALE`` (real seconds per service second) so that minutes of training pass in
milliseconds; the provider then sleeps ``service_seconds * scale`` and measures elapsed service time
as real elapsed / scale. The Lambda context's remaining time is already in service milliseconds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from provider.consts import TIME_SCALE_ENV


def time_scale_from_env() -> float:
    """The time scale from the environment; 1.0 when unset, empty or not a positive number."""
    raw = os.environ.get(TIME_SCALE_ENV, "").strip()
    try:
        scale = float(raw) if raw else 1.0
    except ValueError:
        return 1.0
    return scale if scale > 0 else 1.0


@dataclass(frozen=True)
class Clock:
    """Wall-clock epoch (real seconds) and sleeps in service seconds."""

    scale: float = 1.0

    @classmethod
    def from_env(cls) -> Clock:
        return cls(time_scale_from_env())

    def wall(self) -> float:
        """Real seconds since the epoch: comparable across invocations and processes."""
        return time.time()

    def service_since(self, wall: float) -> float:
        """Service seconds elapsed since the real epoch time ``wall``."""
        return (self.wall() - wall) / self.scale

    def wall_after(self, wall: float, service_seconds: float) -> float:
        """The real epoch time ``service_seconds`` of service time after ``wall``."""
        return wall + service_seconds * self.scale

    def sleep(self, service_seconds: float) -> None:
        if service_seconds > 0:
            time.sleep(service_seconds * self.scale)
