"""The local cloud's functions, by ARN, and Lambda's Invoke API in front of them all.

A request names its function by name, partial ARN or ARN; a local function's request is judged by
IAM (``lambda:InvokeFunction`` on the function's ARN) before the function is looked up, as Lambda
does, and the request then goes to that function's own Invoke API (``LambdaService``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException

from localcloud.awslambda.service import INVOKE_ROUTES, LambdaService, invoke_error
from localcloud.httpserver import Request, raw_path
from localcloud.iam.caller import AccessDenied, caller_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class LocalFunctions:
    """The running functions of one local cloud in ``region`` and ``account_id``. Thread-safe."""

    def __init__(self, region: str, account_id: str) -> None:
        self._region, self._account_id = region, account_id
        self._lock = threading.Lock()
        self._functions: dict[str, LambdaService] = {}

    def add(self, arn: str, service: LambdaService) -> None:
        with self._lock:
            self._functions[arn] = service

    def find(self, arn_or_name: str) -> LambdaService | None:
        """The function a ServiceToken (ARN) or a function name designates."""
        with self._lock:
            if arn_or_name in self._functions:
                return self._functions[arn_or_name]
            for arn, service in self._functions.items():
                if arn.rsplit(":", 1)[-1] == arn_or_name:
                    return service
        return None

    def remove(self, arn: str) -> LambdaService | None:
        with self._lock:
            return self._functions.pop(arn, None)

    def all(self) -> dict[str, LambdaService]:
        with self._lock:
            return dict(self._functions)

    def close(self) -> None:
        """Stop every function."""
        for service in self.all().values():
            service.close()

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Lambda's Invoke API for every local function, by the name or ARN in the path."""
        try:
            _, arguments = INVOKE_ROUTES.bind("lambda").match(raw_path(environ), method=environ["REQUEST_METHOD"])
        except HTTPException:
            message = f"the local Lambda answers Invoke only, not {environ['REQUEST_METHOD']} {Request(environ).path}"
            return invoke_error(404, "UnknownOperationException", message)(environ, start_response)
        name = unquote(arguments["function"])
        caller = caller_of(environ)
        if caller is not None:  # IAM judges the call before Lambda looks the function up
            try:
                caller.authorize("lambda:InvokeFunction", self._invoked_arn(name))
            except AccessDenied as denied:
                return invoke_error(403, "AccessDeniedException", denied.message)(environ, start_response)
        service = self.find(name)
        if service is None:
            message = f"Function not found: {name}"
            return invoke_error(404, "ResourceNotFoundException", message)(environ, start_response)
        return service.wsgi_app(environ, start_response)

    def _invoked_arn(self, function: str) -> str:
        """The ARN an Invoke names: an ARN as given; a partial one (``account:function:name``) or a name, completed."""
        if function.startswith("arn:"):
            return function
        if ":function:" in function:
            return f"arn:aws:lambda:{self._region}:{function}"
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{function}"
