"""The emulator's routes: each operation's ``http.method`` and ``http.requestUri`` in the service model."""

from __future__ import annotations

import re
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from .exceptions import UnknownOperationException


class Router:
    """Maps an HTTP method and raw path to an operation and its (decoded) URI labels.

    A ``werkzeug.routing.Map`` with one rule per operation, from its ``http.method`` and
    ``http.requestUri``: a label takes one segment, a greedy label (``{Key+}``) spans slashes, and
    a literal segment wins over a label. Matching runs on the raw path, so a label holding a
    percent-encoded ``/`` (an ARN) stays one segment; labels are decoded afterwards.
    """

    def __init__(self, service: ServiceModel) -> None:
        rules = []
        for name in service.operation_names:
            operation = service.operation_model(name)
            path = operation.http["requestUri"].split("?", 1)[0]
            rule = _LABEL.sub(lambda m: f"<{'path' if m[2] else 'default'}:{m[1]}>", path)
            rules.append(Rule(rule, methods=[operation.http["method"]], endpoint=name))
        self._service = service
        self._adapter = Map(rules, strict_slashes=False, merge_slashes=False).bind("emulator")

    def match(self, method: str, raw_path: str) -> tuple[OperationModel, dict[str, str]]:
        try:
            name, labels = self._adapter.match(raw_path, method=method)
        except HTTPException as exc:
            raise UnknownOperationException(f"No operation matches {method} {raw_path}.") from exc
        return self._service.operation_model(name), {label: unquote(value) for label, value in labels.items()}


_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")
