"""The crhelper baseline: a Delete written with crhelper's polling, run with crhelper's defaults.

crhelper 2.0.12's ``CfnResource()`` defaults: ``polling_interval=2`` (a CloudWatch Events rule
``rate(2 minutes)`` re-invokes the function with the event) and ``sleep_on_delete=120`` (it
sleeps that long before answering any Delete). The user code: ``delete`` stops the hosted model;
``poll_delete`` looks at it at every re-invocation, deletes it once TRAINED, and is done once
ListModels no longer shows the version. The rule and the resource policy are played by
``bench.eventbridge``. The one change for the local cloud: crhelper's sleep before a Delete's
answer runs on the local cloud's clock (crhelper calls ``time.sleep``, which a time scale would not
shorten), as the provider's own clock is injected at the edge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import boto3
from crhelper import CfnResource

from bench.cdk_handlers import Handler, _model, deleted
from lookoutvision_localcloud.scaled_clock import ScaledClock

FUNCTION = "crhelper"


def build(clock: ScaledClock) -> Handler:
    """The edge (``lookoutvision_localcloud.awslambda.bootstrap``): the user's handler, crhelper's sleep on
    ``clock``."""

    class LocalCfnResource(CfnResource):
        def _wait_for_cwlogs(self, sleep: Callable[[float], None] = clock.sleep) -> None:
            super()._wait_for_cwlogs(sleep=clock.sleep)  # type: ignore[misc]  # crhelper's stub omits it

    helper = LocalCfnResource()  # crhelper's defaults: polling_interval=2, sleep_on_delete=120
    client: Any = boto3.client("lookoutvision")  # type: ignore[call-overload]

    @helper.create
    @helper.update
    def create(event: dict[str, Any], context: Any) -> str:
        return str(event.get("PhysicalResourceId") or event["LogicalResourceId"])

    @helper.delete
    def delete(event: dict[str, Any], context: Any) -> None:
        model = _model(str(event.get("PhysicalResourceId", "")))
        if model is None:
            return
        project, version = model
        with contextlib.suppress(client.exceptions.ConflictException, client.exceptions.ResourceNotFoundException):
            client.stop_model(ProjectName=project, ModelVersion=version)

    @helper.poll_delete
    def poll_delete(event: dict[str, Any], context: Any) -> str | None:
        physical_id = str(event.get("PhysicalResourceId", ""))
        model = _model(physical_id)
        if model is None:
            return physical_id
        return physical_id if deleted(client, *model) else None  # the same look as the CDK baseline's isComplete

    def handler(event: dict[str, Any], context: Any) -> None:
        helper(event, context)

    return handler
