"""The one provider function per stack that serves every model and dataset custom resource."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from cdk_app import bundling
from cdk_app.project import ProjectLike, model_arns, project_arn

HANDLER = "provider.handler.handler"
# Lambda's maximum. The provider polls inside one invocation and hands over to a re-invocation of
# itself only when the remaining time runs low: the longest timeout means the fewest handovers, and
# an idle poll costs little. The overall deadline is each custom resource's ServiceTimeout.
TIMEOUT = Duration.minutes(15)
# The function only makes HTTPS calls; 256 MB gives boto3 room and a faster CPU share than 128.
MEMORY_MB = 256
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# Exactly the operations the provider calls (provider/lookout.py). The dataset operations and
# ListModels are authorized on the project; the model operations on the model version.
_PROJECT_ACTIONS = (
    "lookoutvision:CreateDataset",
    "lookoutvision:DescribeDataset",
    "lookoutvision:DeleteDataset",
    "lookoutvision:ListModels",
)
_MODEL_ACTIONS = (
    "lookoutvision:CreateModel",
    "lookoutvision:DescribeModel",
    "lookoutvision:StartModel",
    "lookoutvision:StopModel",
    "lookoutvision:DeleteModel",
    # CreateModel with Tags also needs TagResource on the new version; an update of Tags sets and
    # removes tags in place.
    "lookoutvision:TagResource",
    "lookoutvision:UntagResource",
    # The Delete of a cancelled deploy finds the versions its resource created by their owner tag.
    "lookoutvision:ListTagsForResource",
)


class LookoutVisionProvider(Construct):
    """The crhelper function behind ``Custom::LookoutVisionModel`` and ``Custom::LookoutVisionDataset``.

    Use :meth:`of` rather than the constructor: one instance per stack, however many resources.
    Its role starts with only its own log group and its own ARN (the provider re-invokes itself
    to continue a long operation); every model and dataset adds what it needs through ``grant_*``.
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
            raise TypeError(f"{stack.node.path}/{cls.ID} exists and is not a LookoutVisionProvider")
        return existing

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self._granted: set[str] = set()

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
        self._acknowledge(
            "AwsSolutions-L1",
            "The runtime is pinned to the Python that the asset's wheels are built for (cdk_app.bundling); "
            "python3.13 is a supported Lambda runtime.",
            on=self.function,
        )

    @property
    def service_token(self) -> str:
        """The ServiceToken of the custom resources: the function's ARN (no custom_resources.Provider)."""
        return self.function.function_arn

    def depend(self, resource: IConstruct) -> None:
        """Make ``resource`` depend on the function's role, policy and log group.

        (It depends on the function already through its ServiceToken.) CloudFormation then deletes
        the custom resource first: the function can still act, and log, while it handles the Delete.
        """
        resource.node.add_dependency(self.role, self.policy, self.log_group)

    def _once(self, key: str) -> bool:
        if key in self._granted:
            return False
        self._granted.add(key)
        return True

    def grant_project(self, project: ProjectLike) -> None:
        """Dataset and model operations on one project and its model versions."""
        arn = project_arn(self, project)
        if not self._once(f"project {Stack.of(self).to_json_string(arn)}"):
            return
        self.policy.add_statements(
            iam.PolicyStatement(actions=list(_PROJECT_ACTIONS), resources=[arn]),
            iam.PolicyStatement(actions=list(_MODEL_ACTIONS), resources=[model_arns(self, project)]),
        )
        self._acknowledge(
            f"AwsSolutions-IAM5[Resource::{self._nag_text(model_arns(self, project))}]",
            "The service numbers model versions at training time: this names every version of one project "
            "that the stack declares (model/<project>/*), nothing else.",
        )

    def grant_manifest_read(self, bucket: s3.IBucket, key: str, version_id: str | None = None) -> None:
        """Read one Ground Truth manifest object (CreateDataset reads it with the caller's rights)."""
        actions = ["s3:GetObject"] + (["s3:GetObjectVersion"] if version_id else [])
        self.policy.add_statements(iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects(key)]))
        if bucket.encryption_key is not None:
            bucket.encryption_key.grant_decrypt(self.policy_principal)

    def grant_output(self, bucket: s3.IBucket, prefix: str | None) -> None:
        """Training output: objects under the prefix, and the bucket-level reads the service makes."""
        pattern = f"{prefix or ''}*"
        if not self._once(f"output {Stack.of(self).to_json_string([bucket.bucket_arn, pattern])}"):
            return
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[bucket.arn_for_objects(pattern)],
            ),
            iam.PolicyStatement(actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn]),
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [pattern]}},
            ),
        )
        if bucket.encryption_key is not None:
            bucket.encryption_key.grant_encrypt_decrypt(self.policy_principal)
        self._acknowledge(
            f"AwsSolutions-IAM5[Resource::{self._nag_text(bucket.arn_for_objects(pattern))}]",
            "Training writes output objects, named by the service, under the model's output prefix only.",
        )

    def grant_kms(self, key: kms.IKey) -> None:
        """What CreateModel needs to encrypt the model with a customer managed key."""
        if not self._once(f"kms {Stack.of(self).to_json_string(key.key_arn)}"):
            return
        self.policy.add_statements(
            iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[key.key_arn]),
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        )

    @property
    def policy_principal(self) -> iam.IGrantable:
        """The principal to grant more to (e.g. read access to the images a manifest lists)."""
        return self.role

    def _acknowledge(self, finding: str, reason: str, on: IConstruct | None = None) -> None:
        """Acknowledge one cdk-nag finding (its exact id, no pattern) on the policy or on ``on``."""
        Validations.of(on or self.policy).acknowledge(Acknowledgment(id=finding, reason=reason))

    def _nag_text(self, value: str) -> str:
        """``value`` as cdk-nag writes it in a finding id: Ref → <Id>, GetAtt → <Id.Attr>, Join flattened."""
        return _render(Stack.of(self).resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        [(function, argument)] = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{'.'.join(argument)}>"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(_render(part) for part in parts)
    return json.dumps(value, sort_keys=True)
