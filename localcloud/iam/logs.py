"""The permissions a CloudWatch Logs request needs, and the service's AccessDeniedException when a local function
lacks one.

A request of the JSON protocol names its operation in ``X-Amz-Target`` (``Logs_20140328.<Operation>``); its
action is ``logs:<Operation>``, evaluated against the resource the service authorization reference gives it,
filled from the request's ``logGroupName`` (or ``logGroupIdentifier``, a name or an ARN) and ``logStreamName``:
the log stream's ARN for CreateLogStream and PutLogEvents, the log group's for FilterLogEvents, ``*`` for an
action with no resource type or whose resource the request does not name. The requests Lambda makes to write
a function's logs are the function's role session's, so they are judged here too.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lookoutvision_localcloud.iam import reference
from lookoutvision_localcloud.iam.caller import AccessDenied, Permission, caller_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SERVICE = "logs"
_SCOPE_REGION = re.compile(r"Credential=[^/\s,]+/\d{8}/([^/\s,]+)/")


def permissions(
    operation: str, params: Mapping[str, Any], *, region: str, account_id: str, partition: str = "aws"
) -> list[Permission]:
    """The permission ``operation`` with ``params`` needs: ``logs:<Operation>`` on its log group or stream, or ``*``."""
    table = reference.service(SERVICE)
    values = {"Partition": partition, "Region": region, "Account": account_id}
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if isinstance(group, str) and group.startswith("arn:"):
        values |= table.parse_arn(group.removesuffix(":*"))
    elif isinstance(group, str) and group:
        values["LogGroupName"] = group
    if isinstance(params.get("logStreamName"), str) and params["logStreamName"]:
        values["LogStreamName"] = params["logStreamName"]
    action = table.action(operation)
    if action is None:  # not in the reference: evaluated against "*" under the operation's name
        return [Permission(f"{SERVICE}:{operation}", reference.ANY_RESOURCE)]
    return [Permission(action.qualified_name, table.resource_arn(action, values))]


def access_denied(denied: AccessDenied) -> tuple[str, list[tuple[str, str]], bytes]:
    """CloudWatch Logs' answer: 400 with an ``AccessDeniedException`` in its JSON protocol's error form."""
    body = json.dumps({"__type": "AccessDeniedException", "message": denied.message}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", "AccessDeniedException"),
        ("Content-Length", str(len(body))),
    ]
    return "400 Bad Request", headers, body


def enforce(app: WSGIApplication) -> WSGIApplication:
    """``app`` (moto's CloudWatch Logs) behind IAM: a local function's request is answered if its role allows it."""

    def enforced(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        caller = caller_of(environ)
        if caller is None:
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        scope = _SCOPE_REGION.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        region = scope.group(1) if scope else caller.principal.region
        needed = permissions(
            operation or "Unknown",
            params if isinstance(params, dict) else {},
            region=region,
            account_id=caller.principal.account_id,
        )
        try:
            caller.authorize_all(needed)
        except AccessDenied as denied:
            status, headers, payload = access_denied(denied)
            start_response(status, headers)
            return [payload]
        return app(environ, start_response)

    return enforced
