"""The local stand-in for the presigned S3 URLs where custom resources PUT their response.

CloudFormation gives each custom-resource request a ResponseURL and waits for one JSON body
(Status, Reason, PhysicalResourceId, Data, ...) to be PUT there. This endpoint serves such URLs
over HTTPS on loopback (crhelper only speaks HTTPS) and keeps every body it receives, so a
driver can wait for the first one and a test can check that exactly one was sent. It runs on a
server of its own, or behind another local server that routes ``PATH_PREFIX`` to ``wsgi_app``
(``serve_at``).
"""

from __future__ import annotations

import json
import secrets
import ssl
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from lookoutvision_localcloud.httpserver import LocalServer, Request, Response
from lookoutvision_localcloud.tls import issue_certificate

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PATH_PREFIX = "/cloudformation-responses/"


class ResponseTimeout(TimeoutError):
    """No response arrived for a request within the wait."""


class ResponseEndpoint:
    """HTTPS endpoint collecting custom-resource responses, keyed by RequestId. A context manager.

    ``own_server``: serve on a port of its own when entered; otherwise the server that routes
    ``PATH_PREFIX`` here says where with ``serve_at``.
    """

    def __init__(self, *, own_server: bool = True) -> None:
        self._tempdir = tempfile.TemporaryDirectory(prefix="localcloud-cfn-")
        self._certificate = issue_certificate(Path(self._tempdir.name))
        self._responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._arrived = threading.Condition()
        self._routes = Map([Rule(f"{PATH_PREFIX}<request_id>", methods=["PUT"], endpoint="put")])
        self._server = LocalServer(self.wsgi_app, tls=self.tls_context(), name="responses") if own_server else None
        self._base_url = ""

    @property
    def ca_file(self) -> str:
        """The CA certificate (PEM) a client must trust: give it to the provider as SSL_CERT_FILE."""
        return str(self._certificate.ca_file)

    def tls_context(self) -> ssl.SSLContext:
        """The server side of TLS for whichever server serves this endpoint."""
        return self._certificate.server_context()

    def serve_at(self, https_url: str) -> None:
        """The HTTPS origin (``https://127.0.0.1:PORT``) of the server that routes ``PATH_PREFIX`` here."""
        self._base_url = https_url.rstrip("/")

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint: the provider accepts ResponseURLs here (``extra_response_hosts``)."""
        if not self._base_url:
            raise RuntimeError("the response endpoint is not served: enter it, or call serve_at()")
        return self._base_url.split("://", 1)[1]

    def response_url(self, request_id: str, signed_at: float) -> str:
        """A presigned-looking URL for one request; its query string plays the S3 signature.

        ``X-Amz-Date`` is ``signed_at`` (epoch seconds of the clock the provider runs on), as
        CloudFormation's presigned URL carries the time it was signed.
        """
        if not self._base_url:
            raise RuntimeError("the response endpoint is not served: enter it, or call serve_at()")
        signature = secrets.token_hex(16)
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(signed_at))
        query = f"X-Amz-Date={date}&X-Amz-Expires=7200&X-Amz-Signature={signature}"
        return f"{self._base_url}{PATH_PREFIX}{request_id}?{query}"

    def responses(self, request_id: str) -> list[dict[str, Any]]:
        """Every body PUT for the request, in arrival order."""
        with self._arrived:
            return list(self._responses.get(request_id, []))

    def wait(self, request_id: str, timeout: float) -> dict[str, Any]:
        """The first body PUT for the request; raises ResponseTimeout after ``timeout`` real seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not self._responses.get(request_id):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ResponseTimeout(f"no response for request {request_id} within {timeout:.1f}s")
                self._arrived.wait(remaining)
            return self._responses[request_id][0]

    def _record(self, request_id: str, body: dict[str, Any]) -> None:
        with self._arrived:
            self._responses[request_id].append(body)
            self._arrived.notify_all()

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            _, arguments = self._routes.bind_to_environ(environ).match()
        except HTTPException:
            return Response(b"NoSuchKey", status=404)(environ, start_response)
        try:
            body = json.loads(request.get_data())
        except ValueError:
            return Response(b"the response body is not JSON", status=400)(environ, start_response)
        self._record(arguments["request_id"], body)
        return Response(b"", status=200)(environ, start_response)

    def __enter__(self) -> ResponseEndpoint:
        if self._server is not None:
            self._server.start()
            self.serve_at(self._server.tls_url)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.stop()
        self._tempdir.cleanup()
