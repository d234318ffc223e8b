"""The one provider function per stack that serves every model and dataset custom resource."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from lookoutvision_cdk import bundling, lambda_asset
from lookoutvision_cdk.project import ProjectLike
from lookoutvision_cdk.project_policy import ProjectPolicy, policy_id

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

    def depend(self, resource: IConstruct, project: ProjectLike) -> None:
        """Make ``resource`` depend on the function's role, its own policy, its log group and ``project``'s policy.

        (It depends on the function already through its ServiceToken.) CloudFormation then deletes
        the custom resource first: the function can still act, and log, while it handles the Delete,
        also when the resource and its project's policy leave the template together.
        """
        resource.node.add_dependency(self.role, self.policy, self.log_group, self.project_policy(project).policy)
