"""Idempotency tokens derived from the CloudFormation RequestId.

Every retry and every re-invocation of one request sends the same ClientToken for the same kind
of operation, so the service performs each operation of a request at most once; two kinds of
operation (e.g. StopModel then DeleteModel) never share a token. The token's length and pattern
are read from the service model.
"""

from __future__ import annotations

import enum
import functools
import hashlib

from botocore.model import StringShape

from lookoutvision_cdk_provider import servicemodel


class TokenKind(enum.StrEnum):
    """The operations that take a ClientToken, each with its own token per request."""

    CREATE_MODEL = "create"
    START_MODEL = "start"
    STOP_MODEL = "stop"
    DELETE_MODEL = "delete"
    CREATE_DATASET = "create-dataset"
    DELETE_DATASET = "delete-dataset"


@functools.cache
def _token_shape() -> StringShape:
    input_shape = servicemodel.operation_model("DeleteModel").input_shape
    assert input_shape is not None
    shape = input_shape.members["ClientToken"]
    assert isinstance(shape, StringShape)
    return shape


def client_token(request_id: str, kind: TokenKind) -> str:
    """``<kind>-<RequestId>`` when that is a valid token, else ``<kind>-<sha256 of it>`` cut to length."""
    shape = _token_shape()
    readable = f"{kind.value}-{request_id}"
    if not servicemodel.validate(shape, readable, "ClientToken"):
        return readable
    digest = hashlib.sha256(request_id.encode("utf-8")).hexdigest()
    return f"{kind.value}-{digest}"[: shape.metadata["max"]]
