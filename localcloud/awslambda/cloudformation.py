"""AWS::Lambda::Function played by the local Lambda: a function running its Python handler.

The handler runs from the function's code as ``cdk synth`` bundled it (its asset folder in the
cloud assembly, or the S3 object the CLI published, unzipped under the code directory), never
from the local cloud's own packages, under the runtime it declares, with its execution role's
session credentials (whose calls IAM judges). A function that cannot run here (another runtime,
no code holding its handler) is recorded as simulated, and so are the custom resources it serves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from lookoutvision_localcloud.awslambda import provider_edge
from lookoutvision_localcloud.awslambda.functions import LocalFunctions
from lookoutvision_localcloud.awslambda.logs import FunctionLogs, log_group_name
from lookoutvision_localcloud.awslambda.service import LambdaService
from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError
from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    ResourceDrift,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
)
from lookoutvision_localcloud.cloudformation.resources import SIMULATED, ResourceHandler, existence_drift, physical_name
from lookoutvision_localcloud.cloudformation.template import ResourceDefinition
from lookoutvision_localcloud.iam.sessions import SessionCredentials
from lookoutvision_localcloud.scaled_clock import ScaledClock

FUNCTION_TYPE = "AWS::Lambda::Function"
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


def function_arn_of(record: ResourceRecord) -> str:
    """The ARN of a recorded function."""
    arn = record.attributes.get("Arn")
    return str(arn) if arn else str(record.physical_id)


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


class FunctionCodeError(LocalCloudFormationError):
    """The function's code cannot be read (no such object, not a zip file)."""


class FunctionHost(Protocol):
    """What the local cloud gives the functions it runs."""

    @property
    def functions(self) -> LocalFunctions: ...

    @property
    def clock(self) -> ScaledClock: ...

    @property
    def code_directory(self) -> Path: ...

    def client(self, service: str) -> Any: ...

    def session_client(self, service: str, credentials: SessionCredentials) -> Any: ...

    def function_environment(self, variables: dict[str, str]) -> dict[str, str]: ...

    def role_session(self, function_name: str, role_arn: str, region: str) -> SessionCredentials: ...

    def provider_options(self) -> dict[str, Any]: ...


class LambdaFunctionHandler(ResourceHandler):
    """Starts (and on Delete stops) one local Lambda service per function, on ``host``.

    ``assembly_directory``: the cloud assembly whose asset folders hold the functions' code; None:
    the S3 objects the templates name (a deployment through the CloudFormation API), unzipped under
    the host's code directory, where a function's code stays while a running function runs it and
    goes with the last one (its Delete, or an update that gives it other code).
    """

    mode = "local lambda"
    plays = "Python AWS::Lambda::Function"

    def __init__(self, host: FunctionHost, assembly_directory: Path | None = None, idle_wait: float = 2.0) -> None:
        self._host = host
        self._assembly_directory = assembly_directory
        self._idle_wait = idle_wait
        # Invocations still queued or running when their function was deleted: re-invocation artefacts.
        self.pending_at_delete: list[str] = []
        # Held from a function's code being unzipped (or found) until it runs, and while unused code is removed.
        self._code_lock = threading.Lock()

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        properties = request.properties
        name = str(properties.get("FunctionName") or physical_name(request.stack, request.logical_id))
        arn = function_arn(request.stack, name)
        with self._code_lock:
            if self._assembly_directory is None:  # deployed through the CloudFormation API: the code the CLI published
                asset_directory = code_from_s3(self._host, properties)
            else:
                asset_directory = asset_folder(self._assembly_directory, request.metadata, properties)
            code = locate_code(properties, asset_directory)
            if isinstance(code, str):
                return ResourceOutcome(True, SIMULATED, name, {"Arn": arn}, note=code)
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
        service = self._host.functions.remove(function_arn(request.stack, str(name)))
        if service is not None:
            service.close()
        outcome = self.create(dataclasses.replace(request, properties={**request.properties, "FunctionName": name}))
        if service is not None:
            self._remove_unused_code(service.code)
        return dataclasses.replace(outcome, physical_id=request.physical_id)

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        name = request.physical_id or ""
        arn = function_arn(request.stack, name)
        service = self._host.functions.find(arn)
        note = ""
        if service is not None:
            try:  # still invokable meanwhile: a continuation that keeps re-invoking it is what this finds
                service.wait_idle(self._idle_wait)
            except TimeoutError as exc:
                note = f"deleted with work pending: {exc}"
                self.pending_at_delete.append(f"function {name}: {exc}")
        service = self._host.functions.remove(arn)
        if service is not None:
            service.close()
            self._remove_unused_code(service.code)
        return ResourceOutcome(True, self.mode, name, note=note)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        if record.mode != self.mode or not record.physical_id:
            return
        runtime = record.local.get("runtime") or str(record.properties.get("Runtime", ""))
        code = CodeLocation(record.local["handler"], record.local["directory"], runtime)
        self._start(record.physical_id, function_arn(stack, record.physical_id), record.properties, code, stack)

    def remove_unused_code(self) -> list[Path]:
        """Remove every function code under the host's code directory that no running function runs (what a
        stopped local cloud left: a function deleted meanwhile, an unzipping cut short); the directories removed."""
        code_directory = self._host.code_directory
        if not code_directory.is_dir():
            return []
        removed = []
        for directory in sorted(code_directory.iterdir()):
            if directory.is_dir() and self._remove_unused_code(directory):
                removed.append(directory)
        return removed

    def refusal(self, definition: ResourceDefinition) -> str | None:
        runtime = definition.properties.get("Runtime")
        return f"with Runtime {runtime}" if isinstance(runtime, str) and not runtime.startswith("python") else None

    def existing(self, record: ResourceRecord) -> list[str]:
        """The function if it still runs, and its code unzipped under the state directory if nothing runs it."""
        found = []
        if self._host.functions.find(function_arn_of(record)) is not None:
            found.append(f"Lambda function {record.physical_id}")
        directory = Path(record.local["directory"]) if record.local.get("directory") else None
        if (
            directory is not None
            and self._unzipped_here(directory)
            and directory.is_dir()
            and not self._runs(directory)
        ):
            found.append(f"Unzipped code of Lambda function {record.physical_id}: {directory}")
        return found

    def _unzipped_here(self, directory: Path) -> bool:
        """Whether ``directory`` is a function's code unzipped here (not an asset folder of a cloud assembly)."""
        return self._assembly_directory is None and directory.resolve().parent == self._host.code_directory.resolve()

    def _runs(self, directory: Path) -> bool:
        """Whether a running function runs the code in ``directory``."""
        return any(service.code == directory.resolve() for service in self._host.functions.all().values())

    def _remove_unused_code(self, directory: Path | None) -> bool:
        """Remove ``directory`` if it is code unzipped here that no running function runs; whether it was removed."""
        if directory is None or not self._unzipped_here(directory):
            return False
        with self._code_lock:
            if self._runs(directory):
                return False
            shutil.rmtree(directory, ignore_errors=True)
            return True

    def drift(self, record: ResourceRecord) -> ResourceDrift:
        return existence_drift(self.existing(record))

    def _start(self, name: str, arn: str, properties: dict[str, Any], code: CodeLocation, stack: StackContext) -> None:
        role = properties.get("Role")
        if role is None:
            raise ValueError("Properties validation failed: required key [Role] not found")
        if not isinstance(role, str) or not role.startswith("arn:") or ":role/" not in role:
            raise ValueError(f"Properties validation failed: Role {role!r} is not the ARN of an IAM role")
        credentials = self._host.role_session(name, role, stack.region)
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        env = self._host.function_environment({key: str(value) for key, value in variables.items()})
        group = log_group_name(name, properties.get("LoggingConfig"))
        logs = FunctionLogs(name, group, lambda: self._host.session_client("logs", credentials))
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
            clock=self._host.clock,
            edge=provider_edge.EDGE if code.handler == provider_edge.PROVIDER_HANDLER else None,
            edge_options=self._host.provider_options(),
            credentials=credentials,
            logs=logs,
        )
        service.__enter__()
        self._host.functions.add(arn, service)


def code_from_s3(host: FunctionHost, properties: dict[str, Any]) -> Path | None:
    """The directory holding the function's S3 code (``Code: {S3Bucket, S3Key[, S3ObjectVersion]}``), unzipped under
    the code directory in a directory named by the object's digest (the same asset deployed twice is unzipped once,
    and a later run finds it there); None when ``Code`` names no S3 object."""
    code = properties.get("Code")
    if not isinstance(code, dict) or not code.get("S3Bucket") or not code.get("S3Key"):
        return None
    bucket, key = str(code["S3Bucket"]), str(code["S3Key"])
    version = {"VersionId": str(code["S3ObjectVersion"])} if code.get("S3ObjectVersion") else {}
    try:
        body = host.client("s3").get_object(Bucket=bucket, Key=key, **version)["Body"].read()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise FunctionCodeError(
            f"Error occurred while GetObject. S3 Error Code: {error.get('Code')}. S3 Error Message: "
            f"{error.get('Message')} (s3://{bucket}/{key})"
        ) from exc
    host.code_directory.mkdir(parents=True, exist_ok=True)
    target = host.code_directory / hashlib.sha256(body).hexdigest()[:32]
    if not target.is_dir():
        unzip(body, target, f"s3://{bucket}/{key}")
    return target


def unzip(archive: bytes, target: Path, origin: str) -> None:
    """Extract ``archive`` into ``target`` (complete or not at all: extracted beside it, then renamed)."""
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            zipped.extractall(work)  # drops absolute paths and '..' from member names
        work.rename(target)
    except (zipfile.BadZipFile, OSError) as exc:
        if not target.is_dir():  # unless another function unzipped the same code meanwhile
            raise FunctionCodeError(f"Could not unzip uploaded file {origin}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
