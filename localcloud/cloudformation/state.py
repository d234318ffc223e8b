"""State kept between separate runs: one JSON file per stack, and the emulator's state, in a directory."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.cloudformation.errors import StateError
from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.records import ResourceRecord

_STACKS = "stacks"
_EMULATOR_FILE = "lookoutvision.json"


@dataclass
class StackState:
    """A deployed (or partly deployed) stack: its identity and the resources that exist."""

    context: StackContext
    status: str
    resources: dict[str, ResourceRecord] = field(default_factory=dict)
    # The time scale the stack was deployed at: a later destroy keeps the emulator's pace.
    time_scale: float | None = None
    # Every physical resource the stack has held (replaced and deleted ones too), for the leftover check.
    history: dict[str, ResourceRecord] = field(default_factory=dict)

    def remember(self, record: ResourceRecord) -> None:
        """Keep ``record`` in the history, once per logical id and physical id."""
        if record.physical_id:
            self.history[f"{record.logical_id}|{record.physical_id}"] = record

    def to_dict(self) -> dict[str, Any]:
        return {
            "StackName": self.context.stack_name,
            "StackId": self.context.stack_id,
            "Region": self.context.region,
            "AccountId": self.context.account_id,
            "StackStatus": self.status,
            "TimeScale": self.time_scale,
            # Copies first: an operation's threads may add a resource while another thread saves.
            "Resources": {logical_id: record.to_dict() for logical_id, record in dict(self.resources).items()},
            "History": [record.to_dict() for record in list(self.history.values())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackState:
        context = StackContext(
            stack_name=data["StackName"],
            stack_id=data["StackId"],
            region=data["Region"],
            account_id=data["AccountId"],
        )
        resources = {key: ResourceRecord.from_dict(value) for key, value in data.get("Resources", {}).items()}
        state = cls(context=context, status=data["StackStatus"], resources=resources, time_scale=data.get("TimeScale"))
        for record in data.get("History", []):
            state.remember(ResourceRecord.from_dict(record))
        return state


class StateDirectory:
    """``<dir>/stacks/<StackName>.json`` per stack and ``<dir>/lookoutvision.json`` for the emulator."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def emulator_file(self) -> Path:
        return self.path / _EMULATOR_FILE

    def stack_file(self, stack_name: str) -> Path:
        return self.path / _STACKS / f"{stack_name}.json"

    def stack_names(self) -> list[str]:
        folder = self.path / _STACKS
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def load(self, stack_name: str) -> StackState | None:
        """The saved stack, or None when it was never deployed (or fully destroyed)."""
        path = self.stack_file(stack_name)
        if not path.exists():
            return None
        try:
            return StackState.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StateError(f"cannot read the stack state {path}: {exc}") from exc

    def only_stack(self) -> str:
        """The name of the one stack this directory holds."""
        names = self.stack_names()
        if len(names) == 1:
            return names[0]
        if not names:
            raise StateError(f"no deployed stack in {self.path}: nothing to destroy (deploy first)")
        raise StateError(f"{self.path} holds several stacks, choose one with --stack: {', '.join(names)}")

    def save(self, state: StackState) -> None:
        """Write atomically (a crash mid-write leaves the previous state)."""
        path = self.stack_file(state.context.stack_name)
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".json.tmp")
            temporary.write_text(json.dumps(state.to_dict(), indent=2, default=str))
            os.replace(temporary, path)

    def remove(self, stack_name: str) -> None:
        with self._lock:
            self.stack_file(stack_name).unlink(missing_ok=True)
