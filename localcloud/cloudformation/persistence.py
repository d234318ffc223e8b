"""The one persistence of stacks: a JSON document per stack (``<directory>/<stack uuid>.json``), written atomically.

The CloudFormation API and the driver keep their stacks alike, so that either finds what the
other deployed (docs/decisions/0102-one-persistence-for-stacks.md). A document is written after
every step of an operation (``StackRecorder``): a crash leaves the previous one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from lookoutvision_localcloud.cloudformation.models import Stack, StackState

logger = logging.getLogger(__name__)


class StackFiles:
    """The stack documents in ``directory`` (None: kept in memory only, nothing written)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def load(self) -> list[Stack]:
        """Every stack written here, oldest first; an unreadable document is skipped with a warning."""
        if self.directory is None or not self.directory.is_dir():
            return []
        stacks = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                stacks.append(Stack.from_dict(json.loads(path.read_text())))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.warning("skipped the stack document %s: %s", path, exc)
        return sorted(stacks, key=lambda stack: stack.created)

    def save(self, stack: Stack, lock: AbstractContextManager[Any] | None = None) -> None:
        """Write the stack's document, taken while holding ``lock`` (other threads change the stack meanwhile);
        atomically, so a crash leaves the previous one."""
        if self.directory is None:
            return
        with lock if lock is not None else nullcontext():
            text = json.dumps(stack.to_dict(), default=str)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(stack.stack_id)
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_text(text)
        os.replace(temporary, path)

    def remove(self, stack_id: str) -> None:
        if self.directory is not None:
            self._path(stack_id).unlink(missing_ok=True)

    def _path(self, stack_id: str) -> Path:
        assert self.directory is not None
        return self.directory / f"{stack_id.rsplit('/', 1)[-1]}.json"


class StackRecorder:
    """The engine's store for one stack: every save writes the stack's whole document.

    ``lock``: held while the document is taken (other threads change the stack meanwhile).
    ``forget``: the document goes once the stack is gone (DELETE_COMPLETE, or a rolled-back
    create), as the driver forgets it; otherwise it stays, describable by its id, as on AWS.
    """

    def __init__(
        self, files: StackFiles, stack: Stack, *, lock: AbstractContextManager[Any] | None = None, forget: bool = False
    ) -> None:
        self._files, self.stack = files, stack
        self._lock = lock
        self._forget = forget

    def save(self, state: StackState) -> None:
        self._files.save(self.stack, self._lock)

    def remove(self, stack_name: str) -> None:
        if self._forget:
            self._files.remove(self.stack.stack_id)
