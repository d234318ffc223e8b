"""What crhelper's polling needs of AWS, locally: scheduled EventBridge rules and Lambda's resource policy.

crhelper's ``poll_*`` (crhelper 2.0.12, ``resource_helper``) sets up polling with PutRule
(``rate(N minutes)``), AddPermission (events.amazonaws.com may invoke the function) and
PutTargets (the function, with the whole event as its Input), and tears it down with
RemoveTargets, RemovePermission and DeleteRule. This server answers those six operations on
loopback — EventBridge's JSON 1.1 protocol (``X-Amz-Target: AWSEvents.*``) and Lambda's REST
paths — and plays the rule's schedule: while an enabled rule has a target, the function is invoked
asynchronously with the target's Input every N minutes of service time from PutRule, as a rate
rule runs "at regular intervals" (the first run one interval after the rule is created).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

from lookoutvision_localcloud.awslambda import LambdaService
from lookoutvision_localcloud.httpserver import LocalServer
from lookoutvision_localcloud.scaled_clock import ScaledClock

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_POLICY = re.compile(r"/2015-03-31/functions/(?P<function>[^/]+)/policy(?:/(?P<sid>[^/?]+))?")


@dataclass
class Rule:
    name: str
    period: float  # service seconds
    created: float  # service time of PutRule
    inputs: dict[str, str] = field(default_factory=dict)  # target id → Input
    stopped: threading.Event = field(default_factory=threading.Event)
    fired: int = 0


class LocalEventBridge:
    """Rules that invoke local functions on a rate schedule, and a resource-policy API that accepts everything."""

    def __init__(self, clock: ScaledClock, region: str = "us-east-1", account_id: str = "123456789012") -> None:
        self._clock = clock
        self._region, self._account_id = region, account_id
        self._functions: dict[str, LambdaService] = {}
        self._lock = threading.Lock()
        self.rules: dict[str, Rule] = {}
        self.calls: list[str] = []
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "PutRule": self.put_rule,
            "PutTargets": self.put_targets,
            "RemoveTargets": self.remove_targets,
            "DeleteRule": self.delete_rule,
        }
        self._server = LocalServer(self.wsgi_app, name="eventbridge")

    @property
    def endpoint_url(self) -> str:
        return self._server.url

    def register(self, function: LambdaService) -> None:
        """A function rules may target (by its name in the target's ARN)."""
        self._functions[function.function_name] = function

    # -- EventBridge ---------------------------------------------------------------------------

    def put_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request["Name"])
        match = _RATE.fullmatch(str(request.get("ScheduleExpression", "")))
        if match is None:
            raise ValueError(f"only rate(N unit) schedules are played, not {request.get('ScheduleExpression')!r}")
        period = int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]
        rule = Rule(name, float(period), self._clock.now())
        with self._lock:
            self.rules[name] = rule
        if request.get("State", "ENABLED") == "ENABLED":
            threading.Thread(target=self._run, args=(rule,), daemon=True).start()
        return {"RuleArn": f"arn:aws:events:{self._region}:{self._account_id}:rule/{name}"}

    def put_targets(self, request: dict[str, Any]) -> dict[str, Any]:
        rule = self.rules[str(request["Rule"])]
        for target in request["Targets"]:
            rule.inputs[str(target["Arn"]).rsplit(":", 1)[-1]] = str(target.get("Input", "{}"))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, request: dict[str, Any]) -> dict[str, Any]:
        rule = self.rules.get(str(request["Rule"]))
        if rule is not None:
            rule.inputs.clear()
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def delete_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            rule = self.rules.pop(str(request["Name"]), None)
        if rule is not None:
            rule.stopped.set()
        return {}

    def _run(self, rule: Rule) -> None:
        while True:
            due = rule.created + (rule.fired + 1) * rule.period
            if rule.stopped.wait(max(0.0, self._clock.real_seconds(due - self._clock.now()))):
                return
            rule.fired += 1
            for function_name, payload in list(rule.inputs.items()):
                function = self._functions.get(function_name)
                if function is not None:
                    function.invoke_async(json.loads(payload))

    # -- HTTP ----------------------------------------------------------------------------------

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response: Iterable[bytes] = self._answer(Request(environ))(environ, start_response)
        return response

    def _answer(self, request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        policy = _POLICY.fullmatch(request.path)
        if request.method == "POST" and target.startswith("AWSEvents."):
            operation = target.removeprefix("AWSEvents.")
            self.calls.append(operation)
            answer = self._operations[operation](json.loads(request.get_data() or b"{}"))
            return Response(json.dumps(answer), 200, content_type="application/x-amz-json-1.1")
        if request.method == "POST" and policy is not None:
            self.calls.append("AddPermission")
            statement = json.loads(request.get_data() or b"{}")
            return Response(json.dumps({"Statement": json.dumps(statement)}), 201, content_type="application/json")
        if request.method == "DELETE" and policy is not None:
            self.calls.append("RemovePermission")
            return Response(b"", 204)
        return Response(
            json.dumps({"message": f"not played here: {request.path}"}), 404, content_type="application/json"
        )

    def __enter__(self) -> LocalEventBridge:
        self._server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for rule in list(self.rules.values()):
            rule.stopped.set()
        self._server.stop()
