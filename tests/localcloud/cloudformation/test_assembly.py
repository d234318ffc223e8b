"""Reading a cloud assembly: manifest → stacks → templates, and choosing a stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookoutvision_localcloud.cloudformation.assembly import CloudAssembly
from lookoutvision_localcloud.cloudformation.exceptions import AssemblyError

TEMPLATE = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def write_assembly(
    directory: Path, stacks: dict[str, str | None], nested: dict[str, dict[str, str | None]] | None = None
) -> None:
    artifacts: dict[str, object] = {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}
    for artifact_id, stack_name in stacks.items():
        (directory / f"{artifact_id}.template.json").write_text(json.dumps(TEMPLATE))
        properties: dict[str, object] = {"templateFile": f"{artifact_id}.template.json"}
        if stack_name:
            properties["stackName"] = stack_name
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": properties,
        }
    for folder, inner in (nested or {}).items():
        (directory / folder).mkdir()
        write_assembly(directory / folder, inner)
        artifacts[folder] = {"type": "cdk:cloud-assembly", "properties": {"directoryName": folder}}
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))


def test_the_only_stack_is_chosen_without_a_name(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"AppStack": None})
    stack = CloudAssembly.read(tmp_path).stack()
    assert stack.stack_name == "AppStack"
    assert stack.template() == TEMPLATE
    assert stack.asset_path("asset.abc") == tmp_path / "asset.abc"


def test_stack_name_comes_from_properties_and_either_name_selects(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"ArtifactA": "stack-a", "ArtifactB": None})
    assembly = CloudAssembly.read(tmp_path)
    assert assembly.stack_names == ["stack-a", "ArtifactB"]
    assert assembly.stack("stack-a").artifact_id == "ArtifactA"
    assert assembly.stack("ArtifactA").stack_name == "stack-a"


def test_several_stacks_need_a_name(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"One": None, "Two": None})
    with pytest.raises(AssemblyError, match="--stack: One, Two"):
        CloudAssembly.read(tmp_path).stack()


def test_unknown_stack_lists_the_known_ones(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"One": None})
    with pytest.raises(AssemblyError, match=r"no stack named 'Nope'.*One"):
        CloudAssembly.read(tmp_path).stack("Nope")


def test_missing_manifest_says_what_to_point_at(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match=r"cdk\.out"):
        CloudAssembly.read(tmp_path / "cdk.out")


def test_stage_assemblies_are_read_with_their_own_directory(tmp_path: Path) -> None:
    write_assembly(tmp_path, {}, nested={"assembly-Prod": {"ProdStack": None}})
    stack = CloudAssembly.read(tmp_path).stack("ProdStack")
    assert stack.directory == tmp_path / "assembly-Prod"
    assert stack.template() == TEMPLATE
