"""The Lambda context object handed to a handler, with a remaining-time clock in service time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """What Lambda passes as ``context``.

    ``deadline`` is the epoch (real seconds) at which the invocation is stopped. The remaining
    time is reported in milliseconds of *service time*: real time divided by ``time_scale``, so
    that a provider running under a time scale sees the timeout it was configured with.
    """

    aws_request_id: str
    function_name: str
    invoked_function_arn: str
    deadline: float
    time_scale: float = 1.0
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = field(default="")
    log_stream_name: str = field(default="")

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) / self.time_scale * 1000))
