"""The local cloud's functions, by ARN, and Lambda's Invoke API in front of them all (``responses.invoke_any``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lookoutvision_localcloud.awslambda import responses
from lookoutvision_localcloud.awslambda.service import LambdaService

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
        return responses.invoke_any(self.find, self._invoked_arn, environ, start_response)

    def _invoked_arn(self, function: str) -> str:
        """The ARN an Invoke names: an ARN as given; a partial one (``account:function:name``) or a name, completed."""
        if function.startswith("arn:"):
            return function
        if ":function:" in function:
            return f"arn:aws:lambda:{self._region}:{function}"
        return f"arn:aws:lambda:{self._region}:{self._account_id}:function:{function}"
