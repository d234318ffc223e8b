"""The Lambda entry point, ``lookoutvision_cdk_provider.handler.handler``: every custom-resource request and every
continuation.

Each invocation reads where its answer goes (an event without a target is dropped: nothing done,
nothing answered), reads the request (one CloudFormation cannot have sent is answered FAILED),
lets crhelper dispatch it to ``lookoutvision_cdk_provider.dispatch.decide``
(``lookoutvision_cdk_provider.crhelper_adapter``), and
hands the verdict to ``lookoutvision_cdk_provider.cfn_response.conclude``: the only code that answers. The
ResponseURL, a presigned credential, is redacted from every log record (``lookoutvision_cdk_provider.redaction``).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

from lookoutvision_cdk_provider import dispatch, redaction
from lookoutvision_cdk_provider.budget import LambdaContext, socket_timeouts
from lookoutvision_cdk_provider.cfn_response import Unanswerable, conclude, failure_reason, response_target
from lookoutvision_cdk_provider.config import ProviderConfig
from lookoutvision_cdk_provider.crhelper_adapter import Framework
from lookoutvision_cdk_provider.errors import RejectedEvent
from lookoutvision_cdk_provider.request import parse_request, untouched_physical_id
from lookoutvision_cdk_provider.verdict import Answer, Verdict

logger = logging.getLogger(__name__)

_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s"

Handler = Callable[[dict[str, Any], LambdaContext], None]

_REDACTION = redaction.RedactingFilter()


def make_handler(config: ProviderConfig) -> Handler:
    """A Lambda handler running with ``config``; crhelper's resource is built at its first invocation."""
    framework: Framework | None = None

    def handle(event: dict[str, Any], context: LambdaContext) -> None:
        nonlocal framework
        if framework is None:  # first: it may add the root log handler the filter must sit on
            _ensure_log_handler()
            framework = Framework(config.clock, config.timings.invocation.timer_margin_real, dispatch.undecided)
        response_url = event.get("ResponseURL") if isinstance(event, dict) else None
        _REDACTION.set_secrets([response_url] if isinstance(response_url, str) else [])
        redaction.install(_REDACTION)
        put_timeout = _put_timeout(config, context)  # sized on the whole invocation, as its calls are
        target = response_target(event, config.extra_response_hosts)
        if isinstance(target, Unanswerable):
            logger.error("event dropped, nothing done and nothing answered: %s", target.why)
            return
        verdict: Verdict
        try:
            request = parse_request(event, target)
        except RejectedEvent as exc:
            logger.error("%s rejected: %s", target.names, exc.message)
            reason = failure_reason(target.request_type, target.logical_id, exc.message, exc.advice)
            verdict = Answer.failed(untouched_physical_id(event, target), reason)
        else:
            verdict = framework.run(request, context, functools.partial(dispatch.decide, config=config))
        conclude(target, verdict, put_timeout=put_timeout, sending=config.timings.response)

    return handle


@functools.cache
def _production_handler() -> Handler:
    return make_handler(ProviderConfig())


def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Lambda's entry point for every custom-resource request and every continuation."""
    _production_handler()(event, context)


def _put_timeout(config: ProviderConfig, context: LambdaContext) -> float:
    """Real seconds per attempt to PUT the response: one call at its worst, as the invocation's calls get."""
    timings = config.timings.invocation
    call_timeout = timings.call_timeout(max(0.0, context.get_remaining_time_in_millis() / 1000))
    return sum(socket_timeouts(call_timeout, config.clock, timings))


def _ensure_log_handler() -> None:
    """Lambda's runtime gives the root logger a handler; elsewhere, log to stderr as it would."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(stream)
