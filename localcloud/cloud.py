"""The local cloud's root: every service on one loopback endpoint, its one clock, its state, its defaults.

``LocalCloud`` builds the emulator, the local functions, the response endpoint and moto (routed by
``lookoutvision_localcloud.gateway``), and registers the handler of each resource type a stack may hold
(docs/decisions/0100-one-root-for-the-local-cloud.md). A local function calls with its execution
role's session, which IAM judges (``lookoutvision_localcloud.iam``); every other caller is the administrator.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from lookoutvision_localcloud import cloudwatch_logs, gateway, moto_resources
from lookoutvision_localcloud.awslambda import cloudformation as lambda_resources
from lookoutvision_localcloud.awslambda.cloudformation import LambdaFunctionHandler
from lookoutvision_localcloud.awslambda.functions import LocalFunctions
from lookoutvision_localcloud.cloudformation.custom_resource import CustomResourceHandler
from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.persistence import StackFiles
from lookoutvision_localcloud.cloudformation.resources import ResourceTypes, is_custom_resource_type
from lookoutvision_localcloud.cloudformation.response_endpoint import PATH_PREFIX as RESPONSES_PREFIX
from lookoutvision_localcloud.cloudformation.response_endpoint import ResponseEndpoint
from lookoutvision_localcloud.httpserver import LocalServer
from lookoutvision_localcloud.iam import logs as iam_logs
from lookoutvision_localcloud.iam import reference as iam_reference
from lookoutvision_localcloud.iam import s3 as iam_s3
from lookoutvision_localcloud.iam.sessions import FunctionSessions, SessionCredentials
from lookoutvision_localcloud.lookoutvision import Emulator, Settings
from lookoutvision_localcloud.lookoutvision import cloudformation as lookoutvision_resources
from lookoutvision_localcloud.lookoutvision.admin import PREFIX as EMULATOR_ADMIN_PREFIX
from lookoutvision_localcloud.lookoutvision.s3_access import ClientObjectStore, ObjectStore
from lookoutvision_localcloud.s3_state import S3State
from lookoutvision_localcloud.scaled_clock import ScaledClock

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# The local cloud's account and region, and where its commands keep their state by default.
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
DEFAULT_STATE_DIR = Path(".localcloud")
SERVE_STATE_DIR = DEFAULT_STATE_DIR / "serve"  # `serve`'s own: a running server never shares its state


@dataclass(frozen=True)
class StateDirectory:
    """What a local cloud keeps between runs, in one directory: every stack's document (``stacks/``), the
    emulator's world (``lookoutvision.json``), the functions' code unzipped from S3 (``functions/``) and, for
    ``serve``, S3's buckets and objects (``s3/``)."""

    path: Path

    @property
    def stacks(self) -> StackFiles:
        return StackFiles(self.path / "stacks")

    @property
    def emulator_file(self) -> Path:
        return self.path / "lookoutvision.json"

    @property
    def functions(self) -> Path:
        return self.path / "functions"

    @property
    def s3(self) -> Path:
        return self.path / "s3"


# Local endpoints answer at once; throttling (the emulator's quota) is retried by botocore.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10}, connect_timeout=5, read_timeout=60)
# What Lambda's own calls for a function (its logs) may take: a refusal is not retried, a stopped cloud soon given up.
SESSION_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=10)


class LocalCloud:
    """Every local service a stack's resources need, started together. A context manager.

    ``state_dir``: where it keeps stacks, the emulator's world and functions' code between runs (None:
    nothing is kept). ``emulator``: an emulator already running (e.g. a test's; its state is its own);
    otherwise one is started with ``emulator_settings``.
    ``time_scale``: real seconds per service second, for the emulator and every local function.
    Every service answers on ``endpoint_url`` (``port`` 0: a free one), the response endpoint's
    URLs over HTTPS on the same port. ``keep_s3``: S3's buckets and objects are kept in the state
    directory too, written after every change, and put back by ``restore_s3``. ``resources`` plays a
    stack's resources here: ``simulate`` records a resource nothing plays instead of failing it; a
    function's code comes from the cloud assembly at ``assembly_directory`` when given, otherwise from
    the S3 object its template names.
    """

    def __init__(
        self,
        *,
        time_scale: float | None = None,
        emulator: Emulator | None = None,
        emulator_settings: Settings | None = None,
        state_dir: Path | None = None,
        region: str = REGION,
        account_id: str = ACCOUNT_ID,
        port: int = 0,
        simulate: bool = False,
        assembly_directory: Path | None = None,
        keep_s3: bool = False,
    ) -> None:
        self.state = StateDirectory(state_dir) if state_dir is not None else None
        self._own_emulator = emulator is None
        if emulator is None:
            settings = emulator_settings or Settings(region=region, account_id=account_id)
            if time_scale is not None:
                settings.time_scale = time_scale
            # Loaded when it exists (service time goes on from the saved one), written after every change and on exit.
            state_file = self.state.emulator_file if self.state is not None else None
            emulator = Emulator(settings, state_file=state_file, clock=ScaledClock(settings.time_scale))
        self.emulator: Emulator = emulator
        # The one clock: the emulator's, every local function's, the response URLs' X-Amz-Date, custom resources' waits.
        self.clock = emulator.clock
        self.region = region
        self.account_id = account_id
        # Where functions' code is unzipped: kept under the state directory, else in a scratch directory.
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if self.state is not None:
            self.code_directory = self.state.functions
        else:
            self._scratch = tempfile.TemporaryDirectory(prefix="localcloud-")
            self.code_directory = Path(self._scratch.name) / "functions"
        # Every stack's document: under the state directory, else in memory only.
        self.stack_files = self.state.stacks if self.state is not None else StackFiles(None)
        self.responses = ResponseEndpoint(own_server=False)
        # The role sessions of the local functions: the callers whose requests IAM judges.
        self.sessions = FunctionSessions(lambda: self.client("sts"))
        self.gateway = gateway.Gateway(identify=self.sessions.identify)
        self.gateway.mount(RESPONSES_PREFIX, self.responses.wsgi_app)
        self.gateway.mount(EMULATOR_ADMIN_PREFIX, emulator.wsgi_app)
        self.gateway.route_service("lookoutvision", emulator.wsgi_app)
        # The functions this local cloud runs, and Lambda's Invoke API in front of them.
        self.functions = LocalFunctions(region, account_id)
        self.gateway.route_service("lambda", self.functions.wsgi_app)
        # S3 behind IAM; with keep_s3, every change written to the state directory before it is answered.
        self.s3_state = S3State(self.state.s3, lambda: self.client("s3")) if keep_s3 and self.state else None
        s3 = iam_s3.enforce(self._moto)
        self.gateway.route_service("s3", self.s3_state.recording(s3) if self.s3_state is not None else s3)
        self.gateway.route_service("logs", iam_logs.enforce(cloudwatch_logs.as_aws(self._moto)))
        self.server = LocalServer(
            self.gateway, port=port, tls=self.responses.tls_context(), handler=gateway.request_handler(), name="cloud"
        )
        self._clients: dict[tuple[str, str], Any] = {}
        # Set when the local cloud shuts down: whoever still waits on it stops waiting.
        self.closing = threading.Event()
        self._lock = threading.Lock()
        # What the emulator read S3 from before this local cloud gave it its own (restored on exit).
        self._emulator_s3: ObjectStore | None = None
        # The handler of each resource type a stack may hold, registered here: the engine knows no service.
        self.custom_resources = CustomResourceHandler(self.functions.find, self.responses, self.clock, self.closing)
        self.function_resources = LambdaFunctionHandler(self, assembly_directory)
        self.resources = ResourceTypes(simulate=simulate)
        self.resources.add(
            lookoutvision_resources.ProjectHandler(self.lookoutvision), [lookoutvision_resources.PROJECT_TYPE]
        )
        self.resources.add(self.function_resources, [lambda_resources.FUNCTION_TYPE])
        self.resources.add(moto_resources.MotoHandler(self), moto_resources.RESOURCE_TYPES)
        self.resources.add(self.custom_resources, matches=is_custom_resource_type)

    @property
    def time_scale(self) -> float:
        """Real seconds per service second."""
        return self.clock.scale

    # -- what the local functions and the stacks are given -------------------------------------------

    def function_environment(self, variables: dict[str, str]) -> dict[str, str]:
        """A local function's environment: the template's variables plus the local endpoint, for every service
        (Lambda's Invoke API included, so that its calls to itself are judged as its other calls)."""
        return {
            **variables,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url,
            "SSL_CERT_FILE": self.responses.ca_file,
        }

    def _moto(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.gateway.moto()(environ, start_response)

    def restore_s3(self) -> list[str]:
        """Put the S3 buckets and objects kept in the state directory back (with ``keep_s3``, once the stacks' own
        buckets are created again with their configuration); a warning per bucket that could not be."""
        return self.s3_state.restore() if self.s3_state is not None else []

    def role_session(self, function_name: str, role_arn: str, region: str) -> SessionCredentials:
        """The temporary credentials of a function's execution role, whose requests IAM judges from now on."""
        return self.sessions.start(function_name, role_arn, region)

    def provider_options(self) -> dict[str, Any]:
        """The ``ProviderConfig`` options the provider runs with here: the local response endpoint's host."""
        return {"extra_response_hosts": [self.responses.host]}

    def stack_context(self, stack_name: str) -> StackContext:
        """The pseudo parameters of a new stack in this cloud: a new stack id."""
        stack_id = f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{stack_name}/{uuid.uuid4()}"
        return StackContext(stack_name=stack_name, stack_id=stack_id, region=self.region, account_id=self.account_id)

    # -- clients ---------------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: every service of the local cloud."""
        return self.server.url

    def lookoutvision(self) -> Any:
        """A client of the emulator."""
        return self.client("lookoutvision")

    def client(self, service: str) -> Any:
        """A client of the local cloud for ``service`` (lookoutvision, iam, s3, logs, events, ssm, ...)."""
        return self._client(service, self.endpoint_url)

    def session_client(self, service: str, credentials: SessionCredentials) -> Any:
        """A client of the local cloud for ``service`` signed with ``credentials`` (a function's role session), as
        Lambda calls for a function (writing its logs): IAM judges its requests as the session's."""
        session = boto3.session.Session(
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint_url, config=SESSION_CLIENT_CONFIG)  # type: ignore[call-overload]

    def _client(self, service: str, endpoint_url: str) -> Any:
        # One client per service and endpoint: clients are thread-safe, and building one parses
        # the service's model, which holds up every other thread for a while.
        with self._lock:
            client = self._clients.get((service, endpoint_url))
            if client is None:
                client = self._new_client(service, endpoint_url)
                self._clients[(service, endpoint_url)] = client
            return client

    def _new_client(self, service: str, endpoint_url: str) -> Any:
        session = boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - local services take any credentials
            region_name=self.region,
        )
        return session.client(service, endpoint_url=endpoint_url, config=CLIENT_CONFIG)  # type: ignore[call-overload]

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        gateway.reset_moto()  # moto keeps its backends per process: every local cloud starts from an empty world
        iam_reference.load()  # read once per process (a third of a second), not during a function's first call
        self.server.start()
        self.responses.serve_at(self.server.tls_url)
        # The service's own reads (manifests, images) go to this S3, as the administrator, once IAM allowed the caller.
        self._emulator_s3, self.emulator.s3 = self.emulator.s3, ClientObjectStore(lambda: self.client("s3"))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        self.functions.close()
        self.server.stop()
        self.emulator.s3 = self._emulator_s3
        if self._own_emulator:
            self.emulator.close()  # saves its state file
        self.responses.__exit__(exc_type, exc, tb)
        if self._scratch is not None:
            self._scratch.cleanup()
