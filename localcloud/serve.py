"""``python -m lookoutvision_localcloud serve``: the whole local cloud on one loopback endpoint, until stopped.

``LocalCloudServer`` mounts the CloudFormation API (over this project's engine) and the local
cloud's control API on a ``LocalCloud``, whose state directory keeps stacks, the emulator's world,
S3's buckets and objects and the code of the functions that run across a restart:

    GET /_localcloud/health                     200 once serving
    GET /_localcloud/leftovers?stack=NAME[...]  what the named stacks left behind (JSON)
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from lookoutvision_localcloud.cloud import ACCOUNT_ID, REGION, LocalCloud
from lookoutvision_localcloud.cloudformation.backend import CloudFormationBackend
from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError
from lookoutvision_localcloud.cloudformation.records import Status
from lookoutvision_localcloud.cloudformation.responses import CloudFormationResponses
from lookoutvision_localcloud.httpserver import Request, Response, WSGIApplication
from lookoutvision_localcloud.leftovers import Leftovers, stack_leftovers
from lookoutvision_localcloud.lookoutvision import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

DEFAULT_PORT = 4599
CONTROL_PREFIX = "/_localcloud/"
# Dummy credentials: moto and the local services accept any; these reach no account.
ACCESS_KEY_ID = "localcloud"
SECRET_ACCESS_KEY = "localcloud"  # noqa: S105 - not a secret: the local cloud takes any key


def cache_root(environ: Mapping[str, str]) -> Path:
    """This project's cache: ``$XDG_CACHE_HOME`` (or ``~/.cache``)``/lookoutvision-cdk``, absolute."""
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    cache = Path(environ["XDG_CACHE_HOME"]) if environ.get("XDG_CACHE_HOME") else home / ".cache"
    return (cache / "lookoutvision-cdk").resolve()


def default_cdk_home(environ: Mapping[str, str]) -> Path:
    """Where the CDK CLI keeps its cache for the local cloud unless ``CDK_HOME`` says otherwise:
    ``cache_root``/``cdk-home``."""
    return cache_root(environ) / "cdk-home"


def cdk_home(environ: Mapping[str, str]) -> Path:
    """The CDK CLI's ``CDK_HOME`` for the local cloud, the same in ``serve``'s exports and for ``cdk``: ``$CDK_HOME``
    (made absolute), else ``default_cdk_home``."""
    if environ.get("CDK_HOME"):
        return Path(environ["CDK_HOME"]).expanduser().resolve()
    return default_cdk_home(environ)


def environment(endpoint_url: str, cdk_home: Path | None = None) -> dict[str, str]:
    """What a shell (or the CDK CLI) needs to use the local cloud at ``endpoint_url`` and nothing else."""
    variables = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    if cdk_home is not None:
        variables["CDK_HOME"] = str(cdk_home)
    return variables


def cloudtrail_lookups(moto: WSGIApplication) -> WSGIApplication:
    """CloudTrail's LookupEvents, answered with no event (the local cloud records none); anything else to moto.

    The CDK CLI looks up CloudTrail events to explain a failed deployment; moto does not implement
    LookupEvents, and its not-found page makes the CLI's SDK retry for about 20 seconds.
    """

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if str(environ.get("HTTP_X_AMZ_TARGET", "")).endswith(".LookupEvents"):
            response = Response(json.dumps({"Events": []}), content_type="application/x-amz-json-1.1")
            return response(environ, start_response)
        return moto(environ, start_response)

    return app


class LocalCloudServer:
    """A LocalCloud with the CloudFormation API and the control API mounted. A context manager."""

    def __init__(
        self,
        *,
        state_dir: Path,
        port: int = DEFAULT_PORT,
        time_scale: float = 1.0,
        emulator_settings: Settings | None = None,
    ) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.cloud = LocalCloud(
            state_dir=state_dir,
            time_scale=time_scale,
            emulator_settings=emulator_settings or Settings(region=REGION, account_id=ACCOUNT_ID),
            port=port,
            keep_s3=True,
        )
        self.stacks: CloudFormationBackend | None = None
        self._control = Map(
            [
                Rule(f"{CONTROL_PREFIX}health", methods=["GET"], endpoint="health"),
                Rule(f"{CONTROL_PREFIX}leftovers", methods=["GET"], endpoint="leftovers"),
            ]
        )

    @property
    def endpoint_url(self) -> str:
        return self.cloud.endpoint_url

    def leftovers(self, stack_names: Iterable[str]) -> dict[str, Any]:
        """Per stack name, what its latest stack left behind; ``clean`` only when every one was deleted cleanly."""
        assert self.stacks is not None
        report: dict[str, Any] = {}
        for name in stack_names:
            found = Leftovers()
            stacks = self.stacks.stacks_named(name)
            if not stacks:
                found.problems.append(f"no stack {name} was ever deployed here")
                report[name] = {"status": None, **found.to_dict()}
                continue
            stack = stacks[0]
            if stack.status != Status.DELETE_COMPLETE:
                found.problems.append(f"stack {name} is {stack.status}, not deleted")
            found.add(stack_leftovers(self.cloud, stack.state))
            report[name] = {"status": stack.status, **found.to_dict()}
        return {"stacks": report, "clean": all(entry["clean"] for entry in report.values())}

    def control_api(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            endpoint, _ = self._control.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc(environ, start_response)
        if endpoint == "health":
            body: Any = {"ok": True, "endpoint": self.endpoint_url}
        else:
            body = self.leftovers(request.args.getlist("stack"))
        return Response(json.dumps(body, indent=1), content_type="application/json")(environ, start_response)

    def __enter__(self) -> LocalCloudServer:
        self.cloud.__enter__()
        try:
            self.stacks = CloudFormationBackend(self.cloud, self.cloud.stack_files)
            for warning in self.cloud.restore_s3():  # after the stacks' own buckets, created with their configuration
                logger.warning("%s", warning)
            self.cloud.function_resources.remove_unused_code()  # of functions deleted while it was not running
        except BaseException:
            self.cloud.__exit__(None, None, None)
            raise
        self.cloud.gateway.route_service("cloudformation", CloudFormationResponses(self.stacks))
        self.cloud.gateway.route_service("cloudtrail", cloudtrail_lookups(self.cloud.gateway.moto()))
        self.cloud.gateway.mount(CONTROL_PREFIX, self.control_api)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.cloud.closing.set()  # whatever waits on a custom resource stops waiting: its operation ends
        if self.stacks is not None and not self.stacks.wait_idle(timeout=30):
            print("warning: a stack operation was still running at shutdown", file=sys.stderr)
        self.cloud.__exit__(exc_type, exc, tb)


def serve(*, port: int, time_scale: float, state_dir: Path, cdk_home: Path, out: Any = None) -> int:
    """Run until SIGINT or SIGTERM, after printing the environment to use as ``export`` lines (``cdk_home``: the
    CDK CLI's, absolute)."""
    out = out or sys.stdout
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with LocalCloudServer(state_dir=state_dir, port=port, time_scale=time_scale) as server:
        print(f"# the local cloud serves every service on {server.endpoint_url} (state in {state_dir})", file=out)
        print(
            "# use it from a shell with these lines, or run the CDK CLI with: "
            "python -m lookoutvision_localcloud cdk -- ARGS",
            file=out,
        )
        for name, value in environment(server.endpoint_url, cdk_home).items():
            print(f"export {name}={value}", file=out)
        print("unset AWS_PROFILE AWS_SESSION_TOKEN AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", file=out, flush=True)
        stop.wait()
        print("# stopping: waiting for running stack operations to be recorded", file=out, flush=True)
    return 0


SERVE_START_TIMEOUT = 60.0  # real seconds for `serve` to print its endpoint


class ServeProcess:
    """``python -m lookoutvision_localcloud serve`` in a child process; its output goes to ``log``. A context
    manager."""

    def __init__(self, state_dir: Path, time_scale: float, log: Path) -> None:
        self.state_dir = state_dir
        self._command = [
            sys.executable,
            "-m",
            "lookoutvision_localcloud",
            "serve",
            "--port",
            "0",
            "--time-scale",
            repr(time_scale),
            "--state-dir",
            str(state_dir),
        ]
        self._log_path = log
        self._log: IO[str] | None = None
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self.environment: dict[str, str] = {}

    @property
    def endpoint_url(self) -> str:
        return self.environment["AWS_ENDPOINT_URL"]

    def __enter__(self) -> ServeProcess:
        self._log = self._log_path.open("a")  # a restart (the same state directory) goes on in the same log
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self._command, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1
        )
        assert self._process.stdout is not None
        ready = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout, ready), daemon=True)
        self._reader.start()
        if not ready.wait(SERVE_START_TIMEOUT):
            self.__exit__(None, None, None)
            raise LocalCloudFormationError(
                f"`serve` printed no endpoint within {SERVE_START_TIMEOUT:g} s: {self.tail()}"
            )
        return self

    def _read(self, stream: IO[str], ready: threading.Event) -> None:
        for line in stream:
            assert self._log is not None
            self._log.write(line)
            self._log.flush()
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                self.environment[name] = value
            elif line.startswith("unset "):
                ready.set()

    def tail(self, lines: int = 30) -> str:
        text = self._log_path.read_text() if self._log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __exit__(self, *exc_info: Any) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)  # the last lines reach the log before it closes
        if self._log is not None:
            self._log.close()


def local_client(endpoint_url: str, service: str) -> Any:
    """A boto3 client of ``service`` at the local cloud's ``endpoint_url``, with its dummy credentials and region."""
    import boto3  # noqa: PLC0415 - the [local] extra's; serve itself does not need it

    make_client: Any = boto3.client  # any service: its name is not a literal here
    return make_client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )


def leftovers(endpoint_url: str, stack_names: list[str]) -> dict[str, Any]:
    """What the local cloud says the named stacks left behind (``/_localcloud/leftovers``)."""
    query = urlencode([("stack", name) for name in stack_names])
    with urllib.request.urlopen(f"{endpoint_url}{CONTROL_PREFIX}leftovers?{query}", timeout=60) as answer:  # noqa: S310
        report: dict[str, Any] = json.loads(answer.read())
    return report
