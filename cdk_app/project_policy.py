"""The provider function's rights on one Lookout for Vision project: one IAM policy per project.

Every custom resource of the project depends on this policy, so CloudFormation deletes the policy
only after the last of them. A Delete therefore keeps its rights when its resource leaves the
template: in an update's cleanup (a retired line, a model moved to another project), in a
rollback's cleanup and in a stack deletion, CloudFormation deletes dependents before what they
depend on in the template they came from. The Lookout for Vision part depends on the project
alone, not on which models and datasets it has, so an update that keeps the project never takes
away what the Delete of a resource leaving it needs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lookoutvision_cdk.project import ProjectLike, arn_name, model_arns

# Exactly the Lookout for Vision operations the provider calls (provider/lookout.py), by the resource
# type that AWS's service authorization reference gives each. These four have none: IAM evaluates
# them against "*", so only a statement with "Resource": "*" allows them.
UNSCOPED_ACTIONS = (
    "lookoutvision:CreateDataset",
    "lookoutvision:DescribeDataset",
    "lookoutvision:DeleteDataset",
    "lookoutvision:ListModels",
)
# Authorized on the model version, arn:...:model/<project>/<version>.
MODEL_ACTIONS = (
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
# The service reads and writes S3 with the caller's rights (AWS's "Set up SDK permissions" page for
# Lookout for Vision), and only the service needs them: the function itself never calls S3.
_VIA_SERVICE = {"Bool": {"aws:ViaAWSService": "true"}}
# One reason for both prefixes: images and output may share one (the bucket's root, by default).
_S3_PREFIX_REASON = (
    "Training reads the images that the project's datasets list (s3:GetObject, under images_prefix) and writes its "
    "output, named by the service (s3:PutObject, under output_prefix): under the prefixes given only."
)


def policy_id(scope: Construct, project: ProjectLike) -> str:
    """The construct id of ``project``'s policy: stable across synths, one per project.

    A name known at synth time appears in it (``Project-<name>``); a name known only at deploy time
    is represented by a hash of the expression that yields it.
    """
    name = arn_name(project)
    if not Token.is_unresolved(name):
        return f"Project-{name}"
    expression = json.dumps(Stack.of(scope).resolve(name), sort_keys=True)
    return f"Project{hashlib.sha256(expression.encode()).hexdigest()[:8]}"


class ProjectPolicy(Construct):
    """The IAM policy, attached to the provider's role, with what the provider needs for one project.

    Lookout for Vision: the four operations without a resource type on ``*`` and the model
    operations on ``model/<project>/*``. S3, as the SDK permissions page lists it: for
    CreateDataset the manifest object (and its version) and the manifest bucket's location; for
    CreateModel the images the datasets list (under their prefix) and, for the output, PutObject
    under the prefix and the bucket's location. KMS: the model's key, and the buckets' keys.
    """

    def __init__(self, scope: Construct, id: str, *, project: ProjectLike, role: iam.IRole) -> None:
        super().__init__(scope, id)
        self._granted: set[str] = set()
        self.policy = iam.Policy(self, "Policy", roles=[role])
        models = model_arns(self, project)
        self.policy.add_statements(
            iam.PolicyStatement(actions=list(UNSCOPED_ACTIONS), resources=["*"]),
            iam.PolicyStatement(actions=list(MODEL_ACTIONS), resources=[models]),
        )
        self._acknowledge(
            "AwsSolutions-IAM5[Resource::*]",
            "AWS's service authorization reference gives CreateDataset, DescribeDataset, DeleteDataset and "
            'ListModels no resource type: IAM allows them only with "Resource": "*". Only these four are on it.',
        )
        self._acknowledge(
            f"AwsSolutions-IAM5[Resource::{self._nag_text(models)}]",
            "The service numbers model versions at training time: this names every version of one project "
            "that the stack declares (model/<project>/*), nothing else.",
        )

    def grant_manifest_read(self, bucket: s3.IBucket, key: str, version_id: str | None = None) -> None:
        """CreateDataset: read one Ground Truth manifest object (with its version) and locate its bucket."""
        actions = ["s3:GetObject"] + (["s3:GetObjectVersion"] if version_id else [])
        self.policy.add_statements(
            iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects(key)], conditions=_VIA_SERVICE)
        )
        self._grant_bucket_location(bucket)
        self._grant_bucket_key(bucket, ["kms:Decrypt"])

    def grant_images_read(self, bucket: s3.IBucket, prefix: str) -> None:
        """CreateModel: read the images the project's datasets list, under ``prefix``."""
        objects = bucket.arn_for_objects(f"{prefix}*")
        if not self._once("images", objects):
            return
        self.policy.add_statements(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects], conditions=_VIA_SERVICE)
        )
        self._grant_bucket_key(bucket, ["kms:Decrypt"])
        self._acknowledge(f"AwsSolutions-IAM5[Resource::{self._nag_text(objects)}]", _S3_PREFIX_REASON)

    def grant_output(self, bucket: s3.IBucket, prefix: str | None) -> None:
        """CreateModel: write the training output under ``prefix`` and locate the output bucket."""
        objects = bucket.arn_for_objects(f"{prefix or ''}*")
        if not self._once("output", objects):
            return
        self.policy.add_statements(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects], conditions=_VIA_SERVICE)
        )
        self._grant_bucket_location(bucket)
        self._grant_bucket_key(bucket, ["kms:GenerateDataKey", "kms:Decrypt"])
        self._acknowledge(f"AwsSolutions-IAM5[Resource::{self._nag_text(objects)}]", _S3_PREFIX_REASON)

    def grant_kms(self, key: kms.IKey) -> None:
        """CreateModel: encrypt the model with a customer managed key (the statements of AWS's page on using
        your own KMS key with Lookout for Vision, the grant through Lookout for Vision in the stack's region)."""
        if not self._once("kms", key.key_arn):
            return
        region = Stack.of(self).region
        self.policy.add_statements(
            iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[key.key_arn]),
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {"kms:ViaService": f"lookoutvision.{region}.amazonaws.com"},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            ),
        )

    def _grant_bucket_location(self, bucket: s3.IBucket) -> None:
        """The service checks that a bucket is in its region (GetBucketLocation)."""
        if self._once("location", bucket.bucket_arn):
            self.policy.add_statements(
                iam.PolicyStatement(
                    actions=["s3:GetBucketLocation"], resources=[bucket.bucket_arn], conditions=_VIA_SERVICE
                )
            )

    def _grant_bucket_key(self, bucket: s3.IBucket, actions: list[str]) -> None:
        """A bucket encrypted with a KMS key: the key operations S3 makes for the service's reads or writes."""
        key = bucket.encryption_key
        if key is None or not self._once(f"bucket key {actions}", key.key_arn):
            return
        region = Stack.of(self).region
        self.policy.add_statements(
            iam.PolicyStatement(
                actions=actions,
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            )
        )

    def _once(self, kind: str, value: Any) -> bool:
        key = f"{kind} {Stack.of(self).to_json_string(value)}"
        if key in self._granted:
            return False
        self._granted.add(key)
        return True

    def _acknowledge(self, finding: str, reason: str) -> None:
        """Acknowledge one cdk-nag finding on the policy, once: its exact id, no pattern."""
        if self._once("acknowledged", finding):
            Validations.of(self.policy).acknowledge(Acknowledgment(id=finding, reason=reason))

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
