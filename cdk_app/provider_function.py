"""The one provider function per stack that serves every model and dataset custom resource."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Acknowledgment, Duration, IStableAnyProducer, Lazy, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from lookoutvision_cdk import bundling, lambda_asset
from lookoutvision_cdk.project import ProjectLike
from lookoutvision_cdk.project_policy import ProjectPolicy, policy_id
from lookoutvision_cdk_provider import consts

HANDLER = f"{lambda_asset.PROVIDER_PACKAGE}.handler.handler"
# Lambda's maximum. The provider polls inside one invocation and hands over to a re-invocation of
# itself only when the remaining time runs low: the longest timeout means the fewest handovers, and
# an idle poll costs little. The overall deadline is each custom resource's ServiceTimeout.
TIMEOUT = Duration.minutes(15)
# The function only makes HTTPS calls; 256 MB gives boto3 room and a faster CPU share than 128.
MEMORY_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class LookoutVisionProvider(Construct):
    """The crhelper function behind ``Custom::LookoutVisionModel`` and ``Custom::LookoutVisionDataset``.

    Use :meth:`of` rather than the constructor: one instance per stack, however many resources.
    Its own policy allows only its log group and its own ARN (the provider re-invokes itself to
    continue a long operation); the rights on each project are in that project's policy
    (:meth:`project_policy`), which the project's models and datasets extend and depend on.
    """

    ID = "LookoutVisionProvider"
    _fleet: list[Construct]

    @classmethod
    def of(cls, scope: Construct) -> LookoutVisionProvider:
        """The stack's provider, created on first use."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.ID)
        if existing is None:
            return cls(stack, cls.ID)
        if not isinstance(existing, LookoutVisionProvider):
            raise TypeError(
                f"{existing.node.path} exists and is a {type(existing).__name__}, not a LookoutVisionProvider "
                f"(the id {cls.ID!r} is the constructs' at the root of each stack)"
            )
        return existing

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._fleet = []
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Lookout for Vision custom resource provider",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=bundling.RUNTIME,
            architecture=bundling.ARCHITECTURE,
            handler=HANDLER,
            code=bundling.provider_code(),
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            role=self.role,
            log_group=self.log_group,
            description="Lookout for Vision models and datasets as CloudFormation custom resources",
        )
        # A policy of its own, not the role's default policy: the function depends on its role, and
        # this policy names the function's ARN, so the default policy would close a cycle.
        self.policy = iam.Policy(self, "Policy", roles=[self.role])
        self.policy.add_statements(
            iam.PolicyStatement(
                sid="OwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="ContinueItself",
                actions=["lambda:InvokeFunction"],
                resources=[self.function.function_arn],
            ),
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="The runtime is pinned to the Python that the asset's wheels are built for "
                "(lookoutvision_cdk.bundling); python3.13 is a supported Lambda runtime.",
            )
        )

    @property
    def service_token(self) -> str:
        """The ServiceToken of the custom resources: the function's ARN (no custom_resources.Provider)."""
        return self.function.function_arn

    def project_policy(self, project: ProjectLike) -> ProjectPolicy:
        """The policy holding the function's rights on ``project``, created on first use."""
        existing = self.node.try_find_child(policy_id(self, project))
        if isinstance(existing, ProjectPolicy):
            return existing
        return ProjectPolicy(self, policy_id(self, project), project=project, role=self.role)

    def join_fleet(self, model: Construct) -> Any:
        """The ``Fleet`` property of ``model``, a model whose Delete CloudFormation sends with the stack's deletion.

        ``{"Rank": r, "Size": n}``, resolved at synth: ``n`` is the number of models of the stack that
        joined (every project's: the service's quota is the account's), ``r`` this one's place among
        them in the order they were declared. The provider paces each Delete by it
        (``lookoutvision_cdk_provider.fleet_pace``).
        """
        self._fleet.append(model)
        return Lazy.any(_FleetPlace(self, model))

    def fleet_place(self, model: Construct) -> dict[str, int]:
        size = len(self._fleet)
        if size > consts.FLEET_SIZE_MAX:
            raise ValueError(
                f"{self.node.path}: the stack declares {size} Lookout for Vision models; at most "
                f"{consts.FLEET_SIZE_MAX} (CloudFormation's resources per stack) are paced as one fleet"
            )
        return {consts.FLEET_RANK: self._fleet.index(model), consts.FLEET_SIZE: size}

    def depend(self, resource: IConstruct, project: ProjectLike) -> None:
        """Make ``resource`` depend on the function's role, its own policy, its log group and ``project``'s policy.

        (It depends on the function already through its ServiceToken.) CloudFormation then deletes
        the custom resource first: the function can still act, and log, while it handles the Delete,
        also when the resource and its project's policy leave the template together.
        """
        resource.node.add_dependency(self.role, self.policy, self.log_group, self.project_policy(project).policy)


@jsii.implements(IStableAnyProducer)
class _FleetPlace:
    """A model's ``Fleet`` property, produced at synth when every model of the stack has joined."""

    def __init__(self, provider: LookoutVisionProvider, model: Construct) -> None:
        self._provider = provider
        self._model = model

    def produce(self) -> Any:
        return self._provider.fleet_place(self._model)
