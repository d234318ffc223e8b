"""The provider's clock: what "now" is, how to wait, and how long a wait lasts in real time.

On AWS it is the system clock (``SystemClock``). Whoever starts the handler may give another
(``lookoutvision_cdk_provider.config.ProviderConfig``): the local cloud runs the provider on a clock whose seconds
pass faster than real ones, so that minutes of training take moments. Every time the provider
handles — the request's start, its deadline, the Lambda context's remaining time, poll
intervals — is in this clock's seconds; only socket timeouts and timers, which the operating
system counts, are converted with ``real_seconds``.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds`` of this clock (nothing when not positive)."""
        ...

    def real_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of this clock last in real time."""
        ...


class SystemClock:
    """Real time: the clock of every deployed function."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def real_seconds(self, seconds: float) -> float:
        return seconds
