"""One execution environment: a subprocess running the bootstrap, used for one invocation at a time.

``Launch`` says how it starts: under which runtime (``lookoutvision_localcloud.awslambda.runtimes``: the
declared Python and the boto3 it ships) and on which code. A function with a code directory (its
asset, as synthesized) runs isolated: that directory first on ``sys.path``, then the runtime's
packages and the standard library, nothing else (see ``lookoutvision_localcloud.awslambda.bootstrap``). One
without runs under the local cloud's own interpreter and environment (``PYTHONPATH``, the
virtual environment).
"""

from __future__ import annotations

import importlib.util
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lookoutvision_localcloud.awslambda.logs import LogStream
from lookoutvision_localcloud.awslambda.runtimes import Runtime
from lookoutvision_localcloud.scaled_clock import ScaledClock

InvocationOutcome = Literal["ok", "error", "timeout"]


# Lambda's limit for the Init phase (importing the handler), apart from the function timeout.
INIT_TIMEOUT = 10.0
BOOTSTRAP = Path(__file__).resolve().with_name("bootstrap.py")
#: The local cloud's top-level package, whose runtime side an execution environment imports.
HARNESS_PACKAGE = __name__.split(".")[0]


def harness_location(package: str) -> str:
    """The directory holding the local cloud's top-level ``package`` (for the bootstrap's imports)."""
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise ValueError(f"{package!r} is not importable here, so an execution environment could not import it either")
    location = next(iter(spec.submodule_search_locations or []), None) or spec.origin
    return str(Path(str(location)).parent)


@dataclass(frozen=True)
class Launch:
    """How an execution environment starts: the runtime, the function's code, its handler or edge."""

    handler: str
    runtime: Runtime | None = None  # None: the local cloud's own interpreter and environment
    task_root: str | None = None
    edge: str | None = None
    edge_options: Mapping[str, Any] = field(default_factory=dict)

    def command(self, clock: ScaledClock) -> list[str]:
        # With a code directory: isolated (no PYTHON* variables, no site-packages, no script directory),
        # and no bytecode written into the asset (Lambda's /var/task is read-only). -u: unbuffered logs.
        interpreter = self.runtime.interpreter if self.runtime else sys.executable
        isolation = ["-I", "-S", "-B"] if self.task_root else ["-P"]
        command = [interpreter, *isolation, "-u", str(BOOTSTRAP)]
        if self.task_root:
            command += ["--task-root", self.task_root]
        if self.runtime:
            command += ["--runtime-path", str(self.runtime.packages)]
        packages = [HARNESS_PACKAGE]
        edge_package = self.edge.partition(":")[0].split(".")[0] if self.edge else HARNESS_PACKAGE
        packages += [edge_package] if edge_package not in packages else []
        command += [f"--harness={package}={harness_location(package)}" for package in packages]
        command += [self.handler, "--clock", *(repr(value) for value in clock.line())]
        if self.edge:
            command += ["--edge", self.edge]
        if self.edge_options:
            command += ["--edge-options", json.dumps(dict(self.edge_options))]
        return command


class ExecutionEnvironment:
    """A warm process that imported the handler once; killed when an invocation times out.

    Every line it prints goes to the invocation running (or the next one, when printed between two)
    and, as it is printed, to ``log_stream`` (its stream in CloudWatch Logs) when there is one.
    """

    def __init__(
        self, launch: Launch, env: dict[str, str], clock: ScaledClock, log_stream: LogStream | None = None
    ) -> None:
        self.log_stream = log_stream
        self._process = subprocess.Popen(  # noqa: S603 - the runtime's interpreter and our own bootstrap
            launch.command(clock),
            cwd=launch.task_root,  # Lambda runs in /var/task
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        self._outcomes: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._log_lock = threading.Lock()
        self._log_sink: list[str] | None = None
        self._unclaimed_logs: list[str] = []  # printed between invocations (e.g. at import)
        self._ended = threading.Event()
        self._ready = threading.Event()
        threading.Thread(target=self._read_outcomes, daemon=True).start()
        self._log_reader = threading.Thread(target=self._read_logs, daemon=True)
        self._log_reader.start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def wait_ready(self, init_timeout: float = INIT_TIMEOUT) -> bool:
        """Wait (real seconds) until the handler is imported; False when Init did not finish."""
        return self._ready.wait(init_timeout)

    def invoke(
        self, request: dict[str, Any], logs: list[str], stop_at: float | None = None
    ) -> tuple[InvocationOutcome, Any]:
        """Run one invocation; ``request["deadline"]`` (epoch seconds) bounds it in real time.

        ``stop_at`` (epoch seconds, before the deadline) stops it earlier, as if it had stalled
        from then until its timeout (``lookoutvision_localcloud.awslambda.service.Stall``).
        """
        with self._log_lock:
            logs.extend(self._unclaimed_logs)
            self._unclaimed_logs.clear()
            self._log_sink = logs
            self._ended.clear()
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            ends = request["deadline"] if stop_at is None else min(stop_at, request["deadline"])
            outcome = self._outcomes.get(timeout=max(0.0, ends - time.time()))
        except (queue.Empty, BrokenPipeError):
            outcome = None
        if outcome is None:
            timeout_s = request["timeout"]
            self.kill(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} Task timed out after {timeout_s:.2f} seconds")
            return "timeout", None
        self._ended.wait(timeout=2)  # let the END/REPORT lines reach this invocation's logs
        with self._log_lock:
            self._log_sink = None
        if "error" in outcome:
            return "error", outcome["error"]
        return "ok", outcome.get("result")

    def kill(self, last_line: str | None = None) -> None:
        """Stop the process; ``last_line`` is what Lambda then logs (a timeout). Its log stream is then closed."""
        if self.alive:
            self._process.kill()
        self._process.wait(timeout=10)
        self._log_reader.join(timeout=2)  # what it printed before it stopped comes first
        if last_line is not None:
            self._record(last_line)
        if self.log_stream is not None:
            self.log_stream.close()

    def _read_outcomes(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            message = json.loads(line)
            if message.get("ready"):
                self._ready.set()
            else:
                self._outcomes.put(message)
        self._outcomes.put(None)

    def _read_logs(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._record(line.rstrip("\n"))
            if line.startswith("REPORT RequestId:"):
                self._ended.set()

    def _record(self, line: str) -> None:
        """One printed line: to the invocation's logs (or the next invocation's) and to the log stream."""
        with self._log_lock:
            sink = self._log_sink if self._log_sink is not None else self._unclaimed_logs
            sink.append(line)
            if self.log_stream is not None:
                self.log_stream.write(line)
