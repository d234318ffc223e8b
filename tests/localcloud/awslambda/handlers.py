"""Small handlers that the local Lambda runs in its execution environments during the tests."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print(f"echo {event.get('marker', '')}")
    return {"event": event, "remaining_ms": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn}


def sleep(event: dict[str, Any], context: Any) -> None:
    time.sleep(event["seconds"])


def fail(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("the handler failed")


def reinvoke(event: dict[str, Any], context: Any) -> int:
    """Hands itself over to a new asynchronous invocation until ``hops`` reaches ``until``."""
    hops = event["hops"]
    if hops < event["until"]:
        boto3.client("lambda").invoke(
            FunctionName=context.invoked_function_arn,
            InvocationType="Event",
            Payload=json.dumps({**event, "hops": hops + 1}),
        )
    return hops
