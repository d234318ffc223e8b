"""CloudWatch Logs judges a local function's requests by its role: the action, its log group or stream, the refusal."""

from __future__ import annotations

import time
from typing import Any

from lookoutvision_localcloud.cloud import ACCOUNT_ID, REGION, LocalCloud
from lookoutvision_localcloud.iam import logs
from tests.fixtures.role_function import policy

GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group"


def needed(operation: str, **params: Any) -> list[tuple[str, str]]:
    found = logs.permissions(operation, params, region=REGION, account_id=ACCOUNT_ID)
    return [(permission.action, permission.resource) for permission in found]


def test_each_request_needs_its_action_on_the_group_or_stream_it_names() -> None:
    stream = {"logGroupName": "/aws/lambda/f", "logStreamName": "2026/01/02/[$LATEST]ab"}
    assert needed("PutLogEvents", **stream, logEvents=[]) == [
        ("logs:PutLogEvents", f"{GROUP_ARN}:/aws/lambda/f:log-stream:2026/01/02/[$LATEST]ab")
    ]
    assert needed("CreateLogStream", **stream) == [
        ("logs:CreateLogStream", f"{GROUP_ARN}:/aws/lambda/f:log-stream:2026/01/02/[$LATEST]ab")
    ]
    assert needed("CreateLogGroup", logGroupName="g") == [("logs:CreateLogGroup", f"{GROUP_ARN}:g")]
    assert needed("FilterLogEvents", logGroupName="g", logStreamNames=["s"]) == [
        ("logs:FilterLogEvents", f"{GROUP_ARN}:g")
    ]
    assert needed("FilterLogEvents", logGroupIdentifier=f"{GROUP_ARN}:g:*") == [
        ("logs:FilterLogEvents", f"{GROUP_ARN}:g")
    ]
    assert needed("DescribeLogGroups", logGroupNamePrefix="/aws") == [("logs:DescribeLogGroups", "*")]
    assert needed("GetLogEvents", logGroupName="g") == [("logs:GetLogEvents", "*")]  # its stream named by no value
    assert needed("NoSuchOperation", logGroupName="g") == [("logs:NoSuchOperation", "*")]


def test_a_function_calls_cloudwatch_logs_as_its_role_allows(iam_cloud: LocalCloud, role_function: Any) -> None:
    iam_cloud.client("logs").create_log_group(logGroupName="judged")
    function = role_function(
        policy(
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{GROUP_ARN}:judged:*",
            }
        )
    )
    assert function.call("logs", "CreateLogStream", logGroupName="judged", logStreamName="mine") == {"result": {}}
    event = {"timestamp": int(time.time() * 1000), "message": "written by the function"}
    written = function.call("logs", "PutLogEvents", logGroupName="judged", logStreamName="mine", logEvents=[event])
    assert "error" not in written
    stored = iam_cloud.client("logs").get_log_events(logGroupName="judged", logStreamName="mine")["events"]
    assert [e["message"] for e in stored] == ["written by the function"]

    denied = function.call("logs", "FilterLogEvents", logGroupName="judged")["error"]
    principal = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{function.role_name}/{function.name}"
    assert denied == {
        "code": "AccessDeniedException",
        "message": f"User: {principal} is not authorized to perform: logs:FilterLogEvents on resource: "
        f"{GROUP_ARN}:judged because no identity-based policy allows the logs:FilterLogEvents action",
        "status": 400,
    }
    other = function.call("logs", "CreateLogStream", logGroupName="other", logStreamName="mine")["error"]
    assert other["code"] == "AccessDeniedException"  # another group's stream, refused before it is looked for
