"""The process inside one local execution environment (``python -m localcloud.awslambda.bootstrap``).

Like Lambda's runtime interface it imports the handler once (the cold start, Init), says it is
ready, then runs one invocation at a time. Arguments: the handler (``module.function``), the
clock (``--clock ORIGIN SCALE``: ``localcloud.scaled_clock.ScaledClock``) and optionally an edge
(``--edge module:function``, with ``--edge-options JSON``): a factory called with the clock and
the options that returns the handler to run in place of importing it
(``localcloud.awslambda.provider_edge``). Invocations arrive as JSON lines
on stdin; each outcome leaves as one JSON line on the original stdout. Everything the handler
prints or logs goes to stderr, framed by ``START``/``END``/``REPORT`` lines as in CloudWatch Logs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from localcloud.awslambda.context import LambdaContext
from localcloud.scaled_clock import ScaledClock

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def load_handler(
    spec: str, clock: ScaledClock, edge: str | None = None, options: dict[str, Any] | None = None
) -> Handler:
    """The handler ``module.function``, or what the edge factory ``module:function`` builds on ``clock``."""
    if edge:
        module_name, _, function_name = edge.partition(":")
        built: Handler = getattr(importlib.import_module(module_name), function_name)(clock, **(options or {}))
        return built
    module_name, _, function_name = spec.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), function_name)
    return handler


def parse_arguments(argv: list[str]) -> tuple[str, ScaledClock, str | None, dict[str, Any]]:
    """``HANDLER --clock ORIGIN SCALE [--edge MODULE:FUNCTION [--edge-options JSON]]``."""
    handler, rest = argv[1], argv[2:]
    clock, edge, options = ScaledClock(), None, {}
    while rest:
        if rest[0] == "--clock":
            clock, rest = ScaledClock(scale=float(rest[2]), origin=float(rest[1])), rest[3:]
        elif rest[0] == "--edge":
            edge, rest = rest[1], rest[2:]
        elif rest[0] == "--edge-options":
            options, rest = json.loads(rest[1]), rest[2:]
        else:
            raise SystemExit(f"unknown argument {rest[0]!r}")
    return handler, clock, edge, options


def run_one(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request["request_id"]
    context = LambdaContext(
        aws_request_id=request_id,
        function_name=request["function_name"],
        invoked_function_arn=request["function_arn"],
        deadline=request["deadline"],
        time_scale=request["time_scale"],
        memory_limit_in_mb=request["memory_size"],
    )
    print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        outcome: dict[str, Any] = {"result": handler(request["event"], context)}
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        outcome = {"error": {"errorType": type(exc).__name__, "errorMessage": str(exc)}}
    elapsed_ms = (time.monotonic() - started) * 1000
    print(f"END RequestId: {request_id}", file=sys.stderr, flush=True)
    print(f"REPORT RequestId: {request_id} Duration: {elapsed_ms:.2f} ms", file=sys.stderr, flush=True)
    return {"request_id": request_id, **outcome}


def main(argv: list[str]) -> int:
    protocol: TextIO = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the handler's prints become logs
    spec, clock, edge, options = parse_arguments(argv)
    try:
        handler: Handler | None = load_handler(spec, clock, edge, options)
        init_error = None
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        handler, init_error = None, {"errorType": "Runtime.ImportModuleError", "errorMessage": str(exc)}
    protocol.write(json.dumps({"ready": True}) + "\n")  # Init is over; the function timeout starts now
    protocol.flush()
    for line in sys.stdin:
        request = json.loads(line)
        if handler is None:
            outcome: dict[str, Any] = {"request_id": request["request_id"], "error": init_error}
        else:
            outcome = run_one(handler, request)
        protocol.write(json.dumps(outcome, default=str) + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
