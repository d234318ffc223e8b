"""crhelper, the provider's framework, confined to this module: it dispatches a request and answers nothing.

crhelper's ``CfnResource`` runs each request (at INFO, ``sleep_on_delete=0``, no ``poll_*``) and
calls the one function registered with its public decorators, which returns the provider's
verdict. Three private hooks of crhelper ``CRHELPER_VERSION`` keep crhelper from answering
itself: ``_cfn_response`` (no answer), ``_send`` (crhelper's own failure becomes a FAILED verdict
for the running request) and ``_set_timeout`` (a warning, no answer);
``tests/provider/test_crhelper_adapter.py`` pins them. Why: docs/decisions/0001.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from crhelper import FAILED, CfnResource

from lookoutvision_cdk_provider.budget import LambdaContext
from lookoutvision_cdk_provider.clock import Clock
from lookoutvision_cdk_provider.request import CustomResourceRequest
from lookoutvision_cdk_provider.verdict import Answer, Verdict

logger = logging.getLogger(__name__)

# The crhelper release whose private hooks this module replaces: the one provider/requirements.txt bundles.
CRHELPER_VERSION = "2.0.12"

Decide = Callable[[CustomResourceRequest, LambdaContext], Verdict]
# The FAILED answer to a request that was not decided, given why.
Undecided = Callable[[CustomResourceRequest, str], Answer]


class Framework:
    """Runs each request through crhelper; built once per execution environment (crhelper needs ``AWS_REGION``).

    ``undecided`` answers a request crhelper failed to run (its message says why).
    """

    def __init__(self, clock: Clock, timer_margin_real: float, undecided: Undecided) -> None:
        self._resource = _Resource(clock, timer_margin_real, undecided)

    def run(self, request: CustomResourceRequest, context: LambdaContext, decide: Decide) -> Verdict:
        """``decide(request, context)`` as crhelper dispatches it; a FAILED answer if crhelper itself failed."""
        return self._resource.run(request, context, decide)


class _Resource(CfnResource):
    def __init__(self, clock: Clock, timer_margin_real: float, undecided: Undecided) -> None:
        super().__init__(log_level="INFO", boto_level="ERROR", sleep_on_delete=0)
        self._clock = clock
        self._timer_margin_real = timer_margin_real
        self._undecided = undecided
        self._running: tuple[CustomResourceRequest, LambdaContext, Decide] | None = None
        self._verdict: Verdict | None = None
        self._warning: threading.Timer | None = None
        self.create(self._perform)
        self.update(self._perform)
        self.delete(self._perform)

    def run(self, request: CustomResourceRequest, context: LambdaContext, decide: Decide) -> Verdict:
        self._running, self._verdict = (request, context, decide), None
        try:
            self(dict(request.event), context)
        finally:
            if self._warning is not None:
                self._warning.cancel()
            self._running = None
        if self._verdict is None:  # crhelper neither ran the function nor reported a failure
            return self._undecided(request, "crhelper ran no request function")
        return self._verdict

    def _perform(self, event: dict[str, Any], context: Any) -> str:
        """crhelper's request function: the verdict; crhelper's own bookkeeping gets the answer's physical id."""
        assert self._running is not None
        request, context, decide = self._running
        try:
            self._verdict = decide(request, context)
        except Exception as exc:
            logger.exception("%s %s failed unexpectedly", request.request_type, request.logical_id)
            self._verdict = self._undecided(request, f"unexpected {type(exc).__name__}: {exc}")
        return self._verdict.physical_id if isinstance(self._verdict, Answer) else request.request_id

    # -- crhelper's private hooks ------------------------------------------------------------------

    def _cfn_response(self, event: dict[str, Any]) -> None:
        """crhelper's answer after the request function: none, the verdict is answered instead."""

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        """crhelper's own failure (its constructor's, its catch-all): a FAILED verdict for the running request."""
        if self._running is None or self._verdict is not None or status != FAILED:
            logger.error("crhelper wanted to answer %s (%s): nothing sent", status, reason)
            return
        logger.error("crhelper failed before the request was decided: %s", reason)
        self._verdict = self._undecided(self._running[0], f"crhelper failed: {reason}")

    def _set_timeout(self) -> None:
        """crhelper's timer: a warning shortly before the invocation ends (its margin, a tenth of the invocation at
        most), on the provider's clock; no answer."""
        if self._running is None:
            return
        request, context, _ = self._running
        real = self._clock.real_seconds(context.get_remaining_time_in_millis() / 1000)
        names = f"{request.request_type} {request.logical_id}"
        self._warning = threading.Timer(max(0.0, real - min(self._timer_margin_real, real / 10)), _warn, (names,))
        self._warning.daemon = True
        self._warning.start()


def _warn(names: str) -> None:
    logger.warning(
        "%s: the invocation is about to time out unanswered; Lambda's retry of it carries the request on", names
    )
