"""A local Lambda: the Invoke API, execution environments and the handler's context.

Two sides. The runtime side (``bootstrap``, ``context``, ``provider_edge`` and
``lookoutvision_localcloud.scaled_clock``) runs inside an execution environment, under the function's own
Python with only the function's code and the standard library: it imports nothing else. The host
side (every other module) runs in the local cloud's process; this package imports it only when
one of its names is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lookoutvision_localcloud.awslambda.context import LambdaContext

if TYPE_CHECKING:
    from lookoutvision_localcloud.awslambda.service import Invocation, LambdaService, Stall

__all__ = ["Invocation", "LambdaContext", "LambdaService", "Stall"]
_HOST_SIDE = ("Invocation", "LambdaService", "Stall")


def __getattr__(name: str) -> Any:
    if name in _HOST_SIDE:
        return getattr(importlib.import_module("lookoutvision_localcloud.awslambda.service"), name)
    raise AttributeError(f"module 'lookoutvision_localcloud.awslambda' has no attribute {name!r}")
