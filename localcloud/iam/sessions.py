"""The role sessions of local functions: started with STS AssumeRole, and recognised in the requests they sign.

A function gets its execution role's temporary credentials as Lambda gives them: moto's STS
AssumeRole on the role ARN, the session named after the function, so its principal is
``arn:aws:sts::<account>:assumed-role/<role>/<function>``. ``identify`` finds the session whose
access key signed a request (SigV4 ``Authorization`` header or presigned URL): a request signed by
any other key is the administrator's (None).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from lookoutvision_localcloud.iam.caller import Caller, Principal
from lookoutvision_localcloud.iam.moto_policies import role_policies

_ACCESS_KEY = re.compile(r"Credential=([^/\s,]+)/")


@dataclass(frozen=True)
class SessionCredentials:
    """Temporary credentials, as Lambda puts them into a function's environment."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


def signing_access_key(environ: Mapping[str, Any]) -> str | None:
    """The access key id that signed a request: the SigV4 ``Credential=`` or a presigned URL's ``X-Amz-Credential``."""
    found = _ACCESS_KEY.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found:
        return found.group(1)
    credential = parse_qs(str(environ.get("QUERY_STRING", ""))).get("X-Amz-Credential")
    return unquote(credential[0]).split("/", 1)[0] if credential else None


class FunctionSessions:
    """The sessions of the local functions, by access key id. Thread-safe.

    A session outlives its function, as temporary credentials do on AWS: a request signed with it is
    still that role session's (never the administrator's), judged by the role's policies of the moment.

    ``sts`` is an STS client of the local cloud (moto's AssumeRole); ``policies(account, role name)``
    reads a role's identity policies at the moment of each call (moto's, by default).
    """

    def __init__(self, sts: Callable[[], Any], policies: Callable[[str, str], list[str]] = role_policies) -> None:
        self._sts = sts
        self._policies = policies
        self._lock = threading.Lock()
        self._callers: dict[str, Caller] = {}

    def start(self, function_name: str, role_arn: str, region: str) -> SessionCredentials:
        """Assume ``role_arn`` for the function (session name: its name) and recognise its requests from now on."""
        answer = self._sts().assume_role(RoleArn=role_arn, RoleSessionName=function_name)
        credentials = answer["Credentials"]
        user = answer["AssumedRoleUser"]
        account_id = role_arn.split(":")[4]
        principal = Principal(
            session_arn=user["Arn"],
            role_arn=role_arn,
            role_id=str(user["AssumedRoleId"]).split(":", 1)[0],
            session_name=function_name,
            account_id=account_id,
            region=region,
        )
        role_name = role_arn.rsplit("/", 1)[-1]
        caller = Caller(principal, lambda: self._policies(account_id, role_name))
        session = SessionCredentials(
            credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
        )
        with self._lock:
            self._callers[session.access_key_id] = caller
        return session

    def identify(self, environ: Mapping[str, Any]) -> Caller | None:
        """The local function whose session signed this request, or None (the administrator)."""
        key = signing_access_key(environ)
        if key is None:
            return None
        with self._lock:
            return self._callers.get(key)
