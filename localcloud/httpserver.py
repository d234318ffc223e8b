"""How the local cloud serves HTTP: a WSGI application on a loopback port, by Werkzeug, in a background thread.

``LocalServer`` serves the Lookout for Vision emulator, a local function's Invoke API, the
CloudFormation response endpoint and the one endpoint of ``python -m lookoutvision_localcloud serve``. With
``tls`` the same port speaks HTTPS too: a connection that opens with a TLS handshake is served
over TLS, any other in plain HTTP (crhelper always PUTs its response over HTTPS; every other
client of the local cloud speaks HTTP to it).

Request lines are never logged: a ResponseURL's query string is a presigned credential.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
else:
    WSGIApplication = Callable[..., Iterable[bytes]]

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_TLS_HANDSHAKE = 0x16  # the first byte of a TLS ClientHello record


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with keep-alive, no Nagle delay, and no request line in any log.

    A reply's ``Date`` header is the application's when it gives one (the emulator dates its
    replies in service time, as a service's replies carry its own clock's time), else the
    server's real time.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, a delayed ACK stalls every reply 40 ms.
    disable_nagle_algorithm = True
    _dated = True  # the reply being written has its Date header

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        self._dated = False

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "date":
            self._dated = True
        super().send_header(keyword, value)

    def end_headers(self) -> None:
        if not self._dated:
            self.send_header("Date", self.date_time_string())
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s: " + message, type, *args)


class _Server(ThreadedWSGIServer):
    """Threaded, and TLS per connection when the client opens with a handshake."""

    def __init__(
        self, host: str, port: int, app: WSGIApplication, handler: type[WSGIRequestHandler], tls: ssl.SSLContext | None
    ) -> None:
        try:
            super().__init__(host, port, app, handler=handler)
        except SystemExit as exc:  # Werkzeug exits on a port in use; a library must not
            raise OSError(f"cannot listen on {host}:{port} (in use?)") from exc
        self.tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            first = request.recv(1, socket.MSG_PEEK)
            if first and first[0] == _TLS_HANDSHAKE:
                request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away, or refused our certificate, is not the local cloud's error.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class LocalServer:
    """``app`` served on ``host:port`` (port 0: a free one) until ``stop()``. A context manager."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        handler: type[WSGIRequestHandler] = QuietRequestHandler,
        name: str = "localcloud-http",
    ) -> None:
        self._server = _Server(host, port, app, handler, tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._running = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (with ``tls``, ``https://`` reaches the same port)."""
        return f"http://{self._server.server_address[0]!s}:{self.port}"

    @property
    def tls_url(self) -> str:
        return self.url.replace("http://", "https://", 1)

    def start(self) -> LocalServer:
        if not self._running:
            self._running = True
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def raw_target(environ: WSGIEnvironment) -> str:
    """The request target as sent: path still percent-encoded (``PATH_INFO`` is decoded: ``%2F`` became
    ``/``) and query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING")
    return str(environ.get("PATH_INFO") or "/") + (f"?{query}" if query else "")


def raw_path(environ: WSGIEnvironment) -> str:
    """The request path as sent, still percent-encoded."""
    return raw_target(environ).split("?", 1)[0] or "/"


def drop_connection(environ: WSGIEnvironment) -> Response:
    """Close the client's connection without a reply (a fault the emulator injects). Returns a response
    that can never be written."""
    connection = environ.get("werkzeug.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)


def exact_response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Response:
    """A reply with exactly these headers and body: no default Content-Type added."""
    response = Response(body, status=status)
    response.headers.remove("Content-Type")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


__all__ = [
    "LOOPBACK",
    "LocalServer",
    "QuietRequestHandler",
    "Request",
    "Response",
    "WSGIApplication",
    "drop_connection",
    "exact_response",
    "raw_path",
    "raw_target",
]
