"""The CloudFormation API on the wire: the Query protocol as botocore's cloudformation model defines it.

A request is a form (``Action=CreateChangeSet&Version=2010-05-15&StackName=...``). moto's
``QueryParser`` reads its members from the model, the operation of the same name (snake case) runs
on ``CloudFormationBackend``, and moto's ``QuerySerializer`` writes the answer
(``<CreateChangeSetResponse><CreateChangeSetResult>...``) or the error (``<ErrorResponse><Error>
<Type>Sender</Type><Code>ValidationError</Code><Message>...``) with the HTTP status that the error's
shape in the model gives (ChangeSetNotFound: 404; 400 when the model has no shape, as for
ValidationError).
"""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.model import OperationNotFoundError
from moto.core.model import OperationModel
from moto.core.parse import QueryParser
from moto.core.serialize import QuerySerializer, SerializationContext
from moto.core.utils import get_service_model

from lookoutvision_localcloud.cloudformation.backend import CloudFormationBackend
from lookoutvision_localcloud.cloudformation.exceptions import (
    CloudFormationApiError,
    InternalFailureError,
    InvalidActionError,
    NotImplementedByLocalCloudError,
    ValidationError,
)
from lookoutvision_localcloud.httpserver import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)
# The local cloud's own error codes (InvalidAction, NotImplemented, InternalFailure) have no shape in the model.
warnings.filterwarnings("ignore", message=r"Exception\(.*\) with code .* does not match an error shape")


class CloudFormationResponses:
    """A WSGI application answering the CloudFormation API from ``service``."""

    def __init__(self, service: CloudFormationBackend) -> None:
        self.service = service
        self._model = get_service_model("cloudformation")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.answer(Request(environ))(environ, start_response)

    def answer(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        action = str(request.values.get("Action", ""))
        try:
            operation: OperationModel = self._model.operation_model(action)
        except OperationNotFoundError:
            error = InvalidActionError(f"Could not find operation {action} for version 2010-05-15")
            return self._reply(OperationModel({}, self._model), error, request_id)
        try:
            result: Any = self._call(operation, request)
        except CloudFormationApiError as exc:
            result = exc
        except Exception as exc:
            logger.exception("%s failed", action)
            result = InternalFailureError(f"Internal failure of the local cloud: {type(exc).__name__}: {exc}")
        return self._reply(operation, result, request_id)

    def _call(self, operation: OperationModel, request: Request) -> dict[str, Any]:
        params = QueryParser(operation).parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.get_data(),
                "url_path": request.path,
                "url_params": {},
            }
        )
        shape = operation.input_shape
        for name in shape.required_members if shape is not None else []:
            if params.get(name) is None:
                raise ValidationError(
                    f"1 validation error detected: Value null at '{name[0].lower()}{name[1:]}' failed to satisfy "
                    "constraint: Member must not be null"
                )
        method = getattr(self.service, xform_name(operation.name), None)
        if method is None:
            raise NotImplementedByLocalCloudError(f"The local cloud does not implement {operation.name}")
        result: dict[str, Any] = method(params)
        return result

    def _reply(self, operation: OperationModel, result: Any, request_id: str) -> Response:
        serialized = QuerySerializer(operation, SerializationContext(request_id=request_id)).serialize(result)
        status = getattr(result, "status", None) or serialized["status_code"]
        headers = {**serialized["headers"], "x-amzn-RequestId": request_id}
        return Response(serialized["body"], status=status, headers=headers)
