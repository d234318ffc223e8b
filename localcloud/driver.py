"""deploy, destroy and up: a cloud assembly's stack played against the local cloud, with a summary.

Each command returns a RunResult; ``exit_code`` is 0 only when every resource succeeded and, after
a destroy or a rollback, nothing is left behind (no project, dataset or model in the emulator,
no invocation pending, no polling rule, exactly one response per custom-resource request); after an
update, when its cleanup deleted what it replaced or removed (a resource it could not delete is out
of the stack and still exists: left behind).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lookoutvision_localcloud import report
from lookoutvision_localcloud.cloud import DEFAULT_STATE_DIR, LocalCloud, StateDirectory
from lookoutvision_localcloud.cloudformation import descriptions
from lookoutvision_localcloud.cloudformation.assembly import CloudAssembly, StackArtifact
from lookoutvision_localcloud.cloudformation.custom_resource import START_UP_GRACE
from lookoutvision_localcloud.cloudformation.engine import StackOperation
from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError
from lookoutvision_localcloud.cloudformation.models import Stack, StackState, live_stack
from lookoutvision_localcloud.cloudformation.persistence import StackRecorder
from lookoutvision_localcloud.cloudformation.records import UPDATABLE, Status
from lookoutvision_localcloud.cloudformation.template import Template
from lookoutvision_localcloud.leftovers import Leftovers, records_left, stack_leftovers
from lookoutvision_localcloud.lookoutvision import Emulator, Settings
from lookoutvision_localcloud.s3_upload import S3Objects, upload

DEFAULT_APP = "cdk.out"


class StateError(LocalCloudFormationError):
    """The state directory holds no stack, another stack, or unreadable state."""


@dataclass
class RunOptions:
    """What a command runs against. ``emulator``: use a running emulator instead of starting one."""

    app: Path = Path(DEFAULT_APP)
    stack: str | None = None
    # Real seconds per service second; None: 1.0 for deploy and up, the deployed stack's for destroy.
    time_scale: float | None = None
    state_dir: Path = DEFAULT_STATE_DIR
    parameters: dict[str, str] = field(default_factory=dict)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    emulator: Emulator | None = None
    emulator_settings: Settings | None = None
    max_workers: int = 8
    # Real seconds added to each custom-resource wait for starting a local execution environment.
    start_up_grace: float = START_UP_GRACE
    # Put into the local S3 before a deploy (bucket → key → body; a missing bucket is created): the
    # data a stack reads and does not create, such as a dataset's manifest and images.
    s3_objects: S3Objects = field(default_factory=dict)


@dataclass
class RunResult:
    """The outcome of a command, for its exit code and for tests."""

    operations: list[StackOperation] = field(default_factory=list)
    leftovers: Leftovers | None = None
    calls: list[Any] = field(default_factory=list)
    succeeded: bool = False

    @property
    def exit_code(self) -> int:
        clean = self.leftovers is None or self.leftovers.clean
        return 0 if self.succeeded and clean else 1


class Session:
    """One run of the local cloud over a state directory."""

    def __init__(
        self, options: RunOptions, assembly_directory: Path | None = None, default_time_scale: float = 1.0
    ) -> None:
        self.options = options
        time_scale = options.time_scale if options.time_scale is not None else default_time_scale
        self.cloud = LocalCloud(
            state_dir=options.state_dir,
            time_scale=time_scale if options.emulator is None else None,
            emulator=options.emulator,
            emulator_settings=options.emulator_settings,
            simulate=True,
            assembly_directory=assembly_directory,
        )
        self.cloud.custom_resources.start_up_grace = options.start_up_grace
        self.printer = report.EventPrinter(options.out)
        self._first_call = 0

    def __enter__(self) -> Session:
        self.cloud.__enter__()
        self._first_call = len(self.cloud.emulator.calls)
        return self

    def upload(self) -> None:
        """Put the options' S3 objects into the local S3 (before a deploy: the data the stack reads)."""
        if self.options.s3_objects:
            count = upload(self.cloud.client("s3"), self.options.s3_objects)
            buckets = ", ".join(f"s3://{bucket}" for bucket in self.options.s3_objects)
            _say(self.options, f"Uploaded {count} object{'' if count == 1 else 's'} to {buckets}")

    def __exit__(self, *exc_info: Any) -> None:
        self.cloud.__exit__(*exc_info)

    def operation(self, stack: Stack) -> StackOperation:
        """An operation on ``stack``, its document written after every step and forgotten once the stack is gone."""
        return StackOperation(
            stack.state,
            self.cloud.resources,
            store=StackRecorder(self.cloud.stack_files, stack, forget=True),
            on_event=self.printer,
            on_notice=lambda text: _say(self.options, text),
            max_workers=self.options.max_workers,
        )

    def resume(self, stack: Stack) -> StackOperation:
        """An operation on a deployed stack, its resources' handlers restored from its state."""
        for warning in self.cloud.resources.restore(stack.state.resources, stack.state.context):
            _say(self.options, f"warning: {warning}")
        return self.operation(stack)

    def create(self, artifact: StackArtifact, template: Template, result: RunResult) -> tuple[Stack, bool]:
        """Deploy ``artifact`` as a new stack: the stack (its operation in ``result``), and whether it deployed."""
        _say(self.options, f"Deploying {artifact.stack_name} from {artifact.template_path} (time scale {_scale(self)})")
        context = self.cloud.stack_context(artifact.stack_name)
        stack = Stack(state=StackState(context, Status.REVIEW_IN_PROGRESS, time_scale=self.cloud.time_scale))
        _take_template(stack, artifact, self.options.parameters)
        operation = self.operation(stack)
        result.operations.append(operation)
        deployed = operation.deploy(template, self.options.parameters)
        if deployed:
            _take_outputs(stack, template, operation)
            self.cloud.stack_files.save(stack)
        return stack, deployed

    def calls(self) -> list[Any]:
        return self.cloud.emulator.calls[self._first_call :]

    def leftovers(self, state: StackState) -> Leftovers:
        """What the stack left behind, read through the services' own APIs (that stack's resources only)."""
        return stack_leftovers(self.cloud, state)


def deploy(options: RunOptions) -> RunResult:
    artifact, template = _read_stack(options)
    existing = _deployed(options, artifact.stack_name)
    if existing is not None:
        if existing.status not in UPDATABLE:
            raise StateError(
                f"{artifact.stack_name} is {existing.status} locally (state in {options.state_dir}): run destroy first"
            )
        return _update(options, artifact, template, existing)
    result = RunResult()
    with Session(options, artifact.directory) as session:
        session.upload()
        stack, result.succeeded = session.create(artifact, template, result)
        result.calls = session.calls()
        if not result.succeeded:
            result.leftovers = session.leftovers(stack.state)
        _summary(options, result, session)
    return result


def _update(options: RunOptions, artifact: StackArtifact, template: Template, stack: Stack) -> RunResult:
    result = RunResult()
    with Session(options, artifact.directory, default_time_scale=stack.state.time_scale or 1.0) as session:
        _say(options, f"Updating {stack.name} (state in {options.state_dir}, time scale {_scale(session)})")
        operation = session.resume(stack)
        session.upload()  # after the stack's own resources are back (a bucket of the stack may receive data)
        result.operations.append(operation)
        previous = (stack.template_body, stack.parameters, stack.values, stack.description)
        _take_template(stack, artifact, options.parameters)
        stack.updated = time.time()
        result.succeeded = operation.update(template, options.parameters)
        if result.succeeded:
            _take_outputs(stack, template, operation)
        else:  # rolled back: the stack is what it was
            stack.template_body, stack.parameters, stack.values, stack.description = previous
        session.cloud.stack_files.save(stack)
        result.calls = session.calls()
        if operation.abandoned:  # out of the stack, not deleted: left behind by this update
            result.leftovers = records_left(session.cloud, operation.abandoned)
        _summary(options, result, session)
    return result


def destroy(options: RunOptions) -> RunResult:
    name = options.stack or _only_stack(options.state_dir)
    stack = _deployed(options, name)
    if stack is None:
        raise StateError(f"{name} is not deployed locally (no state in {options.state_dir})")
    result = RunResult()
    with Session(options, default_time_scale=stack.state.time_scale or 1.0) as session:
        _say(options, f"Destroying {name} (state in {options.state_dir}, time scale {_scale(session)})")
        operation = session.resume(stack)
        result.operations.append(operation)
        result.succeeded = operation.destroy()
        result.calls = session.calls()
        result.leftovers = session.leftovers(operation.state)
        _summary(options, result, session)
    return result


def up(options: RunOptions) -> RunResult:
    """Deploy then destroy in one run; the state directory is used and left empty."""
    artifact, template = _read_stack(options)
    if _deployed(options, artifact.stack_name) is not None:
        raise StateError(
            f"{artifact.stack_name} is already deployed locally (state in {options.state_dir}): run destroy"
        )
    result = RunResult()
    with Session(options, artifact.directory) as session:
        session.upload()
        stack, deployed = session.create(artifact, template, result)
        if deployed:
            _say(options, f"\nDestroying {artifact.stack_name}")
            destruction = session.operation(stack)
            result.operations.append(destruction)
            result.succeeded = destruction.destroy()
        result.calls = session.calls()
        result.leftovers = session.leftovers(stack.state)
        _summary(options, result, session)
    return result


def _read_stack(options: RunOptions) -> tuple[StackArtifact, Template]:
    """The stack chosen from the cloud assembly, and its parsed template."""
    artifact = CloudAssembly.read(options.app).stack(options.stack)
    return artifact, Template.parse(artifact.template())


def _deployed(options: RunOptions, name: str) -> Stack | None:
    """The stack called ``name`` that the state directory holds, if any."""
    return live_stack(StateDirectory(options.state_dir).stacks.load(), name)


def _only_stack(state_dir: Path) -> str:
    """The name of the one stack the state directory holds."""
    names = _stack_names(StateDirectory(state_dir))
    if len(names) == 1:
        return names[0]
    if not names:
        raise StateError(f"no deployed stack in {state_dir}: nothing to destroy (deploy first)")
    raise StateError(f"{state_dir} holds several stacks, choose one with --stack: {', '.join(names)}")


def _stack_names(state: StateDirectory) -> list[str]:
    return sorted({stack.name for stack in state.stacks.load() if stack.status != Status.DELETE_COMPLETE})


def _take_template(stack: Stack, artifact: StackArtifact, given: dict[str, str]) -> None:
    """The artifact's template and the parameter values given become the stack's, as the API describes them."""
    document = artifact.template()
    stack.template_body = json.dumps(document)
    stack.parameters = [{"ParameterKey": key, "ParameterValue": value} for key, value in given.items()]
    stack.values = dict(given)
    stack.description = document.get("Description")


def _take_outputs(stack: Stack, template: Template, operation: StackOperation) -> None:
    if operation.outputs:
        stack.outputs = descriptions.outputs(stack, template, operation.outputs)


def _scale(session: Session) -> str:
    scale = session.cloud.time_scale
    return f"{scale:g} real s per service s: a 60 s training takes {60 * scale:.2f} s"


def _say(options: RunOptions, text: str) -> None:
    try:
        options.out.write(text + "\n")
        options.out.flush()
    except (OSError, ValueError):
        pass  # a closed terminal or pipe must not stop a destroy


def _summary(options: RunOptions, result: RunResult, session: Session) -> None:
    text = report.summary(
        result.operations, result.calls, result.leftovers, session.cloud.custom_resources.sent, ok=result.exit_code == 0
    )
    _say(options, text)


def status(state_dir: Path, stack: str | None = None) -> str:
    """What the state directory holds, as text: each stack's status and resources."""
    state = StateDirectory(state_dir)
    names = [stack] if stack else _stack_names(state)
    if not names:
        return f"no stack deployed locally in {state_dir}"
    stacks = state.stacks.load()
    lines = []
    for name in names:
        found = live_stack(stacks, name)
        if found is None:
            lines.append(f"{name}: not deployed locally (no state in {state_dir})")
            continue
        kept = found.state
        scale = f"time scale {kept.time_scale:g}" if kept.time_scale else "time scale 1"
        lines.append(f"{name}  {kept.status}  ({scale}, {kept.context.stack_id})")
        for logical_id, record in sorted(kept.resources.items()):
            retained = "  retained" if record.retained else ""
            lines.append(
                f"  {logical_id[:40]:<40} {record.resource_type[:30]:<30} {record.status:<16} "
                f"{record.mode:<16} {record.physical_id or '-'}{retained}"
            )
    return "\n".join(lines)
