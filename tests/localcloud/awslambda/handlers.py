"""Small handlers that the local Lambda runs in its execution environments during the tests.

Standard library only: they run under the functions' runtime (python3.13) with this directory as
their code, as a function's asset would be.
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print(f"echo {event.get('marker', '')}")
    return {"event": event, "remaining_ms": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn}


def sleep(event: dict[str, Any], context: Any) -> None:
    time.sleep(event["seconds"])


def fail(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("the handler failed")


def reinvoke(event: dict[str, Any], context: Any) -> int:
    """Hands itself over to a new asynchronous invocation (Lambda's Invoke API) until ``hops`` reaches ``until``."""
    hops = event["hops"]
    if hops < event["until"]:
        function = urllib.parse.quote(context.invoked_function_arn, safe="")
        request = urllib.request.Request(
            f"{os.environ['AWS_ENDPOINT_URL_LAMBDA']}/2015-03-31/functions/{function}/invocations",
            data=json.dumps({**event, "hops": hops + 1}).encode(),
            headers={"X-Amz-Invocation-Type": "Event"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 202
    return hops


def runtime(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What the execution environment looks like from inside: its Python, its path, its directory."""
    import sys  # noqa: PLC0415

    modules = sorted(sys.modules)
    import boto3  # noqa: PLC0415 - the runtime's SDK, found after the function's code

    return {
        "boto3": boto3.__file__,
        "version": list(sys.version_info[:2]),
        "executable": sys.executable,
        "path": sys.path,
        "cwd": os.getcwd(),
        "modules": modules,
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "flags": {"isolated": sys.flags.isolated, "no_site": sys.flags.no_site},
    }


def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One AWS call with the function's own credentials: ``{"service", "operation", "params"}`` in (the operation
    as the API or boto3 names it); the result, or
    the error's code, message and HTTP status, out."""
    import boto3  # noqa: PLC0415 - the runtime's SDK
    from botocore import xform_name  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415
    from botocore.exceptions import ClientError  # noqa: PLC0415

    client = boto3.client(event["service"], config=Config(retries={"total_max_attempts": 1}))
    try:
        result = getattr(client, xform_name(event["operation"]))(**event.get("params", {}))
    except ClientError as error:
        answer = error.response
        return {
            "error": {
                "code": answer["Error"].get("Code"),
                "message": answer["Error"].get("Message"),
                "status": answer["ResponseMetadata"].get("HTTPStatusCode"),
            }
        }
    result.pop("ResponseMetadata", None)
    body = result.pop("Body", None)
    if body is not None:
        result["Body"] = body.read().decode()
    payload = result.pop("Payload", None)
    if payload is not None:
        result["Payload"] = payload.read().decode()
    return {"result": json.loads(json.dumps(result, default=str))}


def print_and_wait(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Prints ``marker``, then waits (at most ``seconds``) until the file ``release`` exists; names its log stream."""
    print(event["marker"])
    deadline = time.monotonic() + event.get("seconds", 30)
    while not os.path.exists(event["release"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    print(f"released {event['marker']}")
    return {"group": context.log_group_name, "stream": context.log_stream_name}
