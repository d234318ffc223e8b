"""Who tears the models down in a benchmark run: this provider (or a design prototyped through its code) or a baseline.

Each contender starts its functions in a rig, sends CloudFormation's Delete requests its own way
and says how many Lambda invocations (and hand-overs) they took:

- ``ProviderContender``: the provider function, started from its edge (``bench.rig.ProviderVariant``);
  CloudFormation invokes it asynchronously once per request;
- ``CdkContender``: the user's onEvent/isComplete functions behind the CDK Provider framework,
  played by ``bench.cdk_framework``: as a user writes them (``cdk_provider``: a throttle that
  survives boto3's retries fails the resource), or with throttling tolerated (``cdk_tolerant``);
- ``CrhelperContender``: a crhelper function with its default polling (``bench.crhelper_baseline``),
  re-invoked by the rule ``bench.eventbridge`` plays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bench import cdk_framework, crhelper_baseline
from bench.eventbridge import LocalEventBridge
from bench.rig import Baseline, ProviderVariant, Request, Rig
from lookoutvision_cdk_provider import consts
from lookoutvision_localcloud.awslambda import LambdaService
from lookoutvision_localcloud.scaled_clock import ScaledClock


@dataclass(frozen=True)
class Invocations:
    """Lambda invocations a run's requests took: all of them, and those that carried on a hand-over."""

    total: int
    hand_overs: int


class Contender(Protocol):
    key: str
    label: str
    replay: str  # how it runs: "" for this provider itself

    def start(self, rig: Rig, concurrency: int) -> None:
        """Start (and warm) the functions for up to ``concurrency`` requests at once."""
        ...

    def service_token(self) -> str: ...

    def send(self, rig: Rig, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        """Deliver the Delete requests as CloudFormation would; every request with its response (if any)."""
        ...

    def invocations(self, requests: Sequence[Request]) -> Invocations: ...

    def stop(self, rig: Rig) -> None:
        """Stop the functions (their environments hold memory)."""
        ...


class ProviderContender:
    def __init__(self, variant: ProviderVariant, replay: str = "") -> None:
        self.key, self.label, self.replay = variant.key, variant.label, replay
        self._variant = variant
        self._function: LambdaService | None = None

    def start(self, rig: Rig, concurrency: int) -> None:
        self._function = rig.provider_function(self._variant)
        rig.warm(self._function, concurrency)

    def service_token(self) -> str:
        return self._started().function_arn

    def send(self, rig: Rig, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        return rig.send(self._started(), events, timeout)

    def invocations(self, requests: Sequence[Request]) -> Invocations:
        return _count(self._started(), requests)

    def stop(self, rig: Rig) -> None:
        rig.close_function(self._variant.key)
        self._function = None

    def _started(self) -> LambdaService:
        if self._function is None:
            raise RuntimeError(f"{self.key} is not started")
        return self._function


class CdkContender:
    def __init__(
        self, baseline: Baseline = cdk_framework.CDK_PROVIDER, user: cdk_framework.UserFunctions = cdk_framework.NAIVE
    ) -> None:
        self.key, self.label, self.replay = baseline.key, baseline.label, baseline.replay
        self._user = user
        self._framework: cdk_framework.ProviderFramework | None = None

    @classmethod
    def tolerant(cls) -> CdkContender:
        """The well-written peer: the same functions, throttling tolerated."""
        return cls(cdk_framework.CDK_TOLERANT, cdk_framework.TOLERANT)

    def start(self, rig: Rig, concurrency: int) -> None:
        self._framework = cdk_framework.ProviderFramework(rig, self._user)
        for function in self._framework.functions():
            rig.warm(function, concurrency)

    def service_token(self) -> str:
        return self._started().on_event.function_arn

    def send(self, rig: Rig, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        return self._started().send(events, timeout)

    def invocations(self, requests: Sequence[Request]) -> Invocations:
        on_event, is_complete = self._started().functions()
        first, then = _count(on_event, requests), _count(is_complete, requests)
        return Invocations(first.total + then.total, 0)

    def stop(self, rig: Rig) -> None:
        rig.close_function(f"cdk_{self._user.on_event}")
        rig.close_function(f"cdk_{self._user.is_complete}")
        self._framework = None

    def _started(self) -> cdk_framework.ProviderFramework:
        if self._framework is None:
            raise RuntimeError(f"{self.key} is not started")
        return self._framework


CRHELPER = Baseline(
    "crhelper",
    "crhelper defaults (2-minute polls, 120 s sleep before answering)",
    "a crhelper 2.0.12 function with poll_delete and CfnResource() defaults (polling_interval 2, sleep_on_delete "
    "120) through the local Lambda (bench/crhelper_baseline.py); its rate(2 minutes) rule played by "
    "bench/eventbridge.py",
)


class CrhelperContender:
    def __init__(self, baseline: Baseline = CRHELPER) -> None:
        self.key, self.label, self.replay = baseline.key, baseline.label, baseline.replay
        self._bridge: LocalEventBridge | None = None
        self._function: LambdaService | None = None

    def start(self, rig: Rig, concurrency: int) -> None:
        self._bridge = LocalEventBridge(ScaledClock(rig.time_scale)).__enter__()
        endpoint = self._bridge.endpoint_url
        self._function = rig.function(
            crhelper_baseline.FUNCTION,
            edge="bench.crhelper_baseline:build",
            # botocore names the variable after the service id, EventBridge (not the endpoint prefix, events).
            env={"AWS_ENDPOINT_URL_EVENTBRIDGE": endpoint, "AWS_ENDPOINT_URL_LAMBDA": endpoint},
        )
        self._bridge.register(self._function)
        rig.warm(self._function, concurrency, request_type="Create")

    def service_token(self) -> str:
        return self._started().function_arn

    def send(self, rig: Rig, events: list[dict[str, Any]], timeout: float) -> list[Request]:
        return rig.send(self._started(), events, timeout)

    def invocations(self, requests: Sequence[Request]) -> Invocations:
        return _count(self._started(), requests)

    def stop(self, rig: Rig) -> None:
        rig.close_function(crhelper_baseline.FUNCTION)
        if self._bridge is not None:
            self._bridge.__exit__(None, None, None)
        self._bridge, self._function = None, None

    def _started(self) -> LambdaService:
        if self._function is None:
            raise RuntimeError(f"{self.key} is not started")
        return self._function


def _count(function: LambdaService, requests: Sequence[Request]) -> Invocations:
    ids = {r.request_id for r in requests}
    mine = [i for i in function.invocations if i.event.get("RequestId") in ids]
    return Invocations(len(mine), sum(1 for i in mine if consts.CONTINUATION in i.event))
