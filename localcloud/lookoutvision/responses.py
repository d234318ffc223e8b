"""The REST-JSON wire, read from the botocore service model: requests parsed, replies and errors written.

Request members are read from where the model puts them (``uri``, ``querystring``, ``header``,
otherwise the JSON body); replies are written by moto's ``RestJSONSerializer`` from the output
shape (timestamps as epoch seconds, the modeled ``responseCode``: DeleteModel 202). Errors carry
``X-Amzn-ErrorType`` and a JSON body with ``message`` and the error shape's members, header
members as headers, as rest-json services answer.

moto's ``RestJSONParser`` is not used: a query value of the wrong type (``?maxResults=many``)
makes it raise ValueError where the service answers a ValidationException naming MaxResults; it
reads a body that is not JSON as ``{"message": body}`` (the service: SerializationException) and
drops a body member the model does not know (the service refuses it by name). Nor is its error
form: it leaves header members out (a ThrottlingException's ``Retry-After``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.model import ListShape, MapShape, NoShapeFoundError, OperationModel, ServiceModel, Shape, StructureShape
from moto.core import model as moto_model
from moto.core.serialize import RestJSONSerializer, SerializationContext
from moto.core.utils import get_service_model

from .exceptions import LookoutVisionError, SerializationException


@dataclass
class Reply:
    """An HTTP response: status, headers and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def parse_request(
    operation: OperationModel, labels: Mapping[str, str], target: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The operation's input members, read from their modeled locations. ``headers`` keys are lower case."""
    shape = operation.input_shape
    if shape is None:
        return {}
    query = parse_qs(urlsplit(target).query, keep_blank_values=True)
    params: dict[str, Any] = {}
    body_members: dict[str, Shape] = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location == "uri":
            if wire_name in labels:
                params[name] = _from_text(member, labels[wire_name])
        elif location == "querystring":
            if isinstance(member, MapShape):
                params[name] = {k: v[-1] for k, v in query.items()}
            elif wire_name in query:
                values = query[wire_name]
                params[name] = (
                    [_from_text(member.member, v) for v in values]
                    if isinstance(member, ListShape)
                    else _from_text(member, values[0])
                )
        elif location == "header":
            value = headers.get(wire_name.lower())
            if value is not None:
                params[name] = _from_text(member, value)
        elif location == "headers":
            prefix = wire_name.lower()
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        elif payload == name and member.type_name == "blob":
            params[name] = body
        else:
            body_members[name] = member
    if body_members and body.strip():
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise SerializationException(f"The request body is not valid JSON: {exc}") from exc
        if payload in body_members:
            document = {payload: document}
        if not isinstance(document, dict):
            raise SerializationException("The request body must be a JSON object.")
        for name, value in document.items():
            known = body_members.get(name)
            params[name] = _from_json(known, value) if known is not None else value
    return params


def serialize_output(operation: OperationModel, result: Mapping[str, Any]) -> Reply:
    """The reply to a successful call, as moto's serializer writes it from the operation's output shape."""
    serialized = RestJSONSerializer(_moto_operation(operation), SerializationContext()).serialize(dict(result))
    body = serialized["body"]
    return Reply(
        int(serialized["status_code"]), dict(serialized["headers"]), body.encode() if isinstance(body, str) else body
    )


def serialize_error(error: LookoutVisionError, service: ServiceModel) -> Reply:
    """The reply to a failed call, as rest-json services write it, so botocore raises the modeled class."""
    try:
        shape: Shape | None = service.shape_for(error.code)
    except NoShapeFoundError:
        shape = None
    status = error.status
    headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": error.code}
    body: dict[str, Any] = {"message": error.message}
    if isinstance(shape, StructureShape):
        status = int(shape.metadata.get("error", {}).get("httpStatusCode", status))
        if "Message" in shape.members:
            body["Message"] = error.message
        for name, member in shape.members.items():
            value = error.members.get(name)
            if value is None:
                continue
            if member.serialization.get("location") == "header":
                headers[member.serialization.get("name", name)] = _to_text(member, value)
            else:
                body[name] = _to_json(member, value)
    else:
        body.update(error.members)
    return Reply(status, headers, json.dumps(body).encode())


@functools.cache
def _moto_operation(operation: OperationModel) -> moto_model.OperationModel:
    """The operation in moto's own model classes, which its serializer takes."""
    return get_service_model(operation.service_model.service_name).operation_model(operation.name)


def new_request_id() -> str:
    return str(uuid.uuid4())


# -- conversions -------------------------------------------------------------------------------


def _from_text(shape: Shape, text: str) -> Any:
    """A uri / querystring / header value in the member's type; left as text when it does not parse
    (validation then reports the wrong type, naming the member)."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return {"true": True, "false": False}[text.lower()]
        if kind == "timestamp":
            return _parse_timestamp(text)
        if kind == "jsonvalue" or shape.serialization.get("jsonvalue"):
            return json.loads(base64.b64decode(text))
    except (ValueError, KeyError, binascii.Error):
        return text
    return text


def _from_json(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {
            name: _from_json(shape.members[name], item) if name in shape.members else item
            for name, item in value.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_from_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _from_json(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, str):
        try:
            return _parse_timestamp(value)
        except ValueError:
            return value
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return value
    return value


def _to_json(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape):
        return {
            name: _to_json(shape.members[name], item)
            for name, item in value.items()
            if item is not None and name in shape.members
        }
    if isinstance(shape, ListShape):
        return [_to_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: _to_json(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        return _epoch_seconds(value)
    if shape.type_name == "blob":
        return base64.b64encode(value if isinstance(value, bytes) else str(value).encode()).decode()
    return value


def _to_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "timestamp":
        return str(_epoch_seconds(value))
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return str(value)


def _epoch_seconds(value: Any) -> float | int:
    seconds = value.timestamp() if isinstance(value, datetime.datetime) else float(value)
    rounded = round(seconds, 3)
    return int(rounded) if rounded.is_integer() else rounded


def _parse_timestamp(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
