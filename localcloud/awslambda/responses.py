"""Lambda's Invoke API on the wire, as its REST-JSON protocol writes it: for one function, and for all of them.

``RequestResponse`` answers the function's result (``X-Amz-Function-Error: Unhandled`` when it
failed), ``Event`` 202 at once, ``DryRun`` 204. Errors carry ``X-Amzn-ErrorType`` and a JSON body.
A local function's request to the all-functions API is judged by IAM (``lambda:InvokeFunction``
on the function's ARN) before the function is looked up, as Lambda does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException

from lookoutvision_localcloud.awslambda.urls import INVOKE_ROUTES
from lookoutvision_localcloud.httpserver import Request, Response, raw_path
from lookoutvision_localcloud.iam.caller import AccessDenied, caller_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class Invoked(Protocol):
    """The answer of a synchronous invocation."""

    @property
    def outcome(self) -> str | None: ...

    @property
    def result(self) -> Any: ...


class Function(Protocol):
    """One function, as its Invoke API uses it (``LambdaService``)."""

    def is_named(self, function: str) -> bool: ...

    def invoke(self, event: dict[str, Any]) -> Invoked: ...

    def invoke_async(self, event: dict[str, Any]) -> object: ...

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]: ...


def invoke_error(status: int, code: str, message: str) -> Response:
    """An error of the Invoke API, as Lambda's REST-JSON protocol writes it."""
    body = json.dumps({"Type": "User", "message": message})
    return Response(body, status=status, headers={"X-Amzn-ErrorType": code}, content_type="application/json")


def invoke_one(service: Function, request: Request) -> Response:
    """The Invoke API of one function (``RequestResponse``, ``Event`` and ``DryRun``)."""
    try:
        _, arguments = INVOKE_ROUTES.bind("lambda").match(raw_path(request.environ), method=request.method)
    except HTTPException:
        return invoke_error(404, "UnknownOperationException", f"unknown operation {request.path}")
    function = unquote(arguments["function"])
    if not service.is_named(function):
        return invoke_error(404, "ResourceNotFoundException", f"Function not found: {function}")
    try:
        event = json.loads(request.get_data() or b"{}")
    except ValueError:
        return invoke_error(400, "InvalidRequestContentException", "Could not parse request body into json")
    invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "DryRun":
        return Response(b"", status=204, content_type="application/json")
    if invocation_type == "Event":
        service.invoke_async(event)
        return Response(b"", status=202, content_type="application/json")
    invocation = service.invoke(event)
    headers = {"X-Amz-Executed-Version": "$LATEST"}
    if invocation.outcome != "ok":
        headers["X-Amz-Function-Error"] = "Unhandled"
    payload = invocation.result if invocation.outcome != "timeout" else {"errorMessage": "timed out"}
    return Response(json.dumps(payload), status=200, headers=headers, content_type="application/json")


def invoke_any(
    find: Callable[[str], Function | None],
    invoked_arn: Callable[[str], str],
    environ: WSGIEnvironment,
    start_response: StartResponse,
) -> Iterable[bytes]:
    """The Invoke API of every function ``find`` knows by the name or ARN in the path (``invoked_arn``: its ARN)."""
    try:
        _, arguments = INVOKE_ROUTES.bind("lambda").match(raw_path(environ), method=environ["REQUEST_METHOD"])
    except HTTPException:
        message = f"the local Lambda answers Invoke only, not {environ['REQUEST_METHOD']} {Request(environ).path}"
        return invoke_error(404, "UnknownOperationException", message)(environ, start_response)
    name = unquote(arguments["function"])
    caller = caller_of(environ)
    if caller is not None:  # IAM judges the call before Lambda looks the function up
        try:
            caller.authorize("lambda:InvokeFunction", invoked_arn(name))
        except AccessDenied as denied:
            return invoke_error(403, "AccessDeniedException", denied.message)(environ, start_response)
    service = find(name)
    if service is None:
        return invoke_error(404, "ResourceNotFoundException", f"Function not found: {name}")(environ, start_response)
    return service.wsgi_app(environ, start_response)
