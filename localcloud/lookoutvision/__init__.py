"""An embedded Amazon Lookout for Vision: the service's REST-JSON API, state machine and faults, locally.

Unmodified boto3 and the AWS CLI talk to it over HTTP; the service model that
``botocore-a-la-carte-lookoutvision`` ships drives routing, request validation and the reply
format. ``Emulator`` runs it (``python -m lookoutvision_localcloud.lookoutvision`` from a shell); given an object
store it reads datasets' manifests and images as the service does, with the caller's rights.
README's "The Lookout for Vision emulator" shows how to use it.
"""

from __future__ import annotations

from .calls import Call
from .exceptions import (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    LookoutVisionError,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .faults import Fault, Faults, parse_fault
from .models import LookoutVisionBackend, StatusChange
from .server import Emulator
from .settings import Durations, Settings

__all__ = [
    "AccessDeniedException",
    "Call",
    "ConflictException",
    "Durations",
    "Emulator",
    "Fault",
    "Faults",
    "InternalServerException",
    "LookoutVisionBackend",
    "LookoutVisionError",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "Settings",
    "StatusChange",
    "ThrottlingException",
    "ValidationException",
    "parse_fault",
]
