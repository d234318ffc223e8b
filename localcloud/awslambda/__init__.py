"""A local Lambda: the Invoke API, execution environments and the handler's context."""

from localcloud.awslambda.context import LambdaContext
from localcloud.awslambda.service import Invocation, LambdaService, Stall

__all__ = ["Invocation", "LambdaContext", "LambdaService", "Stall"]
