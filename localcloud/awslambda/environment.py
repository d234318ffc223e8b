"""One execution environment: a subprocess running the bootstrap, used for one invocation at a time."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from typing import Any, Literal

from localcloud.scaled_clock import ScaledClock

Outcome = Literal["ok", "error", "timeout"]


# Lambda's limit for the Init phase (importing the handler), apart from the function timeout.
INIT_TIMEOUT = 10.0


class ExecutionEnvironment:
    """A warm process that imported the handler once; killed when an invocation times out."""

    def __init__(
        self,
        handler: str,
        env: dict[str, str],
        clock: ScaledClock,
        edge: str | None = None,
        edge_options: dict[str, Any] | None = None,
    ) -> None:
        command = [sys.executable, "-m", "localcloud.awslambda.bootstrap", handler]
        command += ["--clock", repr(clock.origin), repr(clock.scale)]
        if edge:
            command += ["--edge", edge, "--edge-options", json.dumps(edge_options or {})]
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
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
        threading.Thread(target=self._read_logs, daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def wait_ready(self, init_timeout: float = INIT_TIMEOUT) -> bool:
        """Wait (real seconds) until the handler is imported; False when Init did not finish."""
        return self._ready.wait(init_timeout)

    def invoke(self, request: dict[str, Any], logs: list[str], stop_at: float | None = None) -> tuple[Outcome, Any]:
        """Run one invocation; ``request["deadline"]`` (epoch seconds) bounds it in real time.

        ``stop_at`` (epoch seconds, before the deadline) stops it earlier, as if it had stalled
        from then until its timeout (``localcloud.awslambda.service.Stall``).
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
            self.kill()
            timeout_s = request["timeout"]
            logs.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} Task timed out after {timeout_s:.2f} seconds")
            return "timeout", None
        self._ended.wait(timeout=2)  # let the END/REPORT lines reach this invocation's logs
        with self._log_lock:
            self._log_sink = None
        if "error" in outcome:
            return "error", outcome["error"]
        return "ok", outcome.get("result")

    def kill(self) -> None:
        if self.alive:
            self._process.kill()
        self._process.wait(timeout=10)

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
            with self._log_lock:
                sink = self._log_sink if self._log_sink is not None else self._unclaimed_logs
                sink.append(line.rstrip("\n"))
                if line.startswith("REPORT RequestId:"):
                    self._ended.set()
