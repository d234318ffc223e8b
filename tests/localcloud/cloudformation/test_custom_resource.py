"""Custom resources as CloudFormation sends them: the event, the response rules, ServiceTimeout.

The integration tests deploy hand-written stacks whose function is a small Python handler in the
assembly's asset folder, run by the local Lambda (``tests.fixtures.driver.write_stack``); it
answers as told by its properties and writes every event it receives to a file the test reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from lookoutvision_localcloud import driver
from lookoutvision_localcloud.cloudformation.custom_resource import (
    build_event,
    check_response,
    service_timeout,
    stringify,
)
from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import RequestType, ResourceRequest, Status
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.driver import custom, events_of, run_command, write_stack
from tests.fixtures.state import saved_stack

CONTEXT = StackContext(
    stack_name="S",
    stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/S/1",
    region="us-east-1",
    account_id="123456789012",
)


def run(command: Any, directory: Path, emulator: Emulator, tmp_path: Path) -> tuple[driver.RunResult, str]:
    return run_command(command, directory, emulator, tmp_path / "state", start_up_grace=1.0)


# -- pure -------------------------------------------------------------------------------------------


def test_scalars_become_strings_as_cloudformation_sends_them() -> None:
    value = {"N": 5, "F": 1.5, "B": True, "b": False, "S": "x", "L": [1, {"K": False}], "D": {"M": 2}}
    assert stringify(value) == {
        "N": "5",
        "F": "1.5",
        "B": "true",
        "b": "false",
        "S": "x",
        "L": ["1", {"K": "false"}],
        "D": {"M": "2"},
    }


def test_service_timeout_defaults_to_an_hour_and_is_bounded() -> None:
    assert service_timeout({}) == 3600
    assert service_timeout({"ServiceTimeout": "90"}) == 90
    for bad in ("0", 3601, "soon"):
        with pytest.raises(ValueError, match="from 1 to 3600"):
            service_timeout({"ServiceTimeout": bad})


def test_event_shape_per_request_type() -> None:
    properties = {"ServiceToken": "arn:fn", "Size": 3}
    create = ResourceRequest(RequestType.CREATE, "Thing", "Custom::Thing", properties, CONTEXT)
    event = build_event(create, "rid", "https://127.0.0.1/r")
    assert event == {
        "RequestType": "Create",
        "ServiceToken": "arn:fn",
        "ResponseURL": "https://127.0.0.1/r",
        "StackId": CONTEXT.stack_id,
        "RequestId": "rid",
        "LogicalResourceId": "Thing",
        "ResourceType": "Custom::Thing",
        "ResourceProperties": {"ServiceToken": "arn:fn", "Size": "3"},
    }
    update = ResourceRequest(
        RequestType.UPDATE, "Thing", "Custom::Thing", properties, CONTEXT, "pid", old_properties={"Size": 2}
    )
    assert build_event(update, "r", "u")["OldResourceProperties"] == {"Size": "2"}
    assert build_event(update, "r", "u")["PhysicalResourceId"] == "pid"
    delete = ResourceRequest(RequestType.DELETE, "Thing", "Custom::Thing", properties, CONTEXT, "pid")
    assert build_event(delete, "r", "u")["PhysicalResourceId"] == "pid"
    assert "OldResourceProperties" not in build_event(delete, "r", "u")


def test_response_rules() -> None:
    event = {"StackId": "s", "RequestId": "r", "LogicalResourceId": "l"}
    good = {"Status": "SUCCESS", "PhysicalResourceId": "p", "Data": {}, **event}
    assert check_response(good, event) == []
    assert check_response({**good, "Status": "OK"}, event) == ["Status must be SUCCESS or FAILED, got 'OK'"]
    assert check_response({**good, "PhysicalResourceId": ""}, event) == ["Invalid PhysicalResourceId"]
    assert "does not echo" in check_response({**good, "RequestId": "other"}, event)[0]
    assert "too long" in check_response({**good, "Data": {"x": "y" * 5000}}, event)[0]


# -- through the local Lambda ---------------------------------------------------------------------


def test_the_function_receives_cloudformation_events(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom(Value=42, Flag=True)})
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 0, output
    create, delete = events_of(directory)
    assert create["RequestType"] == "Create"
    assert re.fullmatch(r"[0-9a-f-]{36}", create["RequestId"])
    assert re.fullmatch(r"arn:aws:cloudformation:us-east-1:123456789012:stack/S/[0-9a-f-]{36}", create["StackId"])
    assert create["ResourceProperties"]["Value"] == "42"
    assert create["ResourceProperties"]["Flag"] == "true"
    assert create["ServiceToken"] == create["ResourceProperties"]["ServiceToken"]
    assert create["ServiceToken"].startswith("arn:aws:lambda:us-east-1:123456789012:function:S-Fn-")
    assert create["ResponseURL"].startswith("https://127.0.0.1:")
    assert "PhysicalResourceId" not in create
    assert delete["RequestType"] == "Delete"
    assert delete["PhysicalResourceId"] == "phys-Thing"
    assert delete["StackId"] == create["StackId"]
    assert delete["RequestId"] != create["RequestId"]
    assert "CREATE_COMPLETE" in output and "DELETE_COMPLETE" in output


def test_get_att_reads_the_response_data(local_emulator: Emulator, tmp_path: Path) -> None:
    resources = {
        "First": custom(Value="from-first"),
        "Second": custom(Value={"Fn::GetAtt": ["First", "Echo"]}),
    }
    directory = write_stack(tmp_path / "cdk.out", resources)
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 0, output
    second = next(e for e in events_of(directory) if e["LogicalResourceId"] == "Second")
    assert second["ResourceProperties"]["Value"] == "from-first"


def test_no_response_within_service_timeout_fails_and_rolls_back(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom("silent", ServiceTimeout=5)})
    result, output = run(driver.deploy, directory, local_emulator, tmp_path)
    assert result.exit_code == 1
    failed = [e for e in result.operations[0].events if e.status is Status.CREATE_FAILED]
    assert [e.logical_id for e in failed] == ["Thing"]
    assert "did not stabilize" in failed[0].reason
    assert "ServiceTimeout (5 s)" in failed[0].reason
    requests = [e["RequestType"] for e in events_of(directory)]
    assert requests == ["Create", "Delete"]  # the rollback still sends the Delete
    assert events_of(directory)[1]["PhysicalResourceId"].startswith("S-Thing-")
    assert "ROLLBACK_COMPLETE" in output


def test_a_failed_response_rolls_back_with_the_answered_physical_id(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Ok": custom(), "Bad": custom("fail", DependsOnOk={"Ref": "Ok"})})
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 1
    assert "Received response status [FAILED] from custom resource. Message returned: asked to fail" in output
    deletes = {e["LogicalResourceId"]: e for e in events_of(directory) if e["RequestType"] == "Delete"}
    assert deletes["Bad"]["PhysicalResourceId"] == "phys-Bad"
    assert deletes["Ok"]["PhysicalResourceId"] == "phys-Ok"
    assert saved_stack(tmp_path / "state", "S") is None


def test_a_function_that_cannot_run_locally_is_simulated(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {})
    template_path = directory / "S.template.json"
    template = json.loads(template_path.read_text())
    template["Resources"]["Fn"]["Properties"]["Runtime"] = "nodejs20.x"
    template["Resources"]["Thing"] = custom()
    template_path.write_text(json.dumps(template))
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 0, output
    assert events_of(directory) == []
    assert "runtime nodejs20.x cannot run locally" in output
    assert "simulated" in output


def test_deploying_again_updates_only_what_changed(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom(Value=1), "Other": custom(Value=1)})
    first, _ = run(driver.deploy, directory, local_emulator, tmp_path)
    assert first.exit_code == 0
    with pytest.raises(driver.StateError, match="already deployed"):
        run(driver.up, directory, local_emulator, tmp_path)
    template_path = directory / "S.template.json"
    template = json.loads(template_path.read_text())
    template["Resources"]["Thing"]["Properties"]["Value"] = 2
    template_path.write_text(json.dumps(template))
    second, output = run(driver.deploy, directory, local_emulator, tmp_path)
    assert second.exit_code == 0, output
    update = events_of(directory)[-1]
    assert [e["RequestType"] for e in events_of(directory)].count("Update") == 1
    assert update["LogicalResourceId"] == "Thing"
    assert update["ResourceProperties"]["Value"] == "2"
    assert update["OldResourceProperties"]["Value"] == "1"
    assert update["PhysicalResourceId"] == "phys-Thing"
    result, _ = run(driver.destroy, directory, local_emulator, tmp_path)
    assert result.exit_code == 0


# -- what the final check catches -------------------------------------------------------------------


def test_a_polling_rule_left_in_moto_fails_the_run(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom("leave-rule")})
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 1
    assert result.leftovers is not None
    [problem] = result.leftovers.problems
    assert problem.startswith("EventBridge rule ThingAbcd1234 (a polling rule left behind, targeting arn:aws:lambda:")
    assert "LEFT: EventBridge rule ThingAbcd1234" in output


def test_a_continuation_still_running_at_function_delete_fails_the_run(
    local_emulator: Emulator, tmp_path: Path
) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom("runaway")})
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 1, output
    assert result.leftovers is not None
    assert any("still pending" in problem for problem in result.leftovers.problems), result.leftovers.problems


def test_a_project_that_cannot_be_deleted_is_reported(local_emulator: Emulator, tmp_path: Path) -> None:
    project = {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "busy"}}
    directory = write_stack(tmp_path / "cdk.out", {"Project": project})
    deployed, _ = run(driver.deploy, directory, local_emulator, tmp_path)
    assert deployed.exit_code == 0
    client = boto3.client("lookoutvision", endpoint_url=local_emulator.endpoint_url, region_name="us-east-1")
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": "bucket", "Key": "train.manifest"}}}
    client.create_dataset(ProjectName="busy", DatasetType="train", DatasetSource=source)  # outside the stack
    destroyed, output = run(driver.destroy, directory, local_emulator, tmp_path)
    assert destroyed.exit_code == 1
    assert "DELETE_FAILED" in output and "ConflictException" in output
    assert destroyed.leftovers is not None
    assert "Lookout for Vision project busy" in destroyed.leftovers.problems
    assert any(p.startswith("Lookout for Vision dataset busy/train") for p in destroyed.leftovers.problems)
    saved = saved_stack(tmp_path / "state", "S")
    assert saved is not None
    assert saved["StackStatus"] == "DELETE_FAILED"
    assert set(saved["Resources"]) == {"Project"}  # destroy can be run again once the cause is fixed
    client.delete_dataset(ProjectName="busy", DatasetType="train")
    again, output = run(driver.destroy, directory, local_emulator, tmp_path)
    assert again.exit_code == 0, output


def test_an_invalid_service_timeout_fails_before_any_request(local_emulator: Emulator, tmp_path: Path) -> None:
    directory = write_stack(tmp_path / "cdk.out", {"Thing": custom(ServiceTimeout=0)})
    result, output = run(driver.up, directory, local_emulator, tmp_path)
    assert result.exit_code == 1
    assert "ServiceTimeout 0 must be a number of seconds from 1 to 3600" in output
    assert "ROLLBACK_COMPLETE" in output
    assert events_of(directory) == []
