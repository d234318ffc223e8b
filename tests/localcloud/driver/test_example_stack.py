"""The example app's synthesized stack, deployed and destroyed through the driver against the emulator."""

from __future__ import annotations

import io
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from lookoutvision_cdk_provider.consts import DATASET_RESOURCE_TYPE, DATASET_SOURCE, MODEL_RESOURCE_TYPE
from lookoutvision_localcloud import driver
from lookoutvision_localcloud.cloudformation.records import Status
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from lookoutvision_localcloud.s3_upload import S3Objects
from tests.fixtures.assembly import Assembly
from tests.fixtures.emulator import requests_of
from tests.fixtures.faults import UntilCalled
from tests.fixtures.state import saved_document, saved_stack


def run(
    command: Any, assembly: Assembly, emulator: Emulator, state_dir: Path, s3_objects: S3Objects | None = None
) -> tuple[driver.RunResult, str]:
    """``command`` on the stack, after uploading its datasets' S3 data (the default) or ``s3_objects``."""
    out = io.StringIO()
    objects = assembly.datasets() if s3_objects is None else s3_objects
    options = driver.RunOptions(
        app=assembly.directory, state_dir=state_dir, out=out, emulator=emulator, s3_objects=objects
    )
    return command(options), out.getvalue()


def assert_emulator_empty(emulator: Emulator) -> None:
    client = boto3.client("lookoutvision", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    assert client.list_projects()["Projects"] == []


def statuses(result: driver.RunResult) -> list[tuple[str, Status]]:
    return [(e.logical_id, e.status) for op in result.operations for e in op.events]


def model_id(assembly: Assembly) -> str:
    return next(iter(assembly.resources_of_type(MODEL_RESOURCE_TYPE)))


def test_deploy_then_destroy_leaves_nothing(example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path):
    result, output = run(driver.up, example_assembly, local_emulator, tmp_path)
    assert result.exit_code == 0, output
    stack = example_assembly.stack_name
    assert (stack, Status.CREATE_COMPLETE) in statuses(result)
    assert statuses(result)[-1] == (stack, Status.DELETE_COMPLETE)
    assert_emulator_empty(local_emulator)
    assert result.leftovers is not None and result.leftovers.problems == []
    outputs = result.operations[0].outputs
    assert outputs["ModelStatus"] == "HOSTED"  # Fn::GetAtt of the provider's response Data
    project = next(iter(example_assembly.resources_of_type("AWS::LookoutVision::Project").values()))
    name = project["Properties"]["ProjectName"]
    assert outputs["ModelArn"] == f"arn:aws:lookoutvision:us-east-1:123456789012:model/{name}/1"
    operations = [call.operation for call in result.calls]
    for operation in ("CreateProject", "CreateDataset", "CreateModel", "StartModel", "StopModel", "DeleteModel"):
        assert operations.count(operation) == 1, operation
    assert operations.index("DeleteModel") < operations.index("DeleteDataset") < operations.index("DeleteProject")
    assert "nothing: no project, dataset or model" in output
    assert saved_stack(tmp_path, stack) is None


def test_failed_training_rolls_back_and_leaves_nothing(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
):
    local_emulator.configure(training_outcome="TRAINING_FAILED")
    result, output = run(driver.deploy, example_assembly, local_emulator, tmp_path)
    assert result.exit_code == 1
    model = model_id(example_assembly)
    events = statuses(result)
    assert (model, Status.CREATE_FAILED) in events
    assert events[-1] == (example_assembly.stack_name, Status.ROLLBACK_COMPLETE)
    failed = next(e for e in result.operations[0].events if e.status is Status.CREATE_FAILED)
    assert "training failed" in failed.reason.lower()
    # The failed model existed: its Delete carried the model ARN it answered, and removed it.
    assert events.index((model, Status.CREATE_FAILED)) < events.index((model, Status.DELETE_COMPLETE))
    delete_calls = requests_of(local_emulator, "DeleteModel")
    assert len(delete_calls) == 1 and delete_calls[0].status == 202
    assert_emulator_empty(local_emulator)
    assert result.leftovers is not None and result.leftovers.problems == [], output
    assert "ROLLBACK_COMPLETE" in output
    assert saved_stack(tmp_path, example_assembly.stack_name) is None


def test_a_dataset_made_by_a_create_that_got_no_answer_is_rolled_back(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
):
    """The service makes the dataset, every answer to the Create is lost until its deadline (the Delete's first look
    ends the outage): the rollback removes the dataset, then the project."""
    [dataset] = example_assembly.resources_of_type(DATASET_RESOURCE_TYPE)
    assembly = _with_properties(example_assembly, tmp_path / "cdk.out", dataset, ServiceTimeout="600")
    lost = UntilCalled(local_emulator, "drop_connection", "CreateDataset", until="DescribeDataset", after_action=True)
    local_emulator.faults.add(lost)
    result, output = run(driver.deploy, assembly, local_emulator, tmp_path / "state")
    assert result.exit_code == 1
    events = statuses(result)
    assert (dataset, Status.CREATE_FAILED) in events
    assert (dataset, Status.DELETE_COMPLETE) in events, output
    assert events[-1] == (example_assembly.stack_name, Status.ROLLBACK_COMPLETE), output
    assert [c.ok for c in requests_of(local_emulator, "DeleteDataset")] == [True]
    assert_emulator_empty(local_emulator)
    assert result.leftovers is not None and result.leftovers.problems == [], output


def test_destroying_a_hosted_model_stops_deletes_and_waits_until_listed_no_more(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
):
    deployed, output = run(driver.deploy, example_assembly, local_emulator, tmp_path)
    assert deployed.exit_code == 0, output
    state = saved_stack(tmp_path, example_assembly.stack_name)
    assert state is not None
    model_arn = state["Resources"][model_id(example_assembly)]["physical_id"]
    project, version = model_arn.split("/")[-2:]
    client = boto3.client("lookoutvision", endpoint_url=local_emulator.endpoint_url, region_name="us-east-1")
    assert client.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]["Status"] == "HOSTED"
    # The stack's document holds what the CloudFormation API would describe: the template and the outputs.
    document = saved_document(tmp_path, example_assembly.stack_name)
    assert document is not None
    assert json.loads(document["template_body"]) == json.loads(example_assembly.template_path.read_text())
    outputs = {output["OutputKey"]: output["OutputValue"] for output in document["outputs"]}
    assert (outputs["ModelArn"], outputs["ModelStatus"]) == (model_arn, "HOSTED")

    # A deleted version stays listed for a while (eventual consistency): the destroy must poll past it.
    local_emulator.configure(list_models_lag=30.0)
    before = len(local_emulator.calls)
    destroyed, output = run(driver.destroy, example_assembly, local_emulator, tmp_path)  # a separate run
    assert destroyed.exit_code == 0, output
    calls = local_emulator.calls[before:]
    operations = [call.operation for call in calls]
    assert operations.index("StopModel") < operations.index("DeleteModel")
    # The provider's calls end with DeleteProject; the leftover check's reads come after it.
    after_delete = calls[operations.index("DeleteModel") : operations.index("DeleteProject")]
    list_models = [call for call in after_delete if call.operation == "ListModels"]
    assert len(list_models) >= 2, "ListModels was not polled until the version was gone"
    delete_model = calls[operations.index("DeleteModel")]
    # Service seconds: the version leaves DescribeModel after `deleting` (10 s), ListModels 30 s later.
    assert list_models[-1].time >= delete_model.time + 30.0
    assert calls[operations.index("DeleteProject")].time > list_models[-1].time
    assert operations.index("DeleteProject") > operations.index("ListModels")
    assert_emulator_empty(local_emulator)
    assert saved_stack(tmp_path, example_assembly.stack_name) is None


def test_updates_hosting_in_place_then_replace_the_model(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
):
    app = tmp_path / "cdk.out"
    shutil.copytree(example_assembly.directory, app)
    template_path = app / example_assembly.template_path.name
    model = model_id(example_assembly)
    copy = Assembly(directory=app, stack_name=example_assembly.stack_name, template=example_assembly.template)

    def edit(change: Any) -> None:
        template = json.loads(template_path.read_text())
        change(template["Resources"][model]["Properties"])
        template_path.write_text(json.dumps(template))

    def physical_id() -> str:
        saved = saved_stack(tmp_path / "state", example_assembly.stack_name)
        assert saved is not None
        return str(saved["Resources"][model]["physical_id"])

    deployed, output = run(driver.deploy, copy, local_emulator, tmp_path / "state")
    assert deployed.exit_code == 0, output
    first_arn = physical_id()

    edit(lambda properties: properties.pop("Hosting"))
    before = len(local_emulator.calls)
    updated, output = run(driver.deploy, copy, local_emulator, tmp_path / "state")
    assert updated.exit_code == 0, output
    operations = [call.operation for call in local_emulator.calls[before:]]
    assert "StopModel" in operations and "CreateModel" not in operations and "DeleteModel" not in operations
    assert physical_id() == first_arn  # in place
    assert (model, Status.UPDATE_COMPLETE) in statuses(updated)

    edit(lambda properties: properties.update(Description="Second-version"))
    before = len(local_emulator.calls)
    replaced, output = run(driver.deploy, copy, local_emulator, tmp_path / "state")
    assert replaced.exit_code == 0, output
    assert physical_id().endswith("/2") and first_arn.endswith("/1")
    operations = [call.operation for call in local_emulator.calls[before:]]
    assert operations.index("CreateModel") < operations.index("DeleteModel")  # old version deleted in cleanup
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in output

    destroyed, output = run(driver.destroy, copy, local_emulator, tmp_path / "state")
    assert destroyed.exit_code == 0, output
    assert_emulator_empty(local_emulator)


def _with_template(assembly: Assembly, target: Path, change: Callable[[dict[str, Any]], None]) -> Assembly:
    """A copy of the assembly whose template ``change`` edited (as a new synth would)."""
    shutil.copytree(assembly.directory, target)
    template = json.loads(assembly.template_path.read_text())
    change(template)
    copy = Assembly(directory=target, stack_name=assembly.stack_name, template=template)
    copy.template_path.write_text(json.dumps(template))
    return copy


def _with_properties(assembly: Assembly, target: Path, logical_id: str, **changes: Any) -> Assembly:
    """A copy of the assembly whose resource ``logical_id`` has ``changes`` in its properties (as a new synth would)."""
    return _with_template(
        assembly, target, lambda template: template["Resources"][logical_id]["Properties"].update(changes)
    )


def _with_model_properties(assembly: Assembly, target: Path, **changes: Any) -> Assembly:
    """A copy of the assembly whose model resource has ``changes`` in its properties (as a new synth would)."""
    return _with_properties(assembly, target, model_id(assembly), **changes)


def _physical_id(state: Path, assembly: Assembly) -> str:
    """The model's physical id in the stack's saved state."""
    saved = saved_stack(state, assembly.stack_name)
    assert saved is not None
    return str(saved["Resources"][model_id(assembly)]["physical_id"])


def _deployed(assembly: Assembly, emulator: Emulator, state: Path) -> str:
    """Deploy the example stack; the model's ARN."""
    result, output = run(driver.deploy, assembly, emulator, state)
    assert result.exit_code == 0, output
    return str(result.operations[0].outputs["ModelArn"])


def test_a_failed_replacing_update_rolls_back_to_the_old_model_without_training(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    """Description changes (a new version); its training fails; the rollback Update finds the old version as it was."""
    state = tmp_path / "state"
    arn = _deployed(example_assembly, local_emulator, state)
    changed = _with_model_properties(example_assembly, tmp_path / "changed.out", Description="second-version")
    local_emulator.configure(training_outcome="TRAINING_FAILED")
    creates_before = len(requests_of(local_emulator, "CreateModel"))

    update, output = run(driver.deploy, changed, local_emulator, state)

    assert update.exit_code == 1, output
    events = statuses(update)
    model = model_id(example_assembly)
    assert (model, Status.UPDATE_FAILED) in events
    assert events[-1] == (example_assembly.stack_name, Status.UPDATE_ROLLBACK_COMPLETE), events
    creates = requests_of(local_emulator, "CreateModel")[creates_before:]
    assert len(creates) == 1, "the failed replacement only: the rollback trains nothing"
    assert _physical_id(state, example_assembly) == arn, "the original ARN is kept"
    local_emulator.configure(training_outcome="TRAINED")
    destroyed, output = run(driver.destroy, example_assembly, local_emulator, state)
    assert destroyed.exit_code == 0, output
    assert_emulator_empty(local_emulator)


def test_an_update_with_invalid_properties_rolls_back_to_the_same_model(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    arn = _deployed(example_assembly, local_emulator, state)
    invalid = _with_model_properties(example_assembly, tmp_path / "invalid.out", Description="has spaces")

    update, output = run(driver.deploy, invalid, local_emulator, state)

    assert update.exit_code == 1, output
    assert statuses(update)[-1] == (example_assembly.stack_name, Status.UPDATE_ROLLBACK_COMPLETE)
    assert len(requests_of(local_emulator, "CreateModel")) == 1
    assert _physical_id(state, example_assembly) == arn
    destroyed, output = run(driver.destroy, example_assembly, local_emulator, state)
    assert destroyed.exit_code == 0, output


def test_a_replaced_model_the_cleanup_cannot_delete_is_left_out_of_the_stack_and_named(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    """The old version's Delete is refused (AccessDenied) on each of the cleanup's three attempts: the update
    completes with the new version, and the run fails naming the old one, which is no longer the stack's."""
    state = tmp_path / "state"
    first = _deployed(example_assembly, local_emulator, state)
    changed = _with_model_properties(example_assembly, tmp_path / "changed.out", Description="second-version")
    local_emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))

    update, output = run(driver.deploy, changed, local_emulator, state)

    assert update.exit_code == 1, output
    model = model_id(example_assembly)
    events = statuses(update)
    assert events[-1] == (example_assembly.stack_name, Status.UPDATE_COMPLETE), events
    assert events.count((model, Status.DELETE_FAILED)) == 1
    assert [call.error_code for call in requests_of(local_emulator, "DeleteModel")] == ["AccessDeniedException"] * 3
    assert _physical_id(state, example_assembly).endswith("/2")
    assert update.leftovers is not None
    assert update.leftovers.problems == [
        f"{first} Lookout for Vision model (TRAINED), removed from the stack by an update's cleanup, which could "
        "not delete it"
    ]
    assert "Update successful. One or more resources could not be deleted." in output

    local_emulator.faults.clear()
    project, version = first.split("/")[-2:]
    lookout = boto3.client("lookoutvision", endpoint_url=local_emulator.endpoint_url, region_name="us-east-1")
    lookout.delete_model(ProjectName=project, ModelVersion=version)  # by hand, as its owner must
    deadline = time.monotonic() + 10
    while version in [m["ModelVersion"] for m in lookout.list_models(ProjectName=project)["Models"]]:
        assert time.monotonic() < deadline, "the deleted version is still listed"
        time.sleep(0.05)
    destroyed, output = run(driver.destroy, changed, local_emulator, state)
    assert destroyed.exit_code == 0, output
    assert_emulator_empty(local_emulator)


def _manifest_location(assembly: Assembly) -> tuple[str, str]:
    [dataset] = assembly.resources_of_type(DATASET_RESOURCE_TYPE).values()
    location = dataset["Properties"][DATASET_SOURCE]["GroundTruthManifest"]["S3Object"]
    return location["Bucket"], location["Key"]


def _without_s3_grants(action: str) -> Callable[[dict[str, Any]], None]:
    """A template change: the provider's policies no longer grant ``action`` (``s3:GetObject``, ...)."""

    def change(template: dict[str, Any]) -> None:
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                document = resource["Properties"]["PolicyDocument"]
                document["Statement"] = [s for s in document["Statement"] if s["Action"] != action]

    return change


def _failed_create(result: driver.RunResult, logical_id: str) -> str:
    """The reason of ``logical_id``'s CREATE_FAILED event."""
    events = [e for op in result.operations for e in op.events]
    return next(e.reason for e in events if e.logical_id == logical_id and e.status is Status.CREATE_FAILED)


def test_a_dataset_whose_manifest_is_missing_fails_the_deploy_naming_it(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    """CreateDataset reads the manifest: missing, the dataset ends CREATE_FAILED and the provider's reason says why."""
    bucket, key = _manifest_location(example_assembly)
    images_only = {bucket: {k: v for k, v in example_assembly.datasets()[bucket].items() if k != key}}

    result, output = run(driver.deploy, example_assembly, local_emulator, tmp_path, images_only)

    assert result.exit_code == 1, output
    [dataset] = example_assembly.resources_of_type(DATASET_RESOURCE_TYPE)
    reason = _failed_create(result, dataset)
    assert f"CREATE_FAILED: Failed to read the manifest file s3://{bucket}/{key}: NoSuchKey" in reason, reason
    assert statuses(result)[-1] == (example_assembly.stack_name, Status.ROLLBACK_COMPLETE)
    assert not local_emulator.calls_of("CreateModel")
    assert_emulator_empty(local_emulator)
    assert result.leftovers is not None and result.leftovers.problems == [], output


def test_a_role_without_get_object_on_the_manifest_fails_the_dataset_with_access_denied(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    bucket, key = _manifest_location(example_assembly)
    unreadable = _with_template(example_assembly, tmp_path / "no-read.out", _without_s3_grants("s3:GetObject"))

    result, output = run(driver.deploy, unreadable, local_emulator, tmp_path / "state")

    assert result.exit_code == 1, output
    [dataset] = example_assembly.resources_of_type(DATASET_RESOURCE_TYPE)
    reason = _failed_create(result, dataset)
    expected = (
        f"Failed to read the manifest file s3://{bucket}/{key}: AccessDenied on s3:GetObject: User: arn:aws:sts::"
    )
    assert expected in reason, reason
    assert statuses(result)[-1] == (example_assembly.stack_name, Status.ROLLBACK_COMPLETE)
    assert_emulator_empty(local_emulator)


def test_a_model_whose_role_cannot_write_the_output_fails_training(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    bucket, _ = _manifest_location(example_assembly)
    unwritable = _with_template(example_assembly, tmp_path / "no-write.out", _without_s3_grants("s3:PutObject"))

    result, output = run(driver.deploy, unwritable, local_emulator, tmp_path / "state")

    assert result.exit_code == 1, output
    reason = _failed_create(result, model_id(example_assembly))
    expected = f"training failed: Failed to write the training output to s3://{bucket}: AccessDenied on s3:PutObject: "
    assert expected in reason, reason
    [create] = requests_of(local_emulator, "CreateModel")
    assert create.ok  # the service took the request; training failed
    assert statuses(result)[-1] == (example_assembly.stack_name, Status.ROLLBACK_COMPLETE)
    assert_emulator_empty(local_emulator)
