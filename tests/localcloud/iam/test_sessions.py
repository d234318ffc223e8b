"""Local functions' role sessions: the credentials a function gets, and who signed a request."""

from __future__ import annotations

from typing import Any

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.iam.sessions import FunctionSessions, signing_access_key
from tests.fixtures.role_function import policy

SIGNED = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260101/us-east-1/lookoutvision/aws4_request, SignedHeaders=host"


def test_the_signing_key_comes_from_the_authorization_header_or_a_presigned_url() -> None:
    assert signing_access_key({"HTTP_AUTHORIZATION": SIGNED}) == "ASIAEXAMPLE"
    presigned = "X-Amz-Credential=ASIAOTHER%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x"
    assert signing_access_key({"QUERY_STRING": presigned}) == "ASIAOTHER"
    assert signing_access_key({}) is None


def test_a_function_calls_as_its_role_session_named_after_it(iam_cloud: LocalCloud, role_function: Any) -> None:
    function = role_function(policy({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    identity = function.call("sts", "get_caller_identity")["result"]  # STS answers whatever the policies say
    assert identity["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{function.role_name}/{function.name}"
    assert identity["UserId"].endswith(f":{function.name}")


def test_requests_signed_by_other_keys_are_the_administrators(iam_cloud: LocalCloud, role_function: Any) -> None:
    role_function(policy({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert "Buckets" in iam_cloud.client("s3").list_buckets()  # the local cloud's own client: not checked
    assert "Projects" in iam_cloud.lookoutvision().list_projects()


def test_a_session_is_recognised_by_its_access_key(iam_cloud: LocalCloud) -> None:
    sessions = FunctionSessions(lambda: iam_cloud.client("sts"), policies=lambda account, role: [])
    credentials = sessions.start("fn", "arn:aws:iam::123456789012:role/Some", "us-east-1")
    header = SIGNED.replace("ASIAEXAMPLE", credentials.access_key_id)
    caller = sessions.identify({"HTTP_AUTHORIZATION": header})
    assert caller is not None
    assert caller.principal.session_arn == "arn:aws:sts::123456789012:assumed-role/Some/fn"
    assert caller.principal.role_arn == "arn:aws:iam::123456789012:role/Some"
    assert credentials.environment()["AWS_SESSION_TOKEN"] == credentials.session_token
    assert sessions.identify({"HTTP_AUTHORIZATION": SIGNED}) is None
