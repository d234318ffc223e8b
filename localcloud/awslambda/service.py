"""A local Lambda function: the Invoke API over HTTP, asynchronous invocations and their retries.

CloudFormation invokes a custom resource's function asynchronously, and the provider hands a
long wait over to a new invocation of itself with ``lambda:Invoke`` (InvocationType ``Event``).
``LambdaService`` plays Lambda for one function: it answers the Invoke API on loopback (the
function reaches it through ``AWS_ENDPOINT_URL_LAMBDA``), runs every invocation in an execution
environment process, stops an invocation at the function's timeout and retries a failed
asynchronous invocation as Lambda does.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from lookoutvision_localcloud.awslambda import responses
from lookoutvision_localcloud.awslambda.environment import ExecutionEnvironment, InvocationOutcome, Launch
from lookoutvision_localcloud.awslambda.logs import FunctionLogs
from lookoutvision_localcloud.awslambda.runtimes import local_runtime
from lookoutvision_localcloud.httpserver import LocalServer, Request
from lookoutvision_localcloud.iam.sessions import SessionCredentials
from lookoutvision_localcloud.scaled_clock import ScaledClock

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# Lambda retries a failed asynchronous invocation twice: after one minute, then after two.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


@dataclass
class Stall:
    """A fault: an invocation stalls ``after`` service seconds (a hung resolver, a starved CPU) until its timeout.

    Lambda then stops it, as at any timeout; the service stops it at once, which the handler
    cannot tell apart (its context still shows the function's timeout). ``matches`` chooses the
    invocations, ``count`` how many of them stall.
    """

    after: float
    matches: Callable[[Invocation], bool] = lambda _invocation: True
    count: int = 1


@dataclass
class Invocation:
    """One invocation of the function, as its logs and metrics would show it."""

    request_id: str
    event: dict[str, Any]
    invocation_type: str
    attempt: int
    queued: float
    started: float | None = None
    ended: float | None = None
    outcome: InvocationOutcome | None = None
    result: Any = None
    logs: list[str] = field(default_factory=list)


class LambdaService:
    """One local Lambda function running ``handler`` (``module.function``). A context manager.

    ``code`` is the function's code directory (its asset as synthesized: Lambda's /var/task) and
    ``runtime`` the runtime it declares (``python3.13``): the execution environments then run that
    Python with the boto3 it ships (``lookoutvision_localcloud.awslambda.runtimes``), isolated, on that code
    (``lookoutvision_localcloud.awslambda.environment``). Without them, the handler runs under the local
    cloud's own interpreter and environment (``env``'s ``PYTHONPATH``).

    ``timeout`` is the function's timeout in service seconds, on ``clock`` (a local cloud's one
    clock); without one, its own ``ScaledClock(time_scale, clock_origin)`` (the default origin is
    now). ``edge`` (``module:function``) builds the handler on that clock in the execution
    environment, as ``edge(clock, **edge_options)`` (``lookoutvision_localcloud.awslambda.provider_edge``; the
    options must be JSON). ``env`` is the function's environment; the service adds what Lambda
    adds (region, credentials, function name, task root) and its own endpoint as
    ``AWS_ENDPOINT_URL_LAMBDA``. ``credentials`` are the temporary credentials of the function's
    execution role, as Lambda gives them; without them the function gets dummy credentials, which
    the local cloud's services take as the account's administrator's. ``logs``: where Lambda writes
    the function's logs in CloudWatch Logs (a stream per execution environment); without it, an
    invocation's logs are only kept in its ``Invocation``.
    """

    def __init__(
        self,
        handler: str,
        *,
        code: str | Path | None = None,
        runtime: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 900.0,
        time_scale: float = 1.0,
        function_name: str = "provider",
        memory_size: int = 512,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        retry_delays: tuple[float, ...] = ASYNC_RETRY_DELAYS,
        clock_origin: float | None = None,
        edge: str | None = None,
        edge_options: Mapping[str, Any] | None = None,
        credentials: SessionCredentials | None = None,
        clock: ScaledClock | None = None,
        logs: FunctionLogs | None = None,
    ) -> None:
        if code is not None and not Path(code).is_dir():
            raise ValueError(f"the function's code directory {code} does not exist")
        json.dumps(edge_options or {})  # a TypeError now, not in every execution environment
        self.handler = handler
        self.code = Path(code).resolve() if code is not None else None
        self.runtime = runtime
        self.edge = edge
        self.edge_options = dict(edge_options or {})
        self.launch = Launch(
            handler,
            local_runtime(runtime) if runtime is not None else None,
            task_root=str(self.code) if self.code is not None else None,
            edge=edge,
            edge_options=self.edge_options,
        )
        self.clock = clock if clock is not None else ScaledClock(time_scale, clock_origin)
        self.timeout = timeout
        self.function_name = function_name
        self.function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_size = memory_size
        self.retry_delays = retry_delays
        self.invocations: list[Invocation] = []
        self.stalls: list[Stall] = []  # faults, consumed in order
        self.logs = logs
        self._region = region
        self._credentials = credentials or SessionCredentials("local", "local", "local")
        self._extra_env = dict(env or {})
        self._idle: list[ExecutionEnvironment] = []
        self._all: list[ExecutionEnvironment] = []
        self._timers: list[threading.Timer] = []
        self._pending = 0
        self._lock = threading.Condition()
        self._closed = False
        self._server = LocalServer(self.wsgi_app, name=f"lambda-{function_name}")

    @property
    def endpoint_url(self) -> str:
        return self._server.url

    def invoke_async(self, event: dict[str, Any]) -> Invocation:
        """Queue an asynchronous invocation (InvocationType ``Event``), as CloudFormation does."""
        return self._enqueue(event, attempt=0, delay=0.0)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """A synchronous invocation (``RequestResponse``): returns when it has ended."""
        invocation = self._record(event, "RequestResponse", attempt=0)
        self._run(invocation)
        return invocation

    def wait_idle(self, timeout: float) -> None:
        """Wait (real seconds) until no invocation is queued, running or waiting for a retry."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self._pending} invocation(s) of {self.function_name} still pending")
                self._lock.wait(remaining)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, environments = list(self._timers), list(self._all)
        for timer in timers:
            timer.cancel()
        for environment in environments:
            environment.kill()
        self._server.stop()

    # -- invocations ---------------------------------------------------------------------------

    def _enqueue(self, event: dict[str, Any], *, attempt: int, delay: float) -> Invocation:
        invocation = self._record(event, "Event", attempt)
        with self._lock:
            self._pending += 1
            timer = threading.Timer(self.clock.real_seconds(delay), self._run_async, args=(invocation,))
            timer.daemon = True
            self._timers.append(timer)
        timer.start()
        return invocation

    def _record(self, event: dict[str, Any], invocation_type: str, attempt: int) -> Invocation:
        invocation = Invocation(str(uuid.uuid4()), event, invocation_type, attempt, queued=time.time())
        with self._lock:
            self.invocations.append(invocation)
        return invocation

    def _run_async(self, invocation: Invocation) -> None:
        try:
            if self._closed:
                return
            self._run(invocation)
            if invocation.outcome != "ok" and invocation.attempt < len(self.retry_delays) and not self._closed:
                delay = self.retry_delays[invocation.attempt]
                self._enqueue(invocation.event, attempt=invocation.attempt + 1, delay=delay)
        finally:
            with self._lock:
                self._pending -= 1
                self._lock.notify_all()

    def _run(self, invocation: Invocation) -> None:
        environment = self._acquire()
        if not environment.wait_ready():
            line = "INIT_REPORT Status: timeout: the handler did not finish importing"
            environment.kill(line)
            invocation.outcome, invocation.ended = "error", time.time()
            invocation.logs.append(line)
            return
        invocation.started = time.time()
        request = {
            "request_id": invocation.request_id,
            "event": invocation.event,
            "deadline": invocation.started + self.clock.real_seconds(self.timeout),
            "timeout": self.timeout,
            "time_scale": self.clock.scale,
            "function_name": self.function_name,
            "function_arn": self.function_arn,
            "memory_size": self.memory_size,
        }
        stall = self._stall(invocation)
        stop_at = invocation.started + self.clock.real_seconds(stall.after) if stall else None
        invocation.outcome, invocation.result = environment.invoke(request, invocation.logs, stop_at)
        invocation.ended = time.time()
        self._release(environment)

    def _stall(self, invocation: Invocation) -> Stall | None:
        with self._lock:
            for stall in self.stalls:
                if stall.count > 0 and stall.matches(invocation):
                    stall.count -= 1
                    return stall
        return None

    def _acquire(self) -> ExecutionEnvironment:
        with self._lock:
            while self._idle:
                environment = self._idle.pop()
                if environment.alive:
                    return environment
        stream = self.logs.open_stream() if self.logs is not None else None
        variables = self._environment_variables()
        if stream is not None:
            variables |= {"AWS_LAMBDA_LOG_GROUP_NAME": stream.group, "AWS_LAMBDA_LOG_STREAM_NAME": stream.name}
        environment = ExecutionEnvironment(self.launch, variables, self.clock, stream)
        with self._lock:
            self._all.append(environment)
        return environment

    def _release(self, environment: ExecutionEnvironment) -> None:
        with self._lock:
            if environment.alive and not self._closed:
                self._idle.append(environment)

    def _environment_variables(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {
            **inherited,
            "AWS_REGION": self._region,
            "AWS_DEFAULT_REGION": self._region,
            **self._credentials.environment(),
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
            "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url,
            "PYTHONUNBUFFERED": "1",
            **({"LAMBDA_TASK_ROOT": str(self.code), "_HANDLER": self.handler} if self.code is not None else {}),
            **self._extra_env,
        }

    # -- the Invoke API ------------------------------------------------------------------------

    def is_named(self, function: str) -> bool:
        """Whether ``function`` names this function: a name, a partial ARN (account:function:name) or a full ARN,
        optionally qualified."""
        name = function.split(":")
        if len(name) >= 7:  # arn:aws:lambda:region:account:function:name[:qualifier]
            return function.startswith(self.function_arn) and name[6] == self.function_name
        return self.function_name in name

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The Invoke API of this function (``RequestResponse``, ``Event`` and ``DryRun``)."""
        return responses.invoke_one(self, Request(environ))(environ, start_response)

    def __enter__(self) -> LambdaService:
        self._server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
