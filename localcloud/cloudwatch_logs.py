"""CloudWatch Logs' API on moto, answered as AWS answers it where moto differs.

FilterLogEvents always interleaves the events of the streams it searches, ordered by time: AWS has
ignored its ``interleaved`` parameter since 2019 and assumes true, while moto orders them stream by
stream unless the request asks. Every request of this kind is passed to moto asking for it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FILTER_LOG_EVENTS_TARGET = "Logs_20140328.FilterLogEvents"


def as_aws(app: WSGIApplication) -> WSGIApplication:
    """``app`` (moto's CloudWatch Logs), FilterLogEvents always interleaved."""

    def answered(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") == FILTER_LOG_EVENTS_TARGET:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b"{}"
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            if isinstance(request, dict):
                body = json.dumps({**request, "interleaved": True}).encode()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return answered
