"""Which handler plays which resource: the emulator, a custom resource's function, moto, or a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localcloud.cloud import LocalCloud
from localcloud.cloudformation import lambda_function, lookoutvision_project, moto_resources
from localcloud.cloudformation.custom_resource import CustomResourceHandler
from localcloud.cloudformation.handlers import ResourceHandler, SimulatedHandler, is_custom_resource
from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.lambda_function import LambdaFunctionHandler
from localcloud.cloudformation.lookoutvision_project import LookoutVisionProjectHandler
from localcloud.cloudformation.moto_resources import MotoHandler
from localcloud.cloudformation.records import Mode, ResourceRecord
from localcloud.cloudformation.template import ResourceDefinition, creation_levels

# Types CloudFormation itself treats as records with no service behind them.
NO_OP_TYPES = frozenset({"AWS::CDK::Metadata", "AWS::CloudFormation::WaitConditionHandle"})


class Handlers:
    """The handlers of one local cloud; implements the engine's HandlerLookup.

    ``strict``: play every resource for real or fail it (the CloudFormation API's way); otherwise a
    resource no local service stands for is recorded as simulated (``python -m localcloud deploy``).
    """

    def __init__(self, cloud: LocalCloud, assembly_directory: Path | None = None, *, strict: bool = False) -> None:
        self.cloud = cloud
        self.strict = strict
        self.project = LookoutVisionProjectHandler(cloud)
        self.custom = CustomResourceHandler(cloud)
        self.functions = LambdaFunctionHandler(cloud, assembly_directory)
        self.moto = MotoHandler(cloud)
        self.simulated = SimulatedHandler()

    def unsupported(self, resources: dict[str, ResourceDefinition]) -> list[str]:
        """``TYPE (logical ids)`` for each resource type that cannot be played here: no handler, or a
        function runtime the local Lambda does not run."""
        found: dict[str, list[str]] = {}
        for logical_id, definition in sorted(resources.items()):
            kind = definition.resource_type
            runtime = definition.properties.get("Runtime")
            if kind == lambda_function.RESOURCE_TYPE and isinstance(runtime, str) and not runtime.startswith("python"):
                found.setdefault(f"{kind} with Runtime {runtime}", []).append(logical_id)
            elif not self._has_handler(kind):
                found.setdefault(kind, []).append(logical_id)
        return [f"{kind} ({', '.join(ids)})" for kind, ids in found.items()]

    @staticmethod
    def _has_handler(resource_type: str) -> bool:
        return (
            resource_type in (lookoutvision_project.RESOURCE_TYPE, lambda_function.RESOURCE_TYPE)
            or resource_type in moto_resources.RESOURCE_TYPES
            or resource_type in NO_OP_TYPES
            or is_custom_resource(resource_type, {"ServiceToken": ""})
        )

    def for_request(self, resource_type: str, properties: dict[str, Any]) -> ResourceHandler:
        if resource_type == lookoutvision_project.RESOURCE_TYPE:
            return self.project
        if is_custom_resource(resource_type, properties):
            served = self.cloud.function(str(properties["ServiceToken"])) is not None
            return self.custom if served or self.strict else self.simulated
        if resource_type == lambda_function.RESOURCE_TYPE:
            return self.functions
        if resource_type in moto_resources.RESOURCE_TYPES:
            return self.moto
        return self.simulated

    def for_record(self, record: ResourceRecord) -> ResourceHandler:
        by_mode: dict[Mode, ResourceHandler] = {
            Mode.EMULATOR: self.project,
            Mode.CUSTOM: self.custom,
            Mode.LAMBDA: self.functions,
            Mode.MOTO: self.moto,
            Mode.SIMULATED: self.simulated,
        }
        return by_mode[record.mode]

    def restore(self, records: dict[str, ResourceRecord], stack: StackContext) -> list[str]:
        """Bring back, in creation order, what a previous run left only in memory (functions, moto).

        Returns a warning per resource that could not be brought back (its Delete will say more).
        """
        graph = {key: set(record.dependencies) & set(records) for key, record in records.items()}
        warnings = []
        for level in creation_levels(graph):
            for logical_id in level:
                record = records[logical_id]
                if not record.physical_id:
                    continue
                try:
                    self.for_record(record).restore(record, stack)
                except Exception as exc:  # reported, and the Delete goes on
                    warnings.append(f"{logical_id}: could not restore the local {record.mode}: {exc}")
        return warnings
