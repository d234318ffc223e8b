"""The process inside one local execution environment: Lambda's runtime interface, played locally.

Run by path under the function's runtime, isolated (docs/decisions/0105-functions-run-their-asset.md):
the function's code (``--task-root``) first on ``sys.path``, then the runtime's packages
(``--runtime-path``), and of the local cloud only the packages ``--harness NAME=DIR`` names. It
imports the handler once (Init) or has an edge build it (``--edge module:function``, called as
``factory(clock, **options)`` on the clock of ``--clock ORIGIN READING SCALE``), says it is ready,
then runs one invocation per JSON line on stdin and answers each with one JSON line on the original
stdout; what the handler prints or logs goes to stderr, framed by START/END/REPORT lines.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.machinery
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from lookoutvision_localcloud.scaled_clock import ScaledClock

Handler = Callable[[dict[str, Any], Any], Any]


class HarnessPackages:
    """A meta path finder for a few named top-level packages of the local cloud, each in its own directory."""

    def __init__(self, locations: dict[str, str]) -> None:
        self._locations = locations

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        location = self._locations.get(fullname)
        if path is not None or location is None:  # submodules follow their package's own __path__
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [location])


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bootstrap.py", description="a local Lambda execution environment")
    parser.add_argument("--task-root", help="the function's code directory, first on sys.path")
    parser.add_argument("--runtime-path", help="the packages the runtime ships (boto3), after the function's code")
    parser.add_argument("--harness", action="append", default=[], metavar="PACKAGE=DIR")
    parser.add_argument("handler", help="module.function")
    parser.add_argument("--clock", nargs=3, type=float, metavar=("ORIGIN", "READING", "SCALE"))
    parser.add_argument("--edge", help="module:function, a factory of the handler")
    parser.add_argument("--edge-options", type=json.loads, default={}, help="JSON keyword arguments of the edge")
    return parser.parse_args(argv[1:])


def set_up_imports(task_root: str | None, runtime_path: str | None, harness: list[str]) -> None:
    """The function's code, then the runtime's packages, first on sys.path; the harness packages last."""
    sys.path[:0] = [path for path in (task_root, runtime_path) if path]
    locations = dict(entry.split("=", 1) for entry in harness)
    if locations:
        sys.meta_path.append(HarnessPackages(locations))


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


def run_one(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    from lookoutvision_localcloud.awslambda.context import LambdaContext  # noqa: PLC0415 - importable once set_up_imports ran

    request_id = request["request_id"]
    context = LambdaContext(
        aws_request_id=request_id,
        function_name=request["function_name"],
        invoked_function_arn=request["function_arn"],
        deadline=request["deadline"],
        time_scale=request["time_scale"],
        memory_limit_in_mb=request["memory_size"],
        log_group_name=os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", ""),
        log_stream_name=os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
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
    report = [f"REPORT RequestId: {request_id}", f"Duration: {elapsed_ms:.2f} ms"]
    report += [f"Billed Duration: {math.ceil(elapsed_ms)} ms", f"Memory Size: {request['memory_size']} MB"]
    print("\t".join(report), file=sys.stderr, flush=True)
    return {"request_id": request_id, **outcome}


def main(argv: list[str]) -> int:
    protocol: TextIO = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the handler's prints become logs
    arguments = parse_arguments(argv)
    set_up_imports(arguments.task_root, arguments.runtime_path, arguments.harness)
    from lookoutvision_localcloud.scaled_clock import ScaledClock  # noqa: PLC0415 - importable once set_up_imports ran

    origin, reading, scale = arguments.clock or (None, None, 1.0)
    clock = ScaledClock(scale=scale, origin=origin, reading=reading)
    try:
        handler: Handler | None = load_handler(arguments.handler, clock, arguments.edge, arguments.edge_options)
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
