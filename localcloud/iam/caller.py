"""The caller of a request, as the local cloud's services see it, and "may this caller do that?".

The gateway (``lookoutvision_localcloud.gateway``) puts the caller of every request into its WSGI environ under
``CALLER_ENVIRON_KEY``: a ``Caller`` when the request is signed with the temporary credentials of a
local function's execution role, nothing (``caller_of`` answers None) for anyone else, who is the
account's administrator and is not checked. A service's HTTP layer then asks
``caller.authorize(action, resource, context)`` for each permission a request needs: it returns, or
raises ``AccessDenied`` carrying AWS's message. The role's policies are read when asked, so a policy
changed or deleted a moment ago counts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lookoutvision_localcloud.iam import reference
from lookoutvision_localcloud.iam.conditions import RequestContext
from lookoutvision_localcloud.iam.evaluation import Decision, Request, evaluate

CALLER_ENVIRON_KEY = "lookoutvision_localcloud.iam.caller"

# Global condition keys every request of a local function has (or, modelled, lacks).
_GLOBAL_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:principalisawsservice",
        "aws:requestedregion",
        "aws:userid",
        "aws:username",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
    }
)


@dataclass(frozen=True)
class Principal:
    """A role session: ``arn:aws:sts::<account>:assumed-role/<role>/<session>``, and the role behind it."""

    session_arn: str
    role_arn: str
    role_id: str
    session_name: str
    account_id: str
    region: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]


class AccessDenied(Exception):
    """A request refused by IAM; ``message`` is AWS's text (``quoted_message``: S3's, the resource in quotes)."""

    def __init__(self, principal: Principal, action: str, resource: str, decision: Decision) -> None:
        self.principal, self.action, self.resource, self.decision = principal, action, resource, decision
        super().__init__(self.message)

    @property
    def explicit(self) -> bool:
        return self.decision is Decision.EXPLICIT_DENY

    def _text(self, resource: str) -> str:
        head = f"User: {self.principal.session_arn} is not authorized to perform: {self.action} on resource: {resource}"
        if self.explicit:
            return f"{head} with an explicit deny in an identity-based policy"
        return f"{head} because no identity-based policy allows the {self.action} action"

    @property
    def message(self) -> str:
        return self._text(self.resource)

    @property
    def quoted_message(self) -> str:
        return self._text(f'"{self.resource}"')


@dataclass(frozen=True)
class Permission:
    """One permission a request needs: ``service:Action`` on a resource ARN (or ``*``), with its condition keys."""

    action: str
    resource: str
    context: RequestContext = field(default_factory=RequestContext)


@dataclass(frozen=True)
class Caller:
    """A local function's role session and where its role's identity policies are read from, when asked."""

    principal: Principal
    policies: Callable[[], Sequence[Any]]

    def context(self, *, via_service: str | None = None) -> RequestContext:
        """The global condition keys of this caller's request (``via_service``: a service calling on its behalf,
        e.g. ``lookoutvision.amazonaws.com`` reading a manifest with the caller's rights)."""
        principal = self.principal
        values: dict[str, Sequence[str]] = {
            "aws:securetransport": ["true"],  # every call to the local cloud stands for an HTTPS one
            "aws:viaawsservice": ["true" if via_service else "false"],
            "aws:principalarn": [principal.role_arn],
            "aws:principalaccount": [principal.account_id],
            "aws:principaltype": ["AssumedRole"],
            "aws:principalisawsservice": ["false"],
            "aws:requestedregion": [principal.region],
            "aws:userid": [f"{principal.role_id}:{principal.session_name}"],
        }
        if via_service:
            values |= {key: [via_service] for key in ("aws:calledvia", "aws:calledviafirst", "aws:calledvialast")}
        return RequestContext(values, _GLOBAL_KEYS)

    def decide(
        self, action: str, resource: str, context: RequestContext | None = None, *, via_service: str | None = None
    ) -> Decision:
        """IAM's decision on ``action`` (``service:Name``) on ``resource`` for this caller, now."""
        full = self.context(via_service=via_service).merged(context or RequestContext())
        return evaluate(self.policies(), Request(action, resource, full))

    def authorize(
        self, action: str, resource: str, context: RequestContext | None = None, *, via_service: str | None = None
    ) -> None:
        """Return if this caller may do ``action`` on ``resource`` now; raise ``AccessDenied`` (AWS's message) if not.

        ``action`` is written as the reference spells it when the reference has it (``lookoutvision:ListModels``).
        """
        decision = self.decide(action, resource, context, via_service=via_service)
        if decision is not Decision.ALLOWED:
            raise AccessDenied(self.principal, _spelled(action), resource, decision)

    def authorize_all(self, permissions: Sequence[Permission], *, via_service: str | None = None) -> None:
        """``authorize`` each permission in turn: the first refused raises."""
        for permission in permissions:
            self.authorize(permission.action, permission.resource, permission.context, via_service=via_service)


def _spelled(action: str) -> str:
    try:
        return reference.action(action).qualified_name
    except KeyError:
        return action


def caller_of(environ: Mapping[str, Any]) -> Caller | None:
    """The caller the gateway identified for this request: a local function's role session, or None (the
    account's administrator, not checked)."""
    caller = environ.get(CALLER_ENVIRON_KEY)
    return caller if isinstance(caller, Caller) else None
