"""A clock that only moves when the test (or a sleep) moves it, and a Lambda context that reads it."""

from __future__ import annotations

from dataclasses import dataclass, field


class FrozenClock:
    """``lookoutvision_cdk_provider.clock.Clock`` whose time moves by sleeps and by ``at`` only; ``scale``: real seconds
    per second."""

    def __init__(self, scale: float = 1.0, at: float = 1_000_000.0) -> None:
        self.scale = scale
        self.at = at
        self.slept: list[float] = []

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.slept.append(seconds)
            self.at += seconds

    def real_seconds(self, seconds: float) -> float:
        return seconds * self.scale


@dataclass
class Context:
    """A Lambda context of an invocation that ends ``length`` seconds after the clock's time at its creation."""

    clock: FrozenClock
    length: float
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:provider"
    ends: float = field(init=False)

    def __post_init__(self) -> None:
        self.ends = self.clock.now() + self.length

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends - self.clock.now()) * 1000))
