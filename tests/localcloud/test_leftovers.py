"""What a destroy left behind is checked for that stack only (with two stacks of one app deployed)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import boto3

from lookoutvision_localcloud import driver
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.assembly import datasets_of_app
from tests.localcloud.cdk_cli.apps import synth


def run(
    command: Callable[[driver.RunOptions], driver.RunResult], app: Path, stack: str, emulator: Emulator, state_dir: Path
) -> tuple[driver.RunResult, str]:
    out = io.StringIO()
    options = driver.RunOptions(
        app=app, stack=stack, state_dir=state_dir, out=out, emulator=emulator, s3_objects=datasets_of_app(app)
    )
    return command(options), out.getvalue()


def test_destroying_one_stack_reports_its_own_leftovers_only(local_emulator: Emulator, tmp_path: Path) -> None:
    app = synth(tmp_path / "pair", {"ScopeA": ("scope-a", None), "ScopeB": ("scope-b", None)})
    state = tmp_path / "state"
    for stack in ("ScopeA", "ScopeB"):
        deployed, output = run(driver.deploy, app, stack, local_emulator, state)
        assert deployed.exit_code == 0, output

    destroyed, output = run(driver.destroy, app, "ScopeA", local_emulator, state)
    assert destroyed.exit_code == 0, output
    assert destroyed.leftovers is not None and destroyed.leftovers.problems == []
    assert "scope-b" not in output
    assert output.rstrip().endswith("OK: DELETE_COMPLETE")
    lookout = boto3.client("lookoutvision", endpoint_url=local_emulator.endpoint_url, region_name="us-east-1")
    assert [p["ProjectName"] for p in lookout.list_projects()["Projects"]] == ["scope-b"]

    # A version that B's provider made and B's template no longer knows (its owner tag says whose it is).
    [model] = lookout.list_models(ProjectName="scope-b")["Models"]
    tags = lookout.list_tags_for_resource(ResourceArn=model["ModelArn"])["Tags"]
    lookout.create_model(ProjectName="scope-b", OutputConfig={"S3Location": {"Bucket": "scope-b-images"}}, Tags=tags)
    local_emulator.configure(training=0.0)
    destroyed, output = run(driver.destroy, app, "ScopeB", local_emulator, state)
    assert destroyed.exit_code == 1
    assert destroyed.leftovers is not None
    assert any("model/scope-b/2" in problem for problem in destroyed.leftovers.problems), destroyed.leftovers


def test_a_stack_whose_deletion_failed_lists_each_thing_left_once(local_emulator: Emulator, tmp_path: Path) -> None:
    """The project's leftovers name its dataset and model, which their own resources name too: each is listed once."""
    app = synth(tmp_path / "app", {"Stuck": ("stuck", None)})
    state = tmp_path / "state"
    deployed, output = run(driver.deploy, app, "Stuck", local_emulator, state)
    assert deployed.exit_code == 0, output
    local_emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))
    try:
        destroyed, output = run(driver.destroy, app, "Stuck", local_emulator, state)
    finally:
        local_emulator.faults.clear()

    assert destroyed.exit_code == 1, output
    assert destroyed.leftovers is not None
    problems = destroyed.leftovers.problems
    assert len(problems) == len(set(problems)), problems
    assert [p for p in problems if "Lookout for Vision dataset stuck/train" in p] == [
        "Lookout for Vision dataset stuck/train"
    ]
    assert len([p for p in problems if "model/stuck/1 Lookout for Vision model" in p]) == 1, problems
    assert "Lookout for Vision project stuck" in problems
    destroyed, output = run(driver.destroy, app, "Stuck", local_emulator, state)
    assert destroyed.exit_code == 0, output
