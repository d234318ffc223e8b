"""Read a cloud assembly (what ``cdk synth`` writes to ``cdk.out``) and pick a stack from it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lookoutvision_localcloud.cloudformation.exceptions import AssemblyError

MANIFEST_FILE = "manifest.json"
STACK_ARTIFACT_TYPE = "aws:cloudformation:stack"
NESTED_ASSEMBLY_TYPE = "cdk:cloud-assembly"


@dataclass(frozen=True)
class StackArtifact:
    """One ``aws:cloudformation:stack`` artifact of an assembly."""

    artifact_id: str
    stack_name: str
    template_path: Path
    environment: str
    directory: Path

    def template(self) -> dict[str, Any]:
        """The stack's template as a dict."""
        try:
            template = json.loads(self.template_path.read_text())
        except (OSError, ValueError) as exc:
            raise AssemblyError(f"cannot read template {self.template_path}: {exc}") from exc
        if not isinstance(template, dict):
            raise AssemblyError(f"template {self.template_path} is not a JSON object")
        return template

    def asset_path(self, relative: str) -> Path:
        """An asset directory or file named in the template's ``aws:asset:path`` metadata."""
        return self.directory / relative


@dataclass(frozen=True)
class CloudAssembly:
    """The stacks of a cloud assembly directory (nested stage assemblies included)."""

    directory: Path
    stacks: tuple[StackArtifact, ...]

    @classmethod
    def read(cls, directory: str | Path) -> CloudAssembly:
        """Read ``directory/manifest.json``; raises AssemblyError with a hint when it is missing."""
        root = Path(directory)
        return cls(directory=root, stacks=tuple(_read_stacks(root, depth=0)))

    @property
    def stack_names(self) -> list[str]:
        return [stack.stack_name for stack in self.stacks]

    def stack(self, name: str | None = None) -> StackArtifact:
        """The stack called ``name`` (stack name or artifact id), or the only stack when no name is given."""
        if name is None:
            if len(self.stacks) == 1:
                return self.stacks[0]
            if not self.stacks:
                raise AssemblyError(f"the cloud assembly {self.directory} has no stack")
            raise AssemblyError(
                f"the cloud assembly {self.directory} has {len(self.stacks)} stacks; "
                f"choose one with --stack: {', '.join(self.stack_names)}"
            )
        for stack in self.stacks:
            if name in (stack.stack_name, stack.artifact_id):
                return stack
        raise AssemblyError(
            f"no stack named {name!r} in {self.directory}; its stacks are: {', '.join(self.stack_names) or 'none'}"
        )


def _read_stacks(directory: Path, depth: int) -> list[StackArtifact]:
    manifest_path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError as exc:
        raise AssemblyError(
            f"{manifest_path} not found: point --app at the directory `cdk synth` writes (cdk.out)"
        ) from exc
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"cannot read {manifest_path}: {exc}") from exc
    artifacts = manifest.get("artifacts") or {}
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_path}: 'artifacts' is not an object")
    stacks: list[StackArtifact] = []
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        properties = artifact.get("properties") or {}
        if kind == STACK_ARTIFACT_TYPE:
            template_file = properties.get("templateFile")
            if not template_file:
                raise AssemblyError(f"{manifest_path}: stack artifact {artifact_id!r} has no templateFile")
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    stack_name=properties.get("stackName") or artifact_id,
                    template_path=directory / template_file,
                    environment=artifact.get("environment", "aws://unknown-account/unknown-region"),
                    directory=directory,
                )
            )
        elif kind == NESTED_ASSEMBLY_TYPE and depth < 8 and properties.get("directoryName"):
            stacks.extend(_read_stacks(directory / properties["directoryName"], depth + 1))
    return stacks
