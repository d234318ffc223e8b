"""The local stand-in for the presigned S3 URLs where custom resources PUT their response.

CloudFormation gives each custom-resource request a ResponseURL and waits for one JSON body
(Status, Reason, PhysicalResourceId, Data, ...) to be PUT there. This endpoint serves such URLs
over HTTPS on loopback (crhelper only speaks HTTPS) and keeps every body it receives, so a
driver can wait for the first one and a test can check that exactly one was sent.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from localcloud.httpserver import BackgroundServer
from localcloud.tls import issue_certificate

_PATH_PREFIX = "/cloudformation-responses/"


class ResponseTimeout(TimeoutError):
    """No response arrived for a request within the wait."""


class ResponseEndpoint:
    """HTTPS endpoint collecting custom-resource responses, keyed by RequestId. A context manager."""

    def __init__(self) -> None:
        self._tempdir = tempfile.TemporaryDirectory(prefix="localcloud-cfn-")
        self._certificate = issue_certificate(Path(self._tempdir.name))
        self._responses: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._arrived = threading.Condition()
        self._server = BackgroundServer(self._handler_class(), tls=self._certificate.server_context())

    @property
    def ca_file(self) -> str:
        """The CA certificate (PEM) a client must trust: give it to the provider as SSL_CERT_FILE."""
        return str(self._certificate.ca_file)

    @property
    def host(self) -> str:
        """``host:port`` of the endpoint: the provider accepts ResponseURLs here (``extra_response_hosts``)."""
        return self._server.url.split("://", 1)[1]

    def response_url(self, request_id: str, signed_at: float) -> str:
        """A presigned-looking URL for one request; its query string plays the S3 signature.

        ``X-Amz-Date`` is ``signed_at`` (epoch seconds of the clock the provider runs on), as
        CloudFormation's presigned URL carries the time it was signed.
        """
        signature = secrets.token_hex(16)
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(signed_at))
        query = f"X-Amz-Date={date}&X-Amz-Expires=7200&X-Amz-Signature={signature}"
        return f"{self._server.url}{_PATH_PREFIX}{request_id}?{query}"

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

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not path.startswith(_PATH_PREFIX):
                    self._reply(404, b"NoSuchKey")
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._reply(400, b"the response body is not JSON")
                    return
                endpoint._record(path.removeprefix(_PATH_PREFIX), body)
                self._reply(200, b"")

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # The request line carries the presigned query string: never log it.
                pass

        return Handler

    def __enter__(self) -> ResponseEndpoint:
        self._server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.stop()
        self._tempdir.cleanup()
