"""deploy, destroy and up: a cloud assembly's stack played against the local cloud, with a summary.

Each command returns a RunResult; ``exit_code`` is 0 only when every resource succeeded and, after
a destroy or a rollback, nothing is left behind (no project, dataset or model in the emulator,
no invocation pending, no polling rule, exactly one response per custom-resource request); after an
update, when its cleanup deleted what it replaced or removed (a resource it could not delete is out
of the stack and still exists: left behind).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from localcloud import report
from localcloud.cloud import DEFAULT_STATE_DIR, LocalCloud
from localcloud.cloudformation.assembly import CloudAssembly, StackArtifact
from localcloud.cloudformation.custom_resource import START_UP_GRACE
from localcloud.cloudformation.engine import StackOperation
from localcloud.cloudformation.errors import StateError
from localcloud.cloudformation.records import UPDATABLE
from localcloud.cloudformation.state import StackState, StateDirectory
from localcloud.cloudformation.template import Template
from localcloud.leftovers import Leftovers, records_left, stack_leftovers
from localcloud.lookoutvision import Emulator, Settings
from localcloud.s3_upload import S3Objects, upload

DEFAULT_APP = "cdk.out"


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
        self.store = StateDirectory(options.state_dir)
        time_scale = options.time_scale if options.time_scale is not None else default_time_scale
        self.cloud = LocalCloud(
            time_scale=time_scale if options.emulator is None else None,
            emulator=options.emulator,
            emulator_settings=options.emulator_settings,
            emulator_state_file=None if options.emulator is not None else self.store.emulator_file,
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

    def operation(self, state: StackState) -> StackOperation:
        return StackOperation(
            state,
            self.cloud.resources,
            store=self.store,
            on_event=self.printer,
            on_notice=lambda text: _say(self.options, text),
            max_workers=self.options.max_workers,
        )

    def resume(self, state: StackState) -> StackOperation:
        """An operation on a deployed stack, its resources' handlers restored from ``state``."""
        for warning in self.cloud.resources.restore(state.resources, state.context):
            _say(self.options, f"warning: {warning}")
        return self.operation(state)

    def create(self, artifact: StackArtifact, template: Template, result: RunResult) -> tuple[StackOperation, bool]:
        """Deploy ``artifact`` as a new stack; the operation (added to ``result``) and whether it succeeded."""
        _say(self.options, f"Deploying {artifact.stack_name} from {artifact.template_path} (time scale {_scale(self)})")
        operation = self.operation(self.new_state(artifact.stack_name))
        result.operations.append(operation)
        return operation, operation.deploy(template, self.options.parameters)

    def new_state(self, stack_name: str) -> StackState:
        context = self.cloud.stack_context(stack_name)
        return StackState(context, "REVIEW_IN_PROGRESS", time_scale=self.cloud.time_scale)

    def calls(self) -> list[Any]:
        return self.cloud.emulator.calls[self._first_call :]

    def leftovers(self, state: StackState) -> Leftovers:
        """What the stack left behind, read through the services' own APIs (that stack's resources only)."""
        return stack_leftovers(self.cloud, state)


def deploy(options: RunOptions) -> RunResult:
    artifact, template, store = _read_stack(options)
    existing = store.load(artifact.stack_name)
    if existing is not None:
        if existing.status not in UPDATABLE:
            raise StateError(
                f"{artifact.stack_name} is {existing.status} locally (state in {store.path}): run destroy first"
            )
        return _update(options, artifact.directory, template, existing)
    result = RunResult()
    with Session(options, artifact.directory) as session:
        session.upload()
        operation, result.succeeded = session.create(artifact, template, result)
        result.calls = session.calls()
        if not result.succeeded:
            result.leftovers = session.leftovers(operation.state)
        _summary(options, result, session)
    return result


def _update(options: RunOptions, assembly_directory: Path, template: Template, state: StackState) -> RunResult:
    result = RunResult()
    with Session(options, assembly_directory, default_time_scale=state.time_scale or 1.0) as session:
        name = state.context.stack_name
        _say(options, f"Updating {name} (state in {session.store.path}, time scale {_scale(session)})")
        operation = session.resume(state)
        session.upload()  # after the stack's own resources are back (a bucket of the stack may receive data)
        result.operations.append(operation)
        result.succeeded = operation.update(template, options.parameters)
        result.calls = session.calls()
        if operation.abandoned:  # out of the stack, not deleted: left behind by this update
            result.leftovers = records_left(session.cloud, operation.abandoned)
        _summary(options, result, session)
    return result


def destroy(options: RunOptions) -> RunResult:
    store = StateDirectory(options.state_dir)
    name = options.stack or store.only_stack()
    state = store.load(name)
    if state is None:
        raise StateError(f"{name} is not deployed locally (no state in {store.path})")
    result = RunResult()
    with Session(options, default_time_scale=state.time_scale or 1.0) as session:
        _say(options, f"Destroying {name} (state in {store.path}, time scale {_scale(session)})")
        operation = session.resume(state)
        result.operations.append(operation)
        result.succeeded = operation.destroy()
        result.calls = session.calls()
        result.leftovers = session.leftovers(operation.state)
        _summary(options, result, session)
    return result


def up(options: RunOptions) -> RunResult:
    """Deploy then destroy in one run; the state directory is used and left empty."""
    artifact, template, store = _read_stack(options)
    if store.load(artifact.stack_name) is not None:
        raise StateError(f"{artifact.stack_name} is already deployed locally (state in {store.path}): run destroy")
    result = RunResult()
    with Session(options, artifact.directory) as session:
        session.upload()
        deployment, deployed = session.create(artifact, template, result)
        if deployed:
            _say(options, f"\nDestroying {artifact.stack_name}")
            destruction = session.operation(deployment.state)
            result.operations.append(destruction)
            result.succeeded = destruction.destroy()
        result.calls = session.calls()
        result.leftovers = session.leftovers(deployment.state)
        _summary(options, result, session)
    return result


def _read_stack(options: RunOptions) -> tuple[StackArtifact, Template, StateDirectory]:
    """The stack chosen from the cloud assembly, its parsed template, and the state directory."""
    artifact = CloudAssembly.read(options.app).stack(options.stack)
    return artifact, Template.parse(artifact.template()), StateDirectory(options.state_dir)


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


def status(store: StateDirectory, stack: str | None = None) -> str:
    """What the state directory holds, as text: each stack's status and resources."""
    names = [stack] if stack else store.stack_names()
    if not names:
        return f"no stack deployed locally in {store.path}"
    lines = []
    for name in names:
        state = store.load(name)
        if state is None:
            lines.append(f"{name}: not deployed locally (no state in {store.path})")
            continue
        scale = f"time scale {state.time_scale:g}" if state.time_scale else "time scale 1"
        lines.append(f"{name}  {state.status}  ({scale}, {state.context.stack_id})")
        for logical_id, record in sorted(state.resources.items()):
            retained = "  retained" if record.retained else ""
            lines.append(
                f"  {logical_id[:40]:<40} {record.resource_type[:30]:<30} {record.status:<16} "
                f"{record.mode:<16} {record.physical_id or '-'}{retained}"
            )
    return "\n".join(lines)
