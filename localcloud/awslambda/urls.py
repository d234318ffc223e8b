"""Lambda's Invoke API route: ``POST /2015-03-31/functions/{FunctionName}/invocations``."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

INVOKE_ROUTES = Map([Rule("/2015-03-31/functions/<function>/invocations", methods=["POST"], endpoint="invoke")])
