"""The example stack: a project, its train dataset and a hosted model, on a data bucket that already exists."""

from __future__ import annotations

import posixpath
from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app import Hosting, LookoutVisionDataset, LookoutVisionModel, LookoutVisionProvider

DEFAULT_PROJECT_NAME = "cdk-example"
DEFAULT_MANIFEST_KEY = "datasets/train/train.manifest"
OUTPUT_PREFIX = "model-output/"


def dataset_folder(manifest_key: str) -> str:
    """The manifest's folder (``""`` or ending in ``/``): where the images it lists are read from."""
    folder = posixpath.dirname(manifest_key)
    return f"{folder}/" if folder else ""


class ExampleStack(Stack):
    """One project with a train dataset and a model hosted on one inference unit.

    The data bucket is not part of the stack: it is referenced by name and must exist, with the
    Ground Truth manifest at ``manifest_key`` and the images it lists in the manifest's folder,
    before the stack is deployed (CreateDataset reads the manifest, training reads the images).
    Training writes its output under ``model-output/`` in the same bucket. ``cdk destroy`` leaves
    the bucket and its objects as they are.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_bucket_name: str,
        project_name: str = DEFAULT_PROJECT_NAME,
        manifest_key: str = DEFAULT_MANIFEST_KEY,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        data = s3.Bucket.from_bucket_name(self, "Data", data_bucket_name)
        project = lookoutvision.CfnProject(self, "Project", project_name=project_name)
        train = LookoutVisionDataset(
            self,
            "TrainDataset",
            project=project,
            dataset_type="train",
            manifest_bucket=data,
            manifest_key=manifest_key,
        )
        model = LookoutVisionModel(
            self,
            "Model",
            project=project,
            training_dataset=train,
            output_bucket=data,
            output_prefix=OUTPUT_PREFIX,
            description="Example-model-trained-by-cdk",
            tags={"project": project_name},
            hosting=Hosting(min_inference_units=1),
        )
        # Training reads the images the manifest lists with the caller's rights: the provider's.
        images = f"{dataset_folder(manifest_key)}*"
        policy = LookoutVisionProvider.of(self).policy
        read_images = iam.PolicyStatement(
            sid="ReadDatasetImages", actions=["s3:GetObject"], resources=[data.arn_for_objects(images)]
        )
        policy.add_statements(read_images)
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{data_bucket_name}/{images}]",
                reason="Training reads the images that the manifest lists, in the manifest's folder only.",
            )
        )
        CfnOutput(self, "ModelArn", value=model.model_arn)
        CfnOutput(self, "ModelVersion", value=model.model_version)
        CfnOutput(self, "ModelStatus", value=model.status)
