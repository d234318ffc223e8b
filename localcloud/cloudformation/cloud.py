"""The local cloud a stack is played against: the emulator, the response endpoint, moto, local functions."""

from __future__ import annotations

import logging
import threading
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from localcloud.awslambda import LambdaService
from localcloud.cloudformation.response_endpoint import ResponseEndpoint
from localcloud.lookoutvision import Emulator, Settings
from localcloud.scaled_clock import ScaledClock

# Local endpoints answer at once; throttling (the emulator's quota) is retried by botocore.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10}, connect_timeout=5, read_timeout=60)


class MotoServer:
    """moto's server on a free loopback port: IAM, S3, CloudWatch Logs, EventBridge, ... for real."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - heavy import, only when used

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> None:
        self._server.start()
        port = self._server._server.server_address[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        # moto keeps its backends per process: start every run from an empty world.
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own loopback server
            answer.read()

    def stop(self) -> None:
        self._server.stop()


class LocalCloud:
    """Every local service a stack's resources need, started together. A context manager.

    ``emulator``: an emulator already running (e.g. a test's); otherwise one is started with
    ``emulator_settings`` and, when ``emulator_state_file`` is given, loaded from and saved to it.
    ``time_scale``: real seconds per service second, for the emulator and every local function.
    """

    def __init__(
        self,
        *,
        time_scale: float | None = None,
        emulator: Emulator | None = None,
        emulator_settings: Settings | None = None,
        emulator_state_file: Path | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        self._own_emulator = emulator is None
        if emulator is None:
            settings = emulator_settings or Settings(region=region, account_id=account_id)
            if time_scale is not None:
                settings.time_scale = time_scale
            # Loaded when it exists, written after every change and on exit.
            emulator = Emulator(settings, state_file=emulator_state_file)
        self.emulator: Emulator = emulator
        self.time_scale = time_scale if time_scale is not None else emulator.settings.time_scale
        # The clock of every local function and of the response URLs' X-Amz-Date.
        self.clock = ScaledClock(self.time_scale)
        self.region = region
        self.account_id = account_id
        self.responses = ResponseEndpoint()
        self.moto = MotoServer()
        self._functions: dict[str, LambdaService] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        # Set when the local cloud shuts down: whoever still waits on it stops waiting.
        self.closing = threading.Event()
        self._lock = threading.Lock()

    # -- local functions -------------------------------------------------------------------------

    def add_function(self, arn: str, service: LambdaService) -> None:
        with self._lock:
            self._functions[arn] = service

    def function(self, arn_or_name: str) -> LambdaService | None:
        """The local function a ServiceToken (ARN) or a function name designates."""
        with self._lock:
            if arn_or_name in self._functions:
                return self._functions[arn_or_name]
            for arn, service in self._functions.items():
                if arn.rsplit(":", 1)[-1] == arn_or_name:
                    return service
        return None

    def remove_function(self, arn: str) -> LambdaService | None:
        with self._lock:
            return self._functions.pop(arn, None)

    @property
    def functions(self) -> dict[str, LambdaService]:
        with self._lock:
            return dict(self._functions)

    def function_environment(self, variables: dict[str, str]) -> dict[str, str]:
        """A local function's environment: the template's variables plus the local endpoints."""
        return {
            **variables,
            "AWS_ENDPOINT_URL": self.moto.url,  # anything not served otherwise goes to moto, never to AWS
            "AWS_ENDPOINT_URL_LOOKOUTVISION": self.emulator.endpoint_url,
            "SSL_CERT_FILE": self.responses.ca_file,
        }

    # -- clients ---------------------------------------------------------------------------------

    def lookoutvision(self) -> Any:
        """A client of the emulator."""
        return self._client("lookoutvision", self.emulator.endpoint_url)

    def client(self, service: str) -> Any:
        """A client of moto's server for ``service`` (iam, s3, logs, events, kms, ...)."""
        return self._client(service, self.moto.url)

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
        self.moto.start()
        self.responses.__enter__()
        if self._own_emulator:
            self.emulator.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        for service in self.functions.values():
            service.close()
        if self._own_emulator:
            self.emulator.__exit__(exc_type, exc, tb)
        self.responses.__exit__(exc_type, exc, tb)
        self.moto.stop()
