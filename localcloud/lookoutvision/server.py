"""The emulator as an HTTP server: ``Emulator`` runs it in a background thread on a free port.

One request goes: route → parse → IAM (for a local function's request) → record → faults (service gone,
latency, drop, access denied, throttling, internal error) → quota → what the edge reads outside the
backend's lock: the service's S3 reads with the caller's rights (CreateDataset, CreateModel; only when an
object store is attached), DetectAnomalies' image → backend (validation, ClientToken, the operation) →
reply, dated (``Date``) in service time, the clock of the model versions' CreationTimestamp.
"""

from __future__ import annotations

import copy
import email.utils
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_localcloud.httpserver import LocalServer, Request, drop_connection, exact_response, raw_target
from lookoutvision_localcloud.iam import lookoutvision as iam_lookoutvision
from lookoutvision_localcloud.iam.caller import AccessDenied, Caller, caller_of
from lookoutvision_localcloud.scaled_clock import ScaledClock

from .admin import PREFIX as ADMIN_PREFIX
from .admin import handle_admin
from .calls import Call, CallLog
from .exceptions import (
    AccessDeniedException,
    InternalServerException,
    LookoutVisionError,
    ThrottlingException,
    ValidationException,
)
from .faults import END_OF_SUPPORT_MESSAGE, Fault, Faults
from .models import LookoutVisionBackend, checked_image, idempotency_token_member, output_keys
from .responses import Reply, new_request_id, parse_request, serialize_error, serialize_output
from .s3_access import ObjectStore, ServiceS3
from .settings import Settings
from .urls import Router

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

# The operations that change nothing the state file keeps.
READ_ONLY_PREFIXES = ("Describe", "List", "DetectAnomalies")


class Emulator:
    """A running Lookout for Vision emulator: ``with Emulator(Settings(time_scale=0.001)) as emu: ...``.

    ``settings`` is kept (not copied): changing it, or calling ``configure``, affects the running
    emulator (its time scale through ``configure`` only). ``clock``: the service time it runs on (a
    local cloud's); by default its own, from now. ``state_file``: loaded at construction when it
    exists, written after every call that changed something and on ``close``. ``s3``: where the
    service reads datasets' manifests and images (``s3_access.ObjectStore``; the local cloud attaches
    its S3); None, as when the emulator runs alone: nothing is read.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | os.PathLike[str] | None = None,
        clock: ScaledClock | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Settings()
        self._defaults = copy.deepcopy(self.settings)
        self.clock = clock if clock is not None else ScaledClock(self.settings.time_scale)
        self.clock.rescale(self.settings.time_scale)
        self.backend = LookoutVisionBackend(self.settings, self.clock)
        self.faults = Faults()
        self._calls = CallLog()
        self._service = servicemodel.service_model()
        self._router = Router(self._service)
        self._host, self._port = host, port
        self._server: LocalServer | None = None
        self._save_lock = threading.Lock()
        self.s3: ObjectStore | None = None
        self.state_file = Path(state_file) if state_file is not None else None
        if self.state_file is not None and self.state_file.exists():
            self.load(self.state_file)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._server is None:
            self._server = LocalServer(self.wsgi_app, host=self._host, port=self._port, name="lookoutvision").start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.state_file is not None:
            self.save()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running: use it as a context manager or call start()")
        return self._server.url

    @property
    def port(self) -> int:
        return int(urlsplit(self.endpoint_url).port or 0)

    # -- test and operator controls -----------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every call answered since the last reset, oldest first."""
        return self._calls.all()

    def calls_of(self, operation: str) -> list[Call]:
        return self._calls.of(operation)

    def reset(self) -> None:
        """Forget every resource, token, hold, fault and call; settings back to those given at construction."""
        self.faults.clear()
        self._calls.clear()
        self.settings.copy_from(self._defaults)
        self.backend.reset()
        self.clock.rescale(self.settings.time_scale)
        self.clock.set(time.time())

    def configure(self, **changes: Any) -> Settings:
        """Change settings of the running emulator; Durations fields may be given by name (``training=5``)."""
        self.settings.update(**changes)
        self.clock.rescale(self.settings.time_scale)
        return self.settings

    def add_fault(self, fault: Fault) -> Fault:
        return self.faults.add(fault)

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the whole state as JSON (atomically) to ``path`` or the state file."""
        target = Path(path) if path is not None else self.state_file
        if target is None:
            raise ValueError("no path given and no state_file configured")
        state = self.backend.to_state()
        with self._save_lock:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
            with os.fdopen(fd, "w") as out:
                json.dump(state, out, indent=1, sort_keys=True)
            Path(tmp).replace(target)
        return target

    def load(self, path: str | os.PathLike[str]) -> None:
        self.backend.from_state(json.loads(Path(path).read_text()))

    # -- one request ------------------------------------------------------------------------

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The emulator as a WSGI application: the service's API and the control API under ``/_emulator/``."""
        request = Request(environ)
        headers = {key.lower(): value for key, value in request.headers.items()}
        reply = self.handle(request.method, raw_target(environ), headers, request.get_data(), caller_of(environ))
        if reply is None:
            return drop_connection(environ)(environ, start_response)
        body = b"" if request.method == "HEAD" else reply.body
        return exact_response(reply.status, body, reply.headers)(environ, start_response)

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, caller: Caller | None = None
    ) -> Reply | None:
        """Answer one HTTP request; None means: drop the connection without an answer.

        ``caller``: the local function that signed the request (``lookoutvision_localcloud.iam``), whose role must allow
        it; None for the account's administrator, who is not checked.
        """
        if target.startswith(ADMIN_PREFIX):
            return handle_admin(self, method, urlsplit(target).path, body)
        arrived = self.clock.now()
        request_id = new_request_id()
        operation, params, fault_name = "UnknownOperation", {}, None
        drop = False
        try:
            operation_model, labels = self._router.match(method, urlsplit(target).path)
            operation = operation_model.name
            params = parse_request(operation_model, labels, target, headers, body)
            if caller is not None:
                self._authorize(caller, operation, params)
            hits: dict[str, Fault] = {fault.kind: fault for fault in self.faults.take(operation)}
            fault_name = ",".join(sorted(hits)) or None
            reply, drop = self._serve(operation, operation_model, params, hits, caller)
        except LookoutVisionError as error:
            reply = serialize_error(error, self._service)
        except Exception as exc:  # never leave the caller without an answer
            logger.exception("internal error answering %s", operation)
            reply = serialize_error(InternalServerException(f"Internal error: {exc}"), self._service)
        token_member = idempotency_token_member(operation) if operation in self._service.operation_names else None
        token = params.get(token_member) if token_member else None
        code = reply.headers.get("X-Amzn-ErrorType") if reply.status >= 400 else None
        self._calls.append(
            Call(
                operation=operation,
                params=_recorded(params),
                status=0 if drop else reply.status,
                error_code="ConnectionDropped" if drop else code,
                time=arrived,
                client_token=token if isinstance(token, str) else None,
                request_id=request_id,
                fault=fault_name,
                answered=self.clock.now(),
            )
        )
        if self.state_file is not None and reply.status < 300 and not operation.startswith(READ_ONLY_PREFIXES):
            self.save()
        if drop:
            return None
        reply.headers["x-amzn-RequestId"] = request_id
        reply.headers["Date"] = email.utils.formatdate(self.clock.now(), usegmt=True)  # the service's clock
        return reply

    def _authorize(self, caller: Caller, operation: str, params: dict[str, Any]) -> None:
        """IAM's verdict on the caller's request, before the service does anything: AccessDeniedException if refused."""
        needed = iam_lookoutvision.permissions(
            operation,
            params,
            region=self.settings.region,
            account_id=self.settings.account_id,
            next_model_version=self.backend.next_model_version,
        )
        try:
            caller.authorize_all(needed)
        except AccessDenied as denied:
            raise AccessDeniedException(denied.message) from denied

    def _read_s3(self, operation: str, params: dict[str, Any], caller: Caller | None) -> dict[str, Any]:
        """What the service's S3 reads for this call find, with the caller's rights, for the backend.

        Outside the backend's lock: a CreateModel reads every image of the project's datasets.
        Nothing is read for a request the backend will refuse as invalid, nor without an object store.
        """
        store = self.s3
        if store is None or operation not in ("CreateDataset", "CreateModel"):
            return {}
        try:
            self.backend.validate(operation, params)
        except ValidationException:
            return {}
        access = ServiceS3.of(store, caller, self.settings.region)
        if operation == "CreateDataset":
            location = (params.get("DatasetSource") or {}).get("GroundTruthManifest", {}).get("S3Object")
            return {"dataset_import": access.import_manifest(location)} if location else {}
        project = str(params["ProjectName"])
        output = params["OutputConfig"]
        keys = output_keys(output, project, self.backend.next_model_version(project))
        read = access.read_training(self.backend.dataset_images(project), output["S3Location"]["Bucket"], keys)
        return {"training_problem": read.problem, "image_size": read.image_size}

    def _read_image(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """DetectAnomalies' image, read and checked outside the backend's lock (a 4096 x 4096 image takes a while).

        A request the backend will refuse as invalid is left to it; an image the service refuses is a
        ValidationException naming it.
        """
        if operation != "DetectAnomalies":
            return {}
        try:
            self.backend.validate(operation, params)
        except ValidationException:
            return {}
        return {"image": checked_image(params["Body"], str(params["ContentType"]))}

    def _serve(
        self,
        operation: str,
        operation_model: Any,
        params: dict[str, Any],
        hits: dict[str, Fault],
        caller: Caller | None = None,
    ) -> tuple[Reply, bool]:
        for fault in hits.values():
            if fault.kind == "latency":
                self.clock.sleep(fault.latency)
        if "service_gone" in hits:
            raise AccessDeniedException(END_OF_SUPPORT_MESSAGE)
        drop = hits.get("drop_connection")
        if drop is not None and not drop.after_action:
            return Reply(0), True
        if "access_denied" in hits:
            raise AccessDeniedException(
                f"User: arn:aws:iam::{self.settings.account_id}:user/emulated is not authorized to perform: "
                f"lookoutvision:{operation}"
            )
        throttle = hits.get("throttling")
        if throttle is not None:
            raise ThrottlingException(
                "Rate exceeded (injected throttling).",
                retry_after_seconds=throttle.retry_after_seconds,
                quota_code=f"{operation}-requests-per-second",
            )
        failure = hits.get("internal_error")
        if failure is not None and not failure.after_action:
            raise InternalServerException(
                "Amazon Lookout for Vision experienced a service issue. Try your call again.",
                retry_after_seconds=failure.retry_after_seconds,
            )
        self.backend.throttle(operation)
        found = self._read_s3(operation, params, caller) | self._read_image(operation, params)
        result = self.backend.invoke(operation, params, found)
        if drop is not None:
            return Reply(0), True
        if failure is not None:
            raise InternalServerException(
                "Amazon Lookout for Vision experienced a service issue. Try your call again.",
                retry_after_seconds=failure.retry_after_seconds,
            )
        return serialize_output(operation_model, result), False


def _recorded(params: dict[str, Any]) -> dict[str, Any]:
    """A call's parameters as the call record keeps them: a blob (DetectAnomalies' image) by its length only."""
    return {
        name: f"<{len(value)} bytes>" if isinstance(value, bytes | bytearray) else value
        for name, value in params.items()
    }
