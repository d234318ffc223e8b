"""Stack operations through ``serve``'s CloudFormation API: a failed rollback continued (ContinueUpdateRollback), a
stack whose rollback failed deleted, and an update cut off by a stop of the local cloud carried on at its restart.
The stacks are ``tests.fixtures.stack_api``'s steppers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lookoutvision_localcloud.serve import LocalCloudServer
from tests.fixtures.local_cloud import local_client
from tests.fixtures.stack_api import (
    TIME_SCALE,
    deployed_stepper,
    error_of,
    settled,
    stepper,
    switched,
    upload_stepper,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudServer]:
    with LocalCloudServer(state_dir=tmp_path_factory.mktemp("serve"), port=0, time_scale=TIME_SCALE) as served:
        upload_stepper(served)
        yield served


def rollback_failed(server: LocalCloudServer, name: str) -> Any:
    """The stack ``name`` after an update to step 2 whose Update and rollback Update were both refused."""
    cfn = local_client(server.endpoint_url, "cloudformation")
    deployed_stepper(server, name)
    switched(server, f"/{name}/switch", "refuse")
    cfn.update_stack(StackName=name, TemplateBody=stepper("2", f"/{name}/switch"), Capabilities=["CAPABILITY_IAM"])
    stack = settled(cfn, name, timeout=120)
    assert (stack["StackStatus"], stack["StackStatusReason"]) == (
        "UPDATE_ROLLBACK_FAILED",
        "The following resource(s) failed to update: [Step].",
    )
    return cfn


def step_events(cfn: Any, name: str) -> list[tuple[str, str | None]]:
    """The Step resource's events, oldest first."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        (e["ResourceStatus"], e.get("ResourceStatusReason"))
        for e in reversed(events)
        if e["LogicalResourceId"] == "Step"
    ]


def test_continue_update_rollback_sends_the_refused_rollback_update_again(server: LocalCloudServer) -> None:
    cfn = rollback_failed(server, "Continued")
    with pytest.raises(ClientError) as caught:
        cfn.continue_update_rollback(StackName="Continued", ResourcesToSkip=["Stepper"])
    assert error_of(caught)[2].startswith("ResourcesToSkip [Stepper]: only resources in UPDATE_FAILED because their")
    with pytest.raises(ClientError) as caught:
        cfn.continue_update_rollback(StackName="Continued", ResourcesToSkip=["Step"], ForceRollback=True)
    assert "mutually exclusive" in error_of(caught)[2]
    with pytest.raises(ClientError) as caught:
        cfn.update_stack(StackName="Continued", UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"])
    assert "is in UPDATE_ROLLBACK_FAILED state and can not be updated" in error_of(caught)[2]
    switched(server, "/Continued/switch", "accept")

    cfn.continue_update_rollback(StackName="Continued")

    stack = settled(cfn, "Continued", timeout=120)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "Step", "OutputValue": "1"}]
    events = step_events(cfn, "Continued")
    # Forward (refused), rollback (refused), then the continued rollback's Update.
    assert [status for status, _ in events[2:]] == ["UPDATE_IN_PROGRESS", "UPDATE_FAILED"] * 2 + [
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ], events
    assert "Message returned: step 2 refused" in str(events[3][1])
    assert "Message returned: step 1 refused" in str(events[5][1])
    with pytest.raises(ClientError) as caught:
        cfn.continue_update_rollback(StackName="Continued")
    assert (
        "ContinueUpdateRollback continues only the rollback of a stack in UPDATE_ROLLBACK_FAILED" in error_of(caught)[2]
    )
    cfn.delete_stack(StackName="Continued")
    assert settled(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_force_rollback_skips_every_resource_whose_rollback_failed(server: LocalCloudServer) -> None:
    cfn = local_client(server.endpoint_url, "cloudformation")
    deployed_stepper(server, "Forced")
    switched(server, "/Forced/switch", "refuse")
    update = stepper("2", "/Forced/switch")
    created = cfn.create_change_set(
        StackName="Forced", ChangeSetName="two", TemplateBody=update, Capabilities=["CAPABILITY_IAM"]
    )
    settled_change_set = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert settled_change_set["Status"] == "CREATE_COMPLETE"
    cfn.execute_change_set(ChangeSetName=created["Id"])
    with pytest.raises(ClientError) as caught:  # a second deployment deletes the change set it would replace
        cfn.delete_change_set(StackName="Forced", ChangeSetName="two")
    assert error_of(caught) == (
        "InvalidChangeSetStatus",
        400,
        "An operation on this ChangeSet is currently in progress.  Please attempt this operation again later.",
    )
    assert settled(cfn, "Forced", timeout=120)["StackStatus"] == "UPDATE_ROLLBACK_FAILED"
    requests = len(step_events(cfn, "Forced"))

    cfn.continue_update_rollback(StackName="Forced", ForceRollback=True)

    stack = settled(cfn, "Forced", timeout=120)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = step_events(cfn, "Forced")
    assert events[requests:] == [("UPDATE_COMPLETE", "Resource skipped during UpdateRollback")]  # no request sent
    [step] = cfn.describe_stack_resources(StackName="Forced", LogicalResourceId="Step")["StackResources"]
    assert step["ResourceStatus"] == "UPDATE_COMPLETE"


def test_a_stack_whose_rollback_failed_can_be_deleted(server: LocalCloudServer) -> None:
    cfn = rollback_failed(server, "Abandoned")
    with pytest.raises(ClientError) as caught:
        cfn.delete_stack(StackName="Abandoned", RetainResources=["Step"])
    assert "RetainResources can only be specified when the stack is in the DELETE_FAILED state" in error_of(caught)[2]
    with pytest.raises(ClientError) as caught:
        cfn.delete_stack(StackName="Abandoned", DeletionMode="FORCE_DELETE_STACK")
    assert (
        "FORCE_DELETE_STACK in a delete stack operation only when the stack is in the DELETE_FAILED"
        in (error_of(caught)[2])
    )
    stack_id = cfn.describe_stacks(StackName="Abandoned")["Stacks"][0]["StackId"]

    cfn.delete_stack(StackName="Abandoned")

    assert settled(cfn, stack_id, timeout=120)["StackStatus"] == "DELETE_COMPLETE"
    assert server.leftovers(["Abandoned"])["clean"]


def test_an_update_cut_off_by_a_stop_of_the_local_cloud_rolls_back_when_it_starts_again(tmp_path: Path) -> None:
    """The Update the stop cut off never gets its response: the update rolls back, as CloudFormation rolls back an
    update whose request timed out, once the local cloud is back."""
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=TIME_SCALE) as first:
        upload_stepper(first)
        cfn = local_client(first.endpoint_url, "cloudformation")
        deployed_stepper(first, "Stopped")
        switched(first, "/Stopped/switch", "hang")
        cfn.update_stack(
            StackName="Stopped", TemplateBody=stepper("2", "/Stopped/switch"), Capabilities=["CAPABILITY_IAM"]
        )
        wait_for(lambda: ("UPDATE_IN_PROGRESS", None) in step_events(cfn, "Stopped"))
    [document] = [json.loads(path.read_text()) for path in (tmp_path / "stacks").glob("*.json")]
    assert document["State"]["StackStatus"] == "UPDATE_IN_PROGRESS"  # ended as it stood: no rollback yet
    assert [entry["LogicalResourceId"] for entry in document["State"]["Update"]["Changed"]] == ["Step"]

    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=TIME_SCALE) as second:
        cfn = local_client(second.endpoint_url, "cloudformation")
        stack = settled(cfn, "Stopped", timeout=120)
        assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", stack.get("StackStatusReason")
        assert stack["Outputs"] == [{"OutputKey": "Step", "OutputValue": "1"}]
        own = [
            (e["ResourceStatus"], e.get("ResourceStatusReason"))
            for e in cfn.describe_stack_events(StackName="Stopped")["StackEvents"]
            if e["LogicalResourceId"] == "Stopped"
        ]
        assert (
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "The local cloud stopped during the operation: the requests it was waiting for got no response",
        ) in own
        events = step_events(cfn, "Stopped")
        assert any("the local cloud stopped before a response" in str(reason) for _, reason in events), events
        assert events[-2:] == [("UPDATE_IN_PROGRESS", None), ("UPDATE_COMPLETE", None)]
        cfn.delete_stack(StackName="Stopped")
        assert settled(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
