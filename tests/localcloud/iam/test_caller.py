"""The caller's rights: read at the moment of each call, a Deny winning, AWS's texts; Lambda's Invoke judged too."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.iam import AccessDenied, Caller, Decision, Principal
from tests.fixtures.role_function import policy

PRINCIPAL = Principal(
    session_arn="arn:aws:sts::123456789012:assumed-role/R/F",
    role_arn="arn:aws:iam::123456789012:role/R",
    role_id="AROAEXAMPLE",
    session_name="F",
    account_id="123456789012",
    region="us-east-1",
)


def caller(*documents: str) -> Caller:
    return Caller(PRINCIPAL, lambda: list(documents))


def test_the_refusals_read_as_aws_writes_them() -> None:
    with pytest.raises(AccessDenied) as implicit:
        caller().authorize("lookoutvision:listmodels", "*")
    assert implicit.value.message == (
        "User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized to perform: lookoutvision:ListModels "
        "on resource: * because no identity-based policy allows the lookoutvision:ListModels action"
    )
    denying = policy({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(AccessDenied) as explicit:
        caller(denying).authorize("s3:GetObject", "arn:aws:s3:::b/k")
    assert explicit.value.quoted_message == (
        "User: arn:aws:sts::123456789012:assumed-role/R/F is not authorized to perform: s3:GetObject "
        'on resource: "arn:aws:s3:::b/k" with an explicit deny in an identity-based policy'
    )


def test_a_service_calling_on_the_callers_behalf_is_told_apart() -> None:
    only_via_service = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:ViaAWSService": "true"}},
        }
    )
    assert caller(only_via_service).decide("s3:GetObject", "arn:aws:s3:::b/k") is Decision.IMPLICIT_DENY
    via = caller(only_via_service).decide("s3:GetObject", "arn:aws:s3:::b/k", via_service="lookoutvision.amazonaws.com")
    assert via is Decision.ALLOWED


def test_invoke_is_judged_and_a_policy_change_counts_at_the_next_call(
    iam_cloud: LocalCloud, role_function: Any
) -> None:
    target = role_function(policy({"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}))
    function = role_function(policy({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": target.arn}))
    principal = f"arn:aws:sts::123456789012:assumed-role/{function.role_name}/{function.name}"
    event = json.dumps({"service": "sts", "operation": "get_caller_identity"})
    invoked = function.call("lambda", "invoke", FunctionName=target.name, Payload=event)
    identity = json.loads(invoked["result"]["Payload"])["result"]
    assert identity["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{target.role_name}/{target.name}"
    refused = function.call("lambda", "invoke", FunctionName=function.arn, Payload=event)
    assert refused["error"] == {
        "code": "AccessDeniedException",
        "status": 403,
        "message": f"User: {principal} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{function.arn} because no identity-based policy allows the lambda:InvokeFunction action",
    }
    iam = iam_cloud.client("iam")
    deny = policy({"Effect": "Deny", "Action": "lambda:Invoke*", "Resource": "*"})
    managed = iam.create_policy(PolicyName=f"deny-{function.name}", PolicyDocument=deny)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=function.role_name, PolicyArn=managed)
    denied = function.call("lambda", "invoke", FunctionName=target.name, Payload=event)
    assert denied["error"]["message"].endswith("with an explicit deny in an identity-based policy")
    iam.detach_role_policy(RoleName=function.role_name, PolicyArn=managed)
    assert "result" in function.call("lambda", "invoke", FunctionName=target.name, Payload=event)
    iam.delete_role_policy(RoleName=function.role_name, PolicyName="inline")
    gone = function.call("lambda", "invoke", FunctionName=target.name, Payload=event)
    assert gone["error"]["message"].endswith("because no identity-based policy allows the lambda:InvokeFunction action")
