"""DeletionPolicy Retain at the template level: destroy sends no Delete and the model keeps running."""

from __future__ import annotations

import copy
from pathlib import Path

from lookoutvision_cdk_provider.consts import DATASET_RESOURCE_TYPE, MODEL_RESOURCE_TYPE
from lookoutvision_localcloud import driver
from lookoutvision_localcloud.cloudformation.records import Status
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.assembly import Assembly
from tests.fixtures.driver import run_app, write_assembly

RETAINED_TYPES = {MODEL_RESOURCE_TYPE, DATASET_RESOURCE_TYPE, "AWS::LookoutVision::Project"}


def test_retained_model_dataset_and_project_get_no_delete_request(
    example_assembly: Assembly, local_emulator: Emulator, tmp_path: Path
) -> None:
    template = copy.deepcopy(example_assembly.template)
    for resource in template["Resources"].values():
        if resource["Type"] in RETAINED_TYPES:
            resource["DeletionPolicy"] = resource["UpdateReplacePolicy"] = "Retain"
    directory = write_assembly(tmp_path / "cdk.out", example_assembly.stack_name, template)
    deployed, output = run_app(driver.deploy, directory, local_emulator, tmp_path / "state")
    assert deployed.exit_code == 0, output
    [model_id] = [k for k, v in template["Resources"].items() if v["Type"] == MODEL_RESOURCE_TYPE]
    model_arn = deployed.operations[0].state.resources[model_id].physical_id
    assert model_arn is not None
    project, version = model_arn.split("/")[-2:]
    before = len(local_emulator.calls)

    destroyed, output = run_app(driver.destroy, directory, local_emulator, tmp_path / "state")

    assert destroyed.exit_code == 0, output
    events = {(e.logical_id, e.status) for e in destroyed.operations[0].events}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in RETAINED_TYPES:
            assert (logical_id, Status.DELETE_SKIPPED) in events, logical_id
            assert (logical_id, Status.DELETE_IN_PROGRESS) not in events, logical_id
    # At most the leftover check's reads: nothing stopped or deleted.
    changes = [c.operation for c in local_emulator.calls[before:] if not c.operation.startswith(("Describe", "List"))]
    assert changes == [], "destroy touched the retained resources"
    assert local_emulator.backend.model_status(project, version) == "HOSTED"
    assert destroyed.leftovers is not None and destroyed.leftovers.problems == [], output
    assert any(f"{project}/{version}" in item for item in destroyed.leftovers.retained), destroyed.leftovers
