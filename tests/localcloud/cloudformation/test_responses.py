"""The CloudFormation API of ``serve`` through botocore's cloudformation client: shapes, statuses, errors.

The error codes, HTTP statuses and message texts pinned here are the ones the AWS CDK CLI matches
(``Stack with id X does not exist``, ``Stack [arn] does not exist``, ``ChangeSetNotFound`` with HTTP
404, a change set FAILED with ``The submitted information didn't contain changes.``).
"""

from __future__ import annotations

import http.client
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lookoutvision_localcloud.serve import LocalCloudServer
from tests.fixtures.local_cloud import local_client
from tests.fixtures.stack_api import error_of, settled

TEMPLATE: dict[str, Any] = {
    "Description": "wire test",
    "Parameters": {"Version": {"Type": "String", "Default": "1"}},
    "Resources": {
        "Setting": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Version"}}},
    },
    "Outputs": {
        "SettingName": {"Value": {"Ref": "Setting"}, "Description": "the parameter", "Export": {"Name": "wire-name"}}
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudServer]:
    with LocalCloudServer(state_dir=tmp_path_factory.mktemp("serve"), port=0, time_scale=0.01) as served:
        yield served


def client(server: LocalCloudServer, service: str) -> Any:
    return local_client(server.endpoint_url, service)


@pytest.fixture
def cfn(server: LocalCloudServer) -> Any:
    return client(server, "cloudformation")


def create(cfn: Any, name: str, template: dict[str, Any] | str, **options: Any) -> dict[str, Any]:
    body = template if isinstance(template, str) else json.dumps(template)
    created = cfn.create_change_set(
        StackName=name, ChangeSetName="create", ChangeSetType="CREATE", TemplateBody=body, **options
    )
    return dict(cfn.describe_change_set(ChangeSetName=created["Id"]))


def deployed(cfn: Any, name: str, template: dict[str, Any] = TEMPLATE, **options: Any) -> dict[str, Any]:
    change_set = create(cfn, name, template, **options)
    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    return settled(cfn, name)


def test_a_missing_stack_is_the_validation_error_the_cli_matches(cfn: Any) -> None:
    with pytest.raises(ClientError) as caught:
        cfn.describe_stacks(StackName="Missing")
    assert error_of(caught) == ("ValidationError", 400, "Stack with id Missing does not exist")
    arn = "arn:aws:cloudformation:us-east-1:123456789012:stack/Missing/0000"
    with pytest.raises(ClientError) as caught:
        cfn.describe_stack_events(StackName=arn)
    assert error_of(caught) == ("ValidationError", 400, f"Stack [{arn}] does not exist")


def test_a_change_set_creates_a_stack_in_review_then_execute_creates_it(cfn: Any) -> None:
    change_set = create(cfn, "Created", TEMPLATE, Tags=[{"Key": "team", "Value": "vision"}])
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    [change] = change_set["Changes"]
    assert change["ResourceChange"]["Action"] == "Add"
    assert change["ResourceChange"]["LogicalResourceId"] == "Setting"
    assert change["ResourceChange"]["ResourceType"] == "AWS::SSM::Parameter"
    review = cfn.describe_stacks(StackName="Created")["Stacks"][0]
    assert review["StackStatus"] == "REVIEW_IN_PROGRESS"

    started = time.monotonic()
    cfn.execute_change_set(ChangeSetName="create", StackName="Created")
    assert time.monotonic() - started < 2.0  # returns at once; the stack is created in the background
    stack = settled(cfn, "Created")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "wire test"
    assert stack["Tags"] == [{"Key": "team", "Value": "vision"}]
    assert stack["Parameters"] == [{"ParameterKey": "Version", "ParameterValue": "1"}]
    [output] = stack["Outputs"]
    physical_id = cfn.describe_stack_resources(StackName="Created")["StackResources"][0]["PhysicalResourceId"]
    assert output == {
        "OutputKey": "SettingName",
        "OutputValue": physical_id,
        "Description": "the parameter",
        "ExportName": "wire-name",
    }
    assert client_value(cfn, physical_id) == "1"


def test_the_final_status_is_never_seen_before_the_outputs(cfn: Any) -> None:
    """The CLI reads the outputs once DescribeStacks shows a final status: they must be there by then."""
    change_set = create(cfn, "Watched", TEMPLATE)
    cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"])
    seen = []
    deadline = time.monotonic() + 30.0
    while not seen or seen[-1][0].endswith("_IN_PROGRESS"):
        assert time.monotonic() < deadline, seen[-1:]
        stack = cfn.describe_stacks(StackName="Watched")["Stacks"][0]
        seen.append((stack["StackStatus"], len(stack.get("Outputs") or [])))
    assert seen[-1] == ("CREATE_COMPLETE", 1), seen[-5:]


def client_value(cfn: Any, name: str) -> str:
    ssm = local_client(cfn.meta.endpoint_url, "ssm")
    return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])


def test_events_are_newest_first_with_unique_ids_and_the_stacks_own_events(cfn: Any) -> None:
    stack = deployed(cfn, "Evented")
    events = cfn.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    assert len({event["EventId"] for event in events}) == len(events)
    timestamps = [event["Timestamp"] for event in events]
    assert timestamps == sorted(timestamps, reverse=True)
    own = [(e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events if e["LogicalResourceId"] == "Evented"]
    assert own[-1] == ("REVIEW_IN_PROGRESS", "User Initiated")
    assert ("CREATE_IN_PROGRESS", "User Initiated") in own
    assert own[0][0] == "CREATE_COMPLETE"
    root = [e for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert all(e["PhysicalResourceId"] == stack["StackId"] for e in root)  # how the CLI knows the root events
    setting = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "Setting"]
    assert setting == ["CREATE_COMPLETE", "CREATE_IN_PROGRESS"]
    assert abs(time.time() - events[0]["Timestamp"].timestamp()) < 60  # real timestamps


def test_a_change_set_with_no_changes_fails_with_the_services_reason(cfn: Any) -> None:
    deployed(cfn, "Unchanged")
    created = cfn.create_change_set(
        StackName="Unchanged", ChangeSetName="again", ChangeSetType="UPDATE", TemplateBody=json.dumps(TEMPLATE)
    )
    change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert change_set["StatusReason"].startswith("The submitted information didn't contain changes.")
    [summary] = cfn.list_change_sets(StackName="Unchanged")["Summaries"]
    assert {key: summary[key] for key in ("ChangeSetId", "ChangeSetName", "Status", "ExecutionStatus")} == {
        "ChangeSetId": created["Id"],
        "ChangeSetName": "again",
        "Status": "FAILED",
        "ExecutionStatus": "UNAVAILABLE",
    }
    assert summary["StatusReason"] == change_set["StatusReason"]
    assert summary["CreationTime"] == change_set["CreationTime"]
    with pytest.raises(ClientError) as caught:
        cfn.execute_change_set(ChangeSetName=created["Id"])
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidChangeSetStatus", 400)
    assert "cannot be executed in its current execution status of [UNAVAILABLE]" in message


def test_a_deleted_change_set_is_not_found_with_http_404(cfn: Any) -> None:
    deployed(cfn, "Pruned")
    update = {**TEMPLATE, "Parameters": {"Version": {"Type": "String", "Default": "2"}}}
    created = cfn.create_change_set(
        StackName="Pruned", ChangeSetName="doomed", ChangeSetType="UPDATE", TemplateBody=json.dumps(update)
    )
    cfn.delete_change_set(ChangeSetName="doomed", StackName="Pruned")
    with pytest.raises(cfn.exceptions.ChangeSetNotFoundException) as caught:
        cfn.describe_change_set(ChangeSetName=created["Id"])
    assert error_of(caught) == ("ChangeSetNotFound", 404, f"ChangeSet [{created['Id']}] does not exist")
    cfn.delete_change_set(ChangeSetName="doomed", StackName="Pruned")  # the CLI's clean-up of one never made
    assert cfn.list_change_sets(StackName="Pruned")["Summaries"] == []


def test_an_update_reports_modifications_and_keeps_what_did_not_change(cfn: Any) -> None:
    deployed(cfn, "Updated")
    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["Setting"]["Properties"]["Name"] = "/wire/renamed"
    template["Resources"]["Other"] = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x"}}
    created = cfn.create_change_set(
        StackName="Updated", ChangeSetName="rename", ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in cfn.describe_change_set(ChangeSetName=created["Id"])["Changes"]
    }
    assert changes["Other"]["Action"] == "Add"
    assert (changes["Setting"]["Action"], changes["Setting"]["Replacement"]) == ("Modify", "True")
    assert changes["Setting"]["Details"][0]["Target"] == {
        "Attribute": "Properties",
        "Name": "Name",
        "RequiresRecreation": "Always",
    }
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert settled(cfn, "Updated")["StackStatus"] == "UPDATE_COMPLETE"
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="Updated")["StackResources"]}
    assert resources["Setting"]["PhysicalResourceId"] == "/wire/renamed"
    assert cfn.get_template(StackName="Updated")["TemplateBody"] == template  # botocore decodes the JSON body


def test_an_unsupported_type_fails_the_change_set_naming_it(cfn: Any) -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Setting": TEMPLATE["Resources"]["Setting"]}}
    template["Parameters"] = TEMPLATE["Parameters"]
    change_set = create(cfn, "Unsupported", template)
    assert (change_set["Status"], change_set["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert "AWS::SQS::Queue (Queue)" in change_set["StatusReason"]
    assert "It plays: " in change_set["StatusReason"]  # what the local cloud's handlers play, each in a few words
    assert "custom resources served by a local function" in change_set["StatusReason"]


def test_a_failed_change_set_has_no_events_its_status_reason_says_why(cfn: Any) -> None:
    """DescribeEvents of a change set's creation (the CLI asks for its failed events to explain a failure): none, so
    the CLI shows the change set's StatusReason."""
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}
    create(cfn, "EventlessChangeSet", template)
    answer = cfn.describe_events(StackName="EventlessChangeSet", ChangeSetName="create", Filters={"FailedEvents": True})
    assert answer["OperationEvents"] == []
    with pytest.raises(ClientError) as caught:
        cfn.describe_events(StackName="EventlessChangeSet", ChangeSetName="never-made")
    assert error_of(caught)[:2] == ("ChangeSetNotFound", 404)
    with pytest.raises(ClientError) as caught:
        cfn.describe_events()
    assert error_of(caught)[2] == "One of ChangeSetName, OperationId or StackName must be specified."


def test_describe_events_shows_a_stacks_events_by_operation(cfn: Any) -> None:
    stack = deployed(cfn, "Operations")
    cfn.update_stack(
        StackName="Operations",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Version", "ParameterValue": "2"}],
    )
    assert settled(cfn, "Operations")["StackStatus"] == "UPDATE_COMPLETE"

    events = cfn.describe_events(StackName="Operations")["OperationEvents"]

    kinds = {event["OperationType"] for event in events}
    assert kinds == {"CREATE_CHANGESET", "CREATE_STACK", "UPDATE_STACK"}
    assert {e["OperationStatus"] for e in events} == {"SUCCEEDED"}
    [update] = {e["OperationId"] for e in events if e["OperationType"] == "UPDATE_STACK"}
    of_update = cfn.describe_events(OperationId=update)["OperationEvents"]
    assert [e["EventId"] for e in of_update] == [e["EventId"] for e in events if e["OperationId"] == update]
    assert [(e["EventType"], e["ResourceStatus"]) for e in of_update] == [
        ("STACK_EVENT", "UPDATE_COMPLETE"),
        ("STACK_EVENT", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("PROGRESS_EVENT", "UPDATE_COMPLETE"),
        ("PROGRESS_EVENT", "UPDATE_IN_PROGRESS"),
        ("STACK_EVENT", "UPDATE_IN_PROGRESS"),
    ]
    assert all(e["StackId"] == stack["StackId"] for e in events)
    assert cfn.describe_events(StackName="Operations", Filters={"FailedEvents": True})["OperationEvents"] == []


def test_describe_events_failed_events_are_the_provisioning_errors(cfn: Any) -> None:
    template = {"Resources": {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String"}}}}
    deployed(cfn, "FailedEvents", template)
    [failure] = cfn.describe_events(StackName="FailedEvents", Filters={"FailedEvents": True})["OperationEvents"]
    assert (failure["EventType"], failure["LogicalResourceId"], failure["ResourceStatus"]) == (
        "PROVISIONING_ERROR",
        "Broken",
        "CREATE_FAILED",
    )
    assert (failure["OperationType"], failure["OperationStatus"]) == ("CREATE_STACK", "FAILED")
    assert "required key [Value] not found" in failure["ResourceStatusReason"]


def test_template_and_parameter_errors_are_validation_errors(cfn: Any) -> None:
    cases = [
        ({"TemplateBody": "{not: [a template"}, "Template format error"),
        ({"TemplateBody": json.dumps({"Resources": {}})}, "Template format error: the template has no Resources"),
        (
            {"TemplateBody": json.dumps({**TEMPLATE, "Parameters": {"Version": {"Type": "String"}}})},
            "Parameters: [Version] must have values",
        ),
        (
            {"TemplateBody": json.dumps(TEMPLATE), "Parameters": [{"ParameterKey": "Nope", "ParameterValue": "1"}]},
            "Parameters: [Nope] do not exist in the template",
        ),
        ({}, "Either Template URL or Template Body must be specified."),
    ]
    for arguments, message in cases:
        with pytest.raises(ClientError) as caught:
            cfn.create_change_set(StackName="Invalid", ChangeSetName="c", ChangeSetType="CREATE", **arguments)
        code, status, text = error_of(caught)
        assert (code, status) == ("ValidationError", 400)
        assert text.startswith(message), text
    with pytest.raises(ClientError) as caught:
        cfn.describe_stacks(StackName="Invalid")  # no stack is left in review by a refused request
    assert error_of(caught)[2] == "Stack with id Invalid does not exist"


def test_iam_resources_need_capabilities(cfn: Any) -> None:
    role = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"RoleName": "named", "AssumeRolePolicyDocument": {"Statement": []}},
            }
        }
    }
    with pytest.raises(ClientError) as caught:
        create(cfn, "Roles", role, Capabilities=["CAPABILITY_IAM"])
    assert error_of(caught) == (
        "InsufficientCapabilitiesException",
        400,
        "Requires capabilities : [CAPABILITY_NAMED_IAM]",
    )


def test_an_ssm_parameter_type_is_resolved_from_ssm(cfn: Any, server: LocalCloudServer) -> None:
    client(server, "ssm").put_parameter(Name="/wire/version", Value="33", Type="String")
    template = {
        "Parameters": {"Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/wire/version"}},
        "Resources": TEMPLATE["Resources"],
    }
    stack = deployed(cfn, "Resolved", template)
    assert stack["Parameters"] == [
        {"ParameterKey": "Version", "ParameterValue": "/wire/version", "ResolvedValue": "33"}
    ]
    physical_id = cfn.describe_stack_resources(StackName="Resolved")["StackResources"][0]["PhysicalResourceId"]
    assert client_value(cfn, physical_id) == "33"


def test_a_failed_create_rolls_back_with_the_resources_reason(cfn: Any) -> None:
    template = {"Resources": {"Broken": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String"}}}}
    stack = deployed(cfn, "Broken", template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to create: [Broken].")
    events = cfn.describe_stack_events(StackName="Broken")["StackEvents"]
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert "required key [Value] not found" in failed["ResourceStatusReason"]
    cfn.delete_stack(StackName="Broken")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def buckets(**names: str) -> dict[str, Any]:
    """A template of S3 buckets: logical id → BucketName."""
    return {
        "Resources": {
            logical_id: {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": name}}
            for logical_id, name in names.items()
        }
    }


def test_what_an_updates_cleanup_cannot_delete_leaves_the_stack_and_is_reported_after_its_deletion(
    cfn: Any, server: LocalCloudServer
) -> None:
    """A replaced and a removed bucket, both holding an object: their cleanup Deletes fail (BucketNotEmpty)."""
    stack = deployed(cfn, "Cleanup", buckets(Replaced="cleanup-old", Removed="cleanup-removed", Kept="cleanup-kept"))
    s3 = client(server, "s3")
    for bucket in ("cleanup-old", "cleanup-removed"):
        s3.put_object(Bucket=bucket, Key="data", Body=b"kept")
    cfn.update_stack(StackName="Cleanup", TemplateBody=json.dumps(buckets(Replaced="cleanup-new", Kept="cleanup-kept")))

    updated = settled(cfn, "Cleanup")
    assert (updated["StackStatus"], updated["StackStatusReason"]) == (
        "UPDATE_COMPLETE",
        "Update successful. One or more resources could not be deleted.",
    )
    events = cfn.describe_stack_events(StackName="Cleanup")["StackEvents"]
    failed = {e["PhysicalResourceId"]: e for e in events if e["ResourceStatus"] == "DELETE_FAILED"}
    assert {(e["LogicalResourceId"], pid) for pid, e in failed.items()} == {
        ("Replaced", "cleanup-old"),
        ("Removed", "cleanup-removed"),
    }
    assert all("BucketNotEmpty" in e["ResourceStatusReason"] for e in failed.values())
    # Out of the stack: the removed bucket is not listed, the replaced one shows its new physical id.
    resources = {r["LogicalResourceId"]: r for r in cfn.describe_stack_resources(StackName="Cleanup")["StackResources"]}
    assert set(resources) == {"Replaced", "Kept"}
    replaced = resources["Replaced"]
    assert (replaced["PhysicalResourceId"], replaced["ResourceStatus"]) == ("cleanup-new", "UPDATE_COMPLETE")
    assert "BucketNotEmpty" not in (replaced.get("ResourceStatusReason") or "")

    cfn.delete_stack(StackName="Cleanup")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} >= {"cleanup-old", "cleanup-removed"}
    report = server.leftovers(["Cleanup"])["stacks"]["Cleanup"]
    abandoned = "removed from the stack by an update's cleanup, which could not delete it"
    assert sorted(report["problems"]) == [
        f"AWS::S3::Bucket cleanup-old, {abandoned}",
        f"AWS::S3::Bucket cleanup-removed, {abandoned}",
    ]


def test_a_deleted_stack_is_described_by_its_id_only(cfn: Any) -> None:
    stack = deployed(cfn, "Deleted")
    cfn.delete_stack(StackName="Deleted")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        cfn.describe_stacks(StackName="Deleted")
    assert error_of(caught)[2] == "Stack with id Deleted does not exist"
    assert cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["DeletionTime"]
    cfn.delete_stack(StackName="Deleted")  # deleting what is gone succeeds, as on AWS


def test_a_template_url_is_read_from_the_local_s3(cfn: Any, server: LocalCloudServer) -> None:
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="t/stack.json", Body=json.dumps(TEMPLATE).encode())
    for name, url in [
        ("FromPath", f"{server.endpoint_url}/templates/t/stack.json"),
        ("FromAws", "https://s3.us-east-1.amazonaws.com/templates/t/stack.json"),
        ("FromHost", "https://templates.s3.us-east-1.amazonaws.com/t/stack.json"),
    ]:
        created = cfn.create_change_set(StackName=name, ChangeSetName="c", ChangeSetType="CREATE", TemplateURL=url)
        assert cfn.describe_change_set(ChangeSetName=created["Id"])["Status"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        cfn.create_change_set(
            StackName="NoObject",
            ChangeSetName="c",
            ChangeSetType="CREATE",
            TemplateURL=f"{server.endpoint_url}/templates/t/missing.json",
        )
    assert "Unable to get object s3://templates/t/missing.json: NoSuchKey" in error_of(caught)[2]


def test_the_template_summary_names_parameters_types_and_capabilities(cfn: Any) -> None:
    summary = cfn.get_template_summary(TemplateBody=json.dumps(TEMPLATE))
    assert summary["ResourceTypes"] == ["AWS::SSM::Parameter"]
    assert summary["Parameters"] == [
        {"ParameterKey": "Version", "DefaultValue": "1", "ParameterType": "String", "NoEcho": False}
    ]
    assert summary["Description"] == "wire test"


def raw(server: LocalCloudServer, body: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", int(server.endpoint_url.rsplit(":", 1)[1]), timeout=10)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=wire/20260101/us-east-1/cloudformation/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


@pytest.mark.filterwarnings("ignore:Exception\\(InvalidActionError\\)")
def test_the_query_protocol_replies_in_the_models_xml(server: LocalCloudServer) -> None:
    status, headers, body = raw(server, "Action=DescribeStacks&Version=2010-05-15&StackName=Absent")
    assert status == 400
    assert headers["content-type"] == "text/xml"
    assert headers["x-amzn-requestid"]
    assert body.startswith('<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">')
    assert "<Type>Sender</Type><Code>ValidationError</Code>" in body
    assert "<Message>Stack with id Absent does not exist</Message>" in body
    status, _, body = raw(server, "Action=ListStacks&Version=2010-05-15")
    assert status == 200
    assert body.startswith('<ListStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">')
    assert "<ListStacksResult><StackSummaries" in body
    status, _, body = raw(server, "Action=Dance&Version=2010-05-15")
    assert status == 400 and "<Code>InvalidAction</Code>" in body
    status, _, body = raw(server, "Action=DescribeStackEvents&Version=2010-05-15")
    assert status == 400
    assert "Value null at &apos;stackName&apos; failed to satisfy constraint" in body or "stackName" in body


def test_stacks_survive_a_restart_of_the_local_cloud(tmp_path: Path) -> None:
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as first:
        cfn = client(first, "cloudformation")
        deployed(cfn, "Durable")
        name = cfn.describe_stack_resources(StackName="Durable")["StackResources"][0]["PhysicalResourceId"]
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as second:
        cfn = client(second, "cloudformation")
        stack = cfn.describe_stacks(StackName="Durable")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert client_value(cfn, name) == "1"  # what moto held was brought back
        cfn.delete_stack(StackName="Durable")
        assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
        assert second.leftovers(["Durable"])["clean"]


GREETER = """
import json
import urllib.request


def handler(event, context):
    body = {
        "Status": "SUCCESS",
        "PhysicalResourceId": "greeting",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Text": "hello from the S3 object"},
    }
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(), method="PUT")
    urllib.request.urlopen(request, timeout=10).read()  # the local CA is trusted through SSL_CERT_FILE
"""


def test_a_function_runs_the_code_of_its_s3_object(cfn: Any, server: LocalCloudServer) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("greeter.py", GREETER)
    s3 = client(server, "s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="greeter.zip", Body=archive.getvalue())
    role = {"AssumeRolePolicyDocument": {"Statement": []}}
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": role},
            "Greeter": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "greeter.handler",
                    "Timeout": 300,
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": "code", "S3Key": "greeter.zip"},
                },
            },
            "Greeting": {
                "Type": "Custom::Greeting",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Greeter", "Arn"]}},
            },
        },
        "Outputs": {"Text": {"Value": {"Fn::GetAtt": ["Greeting", "Text"]}}},
    }
    stack = deployed(cfn, "Greeted", template, Capabilities=["CAPABILITY_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert stack["Outputs"] == [{"OutputKey": "Text", "OutputValue": "hello from the S3 object"}]
    code = [path.name for path in (server.state_dir / "functions").glob("*/greeter.py")]
    assert code == ["greeter.py"]  # unzipped under the state directory, where a restart finds it
    cfn.delete_stack(StackName="Greeted")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_a_function_whose_s3_object_is_missing_fails_with_s3s_words(cfn: Any) -> None:
    template = {
        "Resources": {
            "Greeter": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "greeter.handler",
                    "Role": "arn:aws:iam::123456789012:role/none",
                    "Code": {"S3Bucket": "code-nowhere", "S3Key": "missing.zip"},
                },
            }
        }
    }
    stack = deployed(cfn, "Codeless", template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName="Codeless")["StackEvents"]
    [failure] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failure["ResourceStatusReason"].startswith("Error occurred while GetObject. S3 Error Code: NoSuchBucket.")


def test_create_stack_and_update_stack_run_at_once(cfn: Any) -> None:
    stack_id = cfn.create_stack(StackName="Direct", TemplateBody=json.dumps(TEMPLATE))["StackId"]
    assert settled(cfn, stack_id)["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError) as caught:
        cfn.create_stack(StackName="Direct", TemplateBody=json.dumps(TEMPLATE))
    assert error_of(caught) == ("AlreadyExistsException", 400, "Stack [Direct] already exists")
    with pytest.raises(ClientError) as caught:
        cfn.update_stack(StackName="Direct", TemplateBody=json.dumps(TEMPLATE))
    assert error_of(caught) == ("ValidationError", 400, "No updates are to be performed.")
    cfn.update_stack(
        StackName="Direct", UsePreviousTemplate=True, Parameters=[{"ParameterKey": "Version", "ParameterValue": "2"}]
    )
    stack = settled(cfn, stack_id)
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["Parameters"] == [{"ParameterKey": "Version", "ParameterValue": "2"}]
