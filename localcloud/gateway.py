"""One loopback endpoint for every service of the local cloud, routed as AWS routes by host name.

A request goes, by its path, to a mounted application (the response endpoint, the control APIs),
otherwise by the service named in its SigV4 credential scope (``Authorization`` or a presigned
URL's ``X-Amz-Credential``) to that service's application, and anything else to moto, in process:
one ``AWS_ENDPOINT_URL`` serves every client. Every request carries its caller (``identify``: a
local function's role session, None for the administrator) under ``CALLER_ENVIRON_KEY``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler

from lookoutvision_localcloud.httpserver import QuietRequestHandler, WSGIApplication
from lookoutvision_localcloud.iam.caller import CALLER_ENVIRON_KEY, Caller

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_SCOPE = re.compile(r"Credential=[^/\s,]+/\d{8}/[^/\s,]+/([^/\s,]+)/aws4_request")


def credential_scope_service(environ: WSGIEnvironment) -> str | None:
    """The signing name of the service a SigV4 request is for, or None for an unsigned request."""
    found = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found:
        return found.group(1).lower()
    credential = parse_qs(str(environ.get("QUERY_STRING", ""))).get("X-Amz-Credential")
    if credential:
        parts = unquote(credential[0]).split("/")
        if len(parts) == 5:
            return parts[3].lower()
    return None


class Gateway:
    """A WSGI application: path prefixes first, then the credential scope's service, then moto.

    ``identify`` names the caller of a request (None: the account's administrator).
    """

    def __init__(self, identify: Callable[[Mapping[str, object]], Caller | None] | None = None) -> None:
        self._identify = identify
        self._lock = threading.Lock()
        self._services: dict[str, WSGIApplication] = {}
        self._prefixes: dict[str, WSGIApplication] = {}
        self._paths = Map()
        self._moto: WSGIApplication | None = None

    def mount(self, prefix: str, app: WSGIApplication) -> None:
        """Send every request whose path starts with ``prefix`` (``/name/``) to ``app``."""
        with self._lock:
            self._prefixes[prefix] = app
            self._paths = Map([Rule(f"{key}<path:rest>", endpoint=key) for key in self._prefixes])

    def route_service(self, signing_name: str, app: WSGIApplication) -> None:
        """Send requests signed for ``signing_name`` (``cloudformation``, ``lambda``, ...) to ``app``."""
        with self._lock:
            self._services[signing_name] = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[CALLER_ENVIRON_KEY] = self._identify(environ) if self._identify is not None else None
        return self._application(environ)(environ, start_response)

    def _application(self, environ: WSGIEnvironment) -> WSGIApplication:
        with self._lock:
            paths, services = self._paths, self._services
        try:
            prefix, _ = paths.bind_to_environ(environ).match()
            return self._prefixes[str(prefix)]
        except HTTPException:
            pass
        app = services.get(credential_scope_service(environ) or "")
        return app if app is not None else self.moto()

    def moto(self) -> WSGIApplication:
        """moto's own dispatcher, created on first use (importing moto takes a while)."""
        with self._lock:
            if self._moto is None:
                from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                self._moto = DomainDispatcherApplication(create_backend_app)
            return self._moto


def request_handler() -> type[WSGIRequestHandler]:
    """The request handler for a server in front of moto: moto's (S3 metadata headers keep their
    spelling), quiet like every local server."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: PLC0415

    class Handler(QuietRequestHandler, MotoRequestHandler):
        pass

    return Handler


def reset_moto() -> None:
    """Forget everything moto holds: its backends live in this process, shared by every local cloud."""
    from moto.moto_api._internal.models import moto_api_backend  # noqa: PLC0415

    moto_api_backend.reset()
