"""AWS::Lambda::Function: a local Lambda service running the function's Python handler.

The handler runs from the function's code exactly as ``cdk synth`` bundled it — its asset folder
in the cloud assembly, or, deployed through the CloudFormation API, the S3 object the CLI
published — never from the local cloud's own packages, under the runtime the function declares
(``python3.13``: see ``localcloud.awslambda.environment``), with the temporary credentials of its
execution role (the ``Role`` property) in its environment, as Lambda gives them: a session of the
role named after the function (``localcloud.iam.sessions``), whose calls IAM judges. A function
that cannot run here (another runtime, no code holding its handler) is recorded as simulated, and
so are the custom resources it serves.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.awslambda import LambdaService, provider_edge
from localcloud.cloud import LocalCloud
from localcloud.cloudformation.function_code import code_from_s3
from localcloud.cloudformation.handlers import physical_name
from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.records import Mode, ResourceOutcome, ResourceRecord, ResourceRequest

RESOURCE_TYPE = "AWS::Lambda::Function"
DEFAULT_TIMEOUT = 3.0  # Lambda's default, seconds
ASSET_PATH_METADATA = "aws:asset:path"


@dataclass(frozen=True)
class CodeLocation:
    """A function's handler, the asset directory it is found in, and the runtime that runs it."""

    handler: str
    directory: str
    runtime: str

    def describe(self) -> str:
        return f"{self.handler} under {self.runtime} from its asset"


def function_arn(stack: StackContext, name: str) -> str:
    return f"arn:{stack.partition}:lambda:{stack.region}:{stack.account_id}:function:{name}"


def locate_code(properties: dict[str, Any], asset_directory: Path | None) -> CodeLocation | str:
    """Where to run the handler from, or why it cannot run locally."""
    runtime = str(properties.get("Runtime", ""))
    handler = properties.get("Handler")
    if not runtime.startswith("python"):
        return f"runtime {runtime or 'unknown'} cannot run locally (Python functions only)"
    if not isinstance(handler, str) or "." not in handler:
        return f"handler {handler!r} is not module.function"
    module = handler.rsplit(".", 1)[0]
    if asset_directory is None:
        return "the function's code is not here (no asset folder in the cloud assembly, no S3 object published)"
    if not _module_in(asset_directory, module):
        return f"handler module {module} is not in the function's asset {asset_directory}"
    return CodeLocation(handler, str(asset_directory.resolve()), runtime)


def asset_folder(assembly_directory: Path, metadata: dict[str, Any], properties: dict[str, Any]) -> Path | None:
    """The function's asset folder in the cloud assembly.

    Named by the resource's ``aws:asset:path`` metadata, which the CDK CLI asks for; without it (an
    app synthesized in process, ``cdk synth --no-asset-metadata``), the assets manifest's file
    whose S3 object key is the function's ``Code.S3Key``.
    """
    path = metadata.get(ASSET_PATH_METADATA)
    if path:
        return assembly_directory / str(path)
    key = (properties.get("Code") or {}).get("S3Key")
    for manifest in sorted(assembly_directory.glob("*.assets.json")):
        for asset in json.loads(manifest.read_text()).get("files", {}).values():
            keys = {destination.get("objectKey") for destination in asset.get("destinations", {}).values()}
            if key in keys and asset.get("source", {}).get("packaging") == "zip":
                return assembly_directory / str(asset["source"]["path"])
    return None


def _module_in(directory: Path, module: str) -> bool:
    """Whether ``module`` is in ``directory``, from source or as bytecode only."""
    path = directory.joinpath(*module.split("."))
    candidates = (path.with_suffix(".py"), path.with_suffix(".pyc"), path / "__init__.py", path / "__init__.pyc")
    return any(candidate.is_file() for candidate in candidates)


class LambdaFunctionHandler:
    """Starts (and on Delete stops) one local Lambda service per function."""

    mode = Mode.LAMBDA

    def __init__(self, cloud: LocalCloud, assembly_directory: Path | None = None, idle_wait: float = 2.0) -> None:
        self._cloud = cloud
        self._assembly_directory = assembly_directory
        self._idle_wait = idle_wait
        # Invocations still queued or running when their function was deleted: re-invocation artefacts.
        self.pending_at_delete: list[str] = []

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        properties = request.properties
        name = str(properties.get("FunctionName") or physical_name(request.stack, request.logical_id))
        arn = function_arn(request.stack, name)
        if self._assembly_directory is None:  # deployed through the CloudFormation API: the code the CLI published
            asset_directory = code_from_s3(self._cloud, properties)
        else:
            asset_directory = asset_folder(self._assembly_directory, request.metadata, properties)
        code = locate_code(properties, asset_directory)
        if isinstance(code, str):
            return ResourceOutcome(True, Mode.SIMULATED, name, {"Arn": arn}, note=code)
        try:
            self._start(name, arn, properties, code, request.stack)
        except (OSError, ValueError, ClientError, BotoCoreError) as exc:
            return ResourceOutcome.failed(self.mode, f"cannot start the local function {name}: {exc}")
        local = {"handler": code.handler, "directory": code.directory, "runtime": code.runtime}
        return ResourceOutcome(True, self.mode, name, {"Arn": arn}, note=f"runs {code.describe()}", local=local)

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        """A new FunctionName is a replacement; anything else restarts the function in place."""
        name = request.properties.get("FunctionName") or request.physical_id
        if name != request.physical_id:
            return self.create(request)
        service = self._cloud.remove_function(function_arn(request.stack, str(name)))
        if service is not None:
            service.close()
        outcome = self.create(dataclasses.replace(request, properties={**request.properties, "FunctionName": name}))
        return dataclasses.replace(outcome, physical_id=request.physical_id)

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        name = request.physical_id or ""
        arn = function_arn(request.stack, name)
        service = self._cloud.function(arn)
        note = ""
        if service is not None:
            try:  # still invokable meanwhile: a continuation that keeps re-invoking it is what this finds
                service.wait_idle(self._idle_wait)
            except TimeoutError as exc:
                note = f"deleted with work pending: {exc}"
                self.pending_at_delete.append(f"function {name}: {exc}")
        service = self._cloud.remove_function(arn)
        if service is not None:
            service.close()
        return ResourceOutcome(True, self.mode, name, note=note)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        if record.mode is not Mode.LAMBDA or not record.physical_id:
            return
        runtime = record.local.get("runtime") or str(record.properties.get("Runtime", ""))
        code = CodeLocation(record.local["handler"], record.local["directory"], runtime)
        self._start(record.physical_id, function_arn(stack, record.physical_id), record.properties, code, stack)

    def _start(self, name: str, arn: str, properties: dict[str, Any], code: CodeLocation, stack: StackContext) -> None:
        role = properties.get("Role")
        if role is None:
            raise ValueError("Properties validation failed: required key [Role] not found")
        if not isinstance(role, str) or not role.startswith("arn:") or ":role/" not in role:
            raise ValueError(f"Properties validation failed: Role {role!r} is not the ARN of an IAM role")
        credentials = self._cloud.sessions.start(name, role, stack.region)
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        env = self._cloud.function_environment({key: str(value) for key, value in variables.items()})
        service = LambdaService(
            code.handler,
            code=code.directory,
            runtime=code.runtime,
            env=env,
            timeout=float(properties.get("Timeout", DEFAULT_TIMEOUT)),
            function_name=name,
            memory_size=int(properties.get("MemorySize", 128)),
            region=stack.region,
            account_id=stack.account_id,
            clock=self._cloud.clock,
            edge=provider_edge.EDGE if code.handler == provider_edge.PROVIDER_HANDLER else None,
            edge_options={"extra_response_hosts": [self._cloud.responses.host]},
            credentials=credentials,
        )
        service.__enter__()
        self._cloud.add_function(arn, service)
