"""The permissions an S3 request needs, and S3's own AccessDenied when a local function lacks one.

The request's operation is found in botocore's S3 service model (method, bucket and key in a
path-style URL, the query's sub-resource such as ``?tagging``, required query and header members
such as ``uploadId`` or ``x-amz-copy-source``). Its IAM action comes from the service authorization
reference, which links each action to the API page of its operation (``s3:GetEncryptionConfiguration``
for GetBucketEncryption; the ``...Version...`` action when the request names a ``versionId``); the
operations the reference links to no action take the permission S3's API reference gives them
(``_DOCUMENTED``). An operation found nowhere is evaluated as ``s3:<Operation>``, which only an
``s3:*``-like pattern allows. The resource is the object ARN, the bucket ARN or ``*``, per the reference.
"""

from __future__ import annotations

import functools
import io
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from lookoutvision_localcloud.iam import reference
from lookoutvision_localcloud.iam.caller import AccessDenied, Permission, caller_of
from lookoutvision_localcloud.iam.conditions import RequestContext

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SERVICE = "s3"
# S3's API reference ("Permissions" of each operation) for the operations the reference links to no action.
_DOCUMENTED = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "CopyObject": "PutObject",
    "UploadPartCopy": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "DeleteObjects": "DeleteObject",
    "SelectObjectContent": "GetObject",
    "DeleteBucketCors": "PutBucketCORS",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeleteBucketReplication": "PutReplicationConfiguration",
}
# ListObjects(V2)'s condition keys, read from the query (absent keys are absent from the request).
_LIST_KEYS = {"s3:prefix": "prefix", "s3:delimiter": "delimiter", "s3:max-keys": "max-keys"}


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    has_bucket: bool
    has_key: bool
    query: tuple[tuple[str, str | None], ...]  # literal sub-resources (name, value or None)
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]

    @property
    def specificity(self) -> int:
        return len(self.query) + len(self.required_query) + len(self.required_headers)


@functools.cache
def _routes() -> tuple[_Route, ...]:
    import botocore.session  # noqa: PLC0415

    model = botocore.session.get_session().get_service_model("s3")
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path, _, query = operation.http["requestUri"].partition("?")
        shape = operation.input_shape
        required = [shape.members[member] for member in shape.required_members] if shape is not None else []
        routes.append(
            _Route(
                name,
                operation.http["method"],
                "{Bucket}" in path,
                "{Key+}" in path,
                tuple((part.partition("=")[0], part.partition("=")[2] or None) for part in query.split("&") if part),
                tuple(m.serialization["name"] for m in required if m.serialization.get("location") == "querystring"),
                tuple(m.serialization["name"].lower() for m in required if m.serialization.get("location") == "header"),
            )
        )
    return tuple(routes)


def operation_of(method: str, bucket: str, key: str, query: Mapping[str, list[str]], headers: Iterable[str]) -> str:
    """The S3 operation a path-style request is (``ListBuckets`` for ``GET /``); ``""`` when none matches."""
    present_headers = {header.lower() for header in headers}
    candidates = [
        route
        for route in _routes()
        if route.method == method
        and route.has_bucket == bool(bucket)
        and route.has_key == bool(key)
        and all(name in query and (value is None or value in query[name]) for name, value in route.query)
        and all(name in query for name in route.required_query)
        and all(name in present_headers for name in route.required_headers)
    ]
    return max(candidates, key=lambda route: route.specificity).operation if candidates else ""


@functools.cache
def _linked_actions() -> dict[str, tuple[str, ...]]:
    """Operation → the reference's actions whose documentation link is that operation's API page."""
    linked: dict[str, list[str]] = {}
    for action in reference.service(SERVICE).actions.values():
        found = re.search(r"/API_(\w+)\.html", action.documentation_link)
        if found:
            linked.setdefault(found.group(1), []).append(action.name)
    return {operation: tuple(names) for operation, names in linked.items()}


def action_of(operation: str, versioned: bool) -> str:
    """The action (``s3:Name``) an operation needs; ``versioned``: the request names a ``versionId``."""
    names = _linked_actions().get(operation, ()) or ((_DOCUMENTED[operation],) if operation in _DOCUMENTED else ())
    if not names:
        return f"{SERVICE}:{operation}"
    of_versions = [name for name in names if "Version" in name and "Version" not in operation]
    others = [name for name in names if name not in of_versions]
    if versioned and of_versions:
        return f"{SERVICE}:{of_versions[0]}"
    return f"{SERVICE}:{operation if operation in others else (others or list(names))[0]}"


def _resource(action: str, bucket: str, key: str, partition: str) -> str:
    table = reference.service(SERVICE)
    found = table.action(action.partition(":")[2])
    if found is None:
        return f"arn:{partition}:s3:::{bucket}/{key}" if key else (f"arn:{partition}:s3:::{bucket}" if bucket else "*")
    return table.resource_arn(found, {"Partition": partition, "BucketName": bucket, "ObjectName": key})


def permissions(environ: WSGIEnvironment, body: bytes = b"", partition: str = "aws") -> list[Permission]:
    """Every permission a path-style S3 request needs (``body``: the request's, read for DeleteObjects' keys)."""
    raw_path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
    path = raw_path.split("?", 1)[0]
    bucket, _, key = path.lstrip("/").partition("/")
    bucket, key = unquote(bucket), unquote(key)
    query = parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True)
    headers = [name[5:].replace("_", "-") for name in environ if name.startswith("HTTP_")]
    headers += [name.replace("_", "-") for name in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(name)]
    operation = operation_of(str(environ.get("REQUEST_METHOD", "GET")), bucket, key, query, headers)
    action = action_of(operation or "Unknown", "versionId" in query)
    context = RequestContext()
    if action == "s3:ListBucket":
        values = {name: query[parameter][:1] for name, parameter in _LIST_KEYS.items() if parameter in query}
        context = RequestContext(values, frozenset(_LIST_KEYS))
    if operation == "DeleteObjects":  # each key; a body naming none (S3 answers MalformedXML) needs every key
        deleted = _deleted_keys(body) or ["*"]
        return [Permission(action, _resource(action, bucket, name, partition)) for name in deleted]
    needed = [Permission(action, _resource(action, bucket, key, partition), context)]
    source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
    if source and operation in ("CopyObject", "UploadPartCopy"):
        source_path, _, source_query = unquote(str(source)).lstrip("/").partition("?")
        source_bucket, _, source_key = source_path.partition("/")
        read = action_of("GetObject", "versionId=" in source_query)
        needed.append(Permission(read, _resource(read, source_bucket, source_key, partition)))
    return needed


def _deleted_keys(body: bytes) -> list[str]:
    try:
        document = ElementTree.fromstring(body)  # noqa: S314 - a request on loopback, from a local function
    except ElementTree.ParseError:
        return []
    return [element.text or "" for element in document.iter() if element.tag.rsplit("}", 1)[-1] == "Key"]


def access_denied(denied: AccessDenied, *, head: bool = False) -> tuple[str, list[tuple[str, str]], bytes]:
    """S3's answer: 403 with its ``AccessDenied`` XML error (no body to a HEAD request)."""
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{escape(denied.quoted_message)}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return "403 Forbidden", [*headers, ("Content-Length", "0" if head else str(len(body)))], b"" if head else body


def enforce(app: WSGIApplication) -> WSGIApplication:
    """``app`` (moto's S3) behind IAM: a local function's request is answered only if its role allows it."""

    def enforced(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        caller = caller_of(environ)
        if caller is None:
            return app(environ, start_response)
        body = b""
        if environ.get("REQUEST_METHOD") == "POST":  # DeleteObjects names its keys in the body
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        try:
            caller.authorize_all(permissions(environ, body))
        except AccessDenied as denied:
            status, headers, payload = access_denied(denied, head=environ.get("REQUEST_METHOD") == "HEAD")
            start_response(status, headers)
            return [payload]
        return app(environ, start_response)

    return enforced
