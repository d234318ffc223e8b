"""The example stack: a bucket, a project, its train dataset and a hosted model."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, RemovalPolicy, Stack, Validations
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app import Hosting, LookoutVisionDataset, LookoutVisionModel

DEFAULT_PROJECT_NAME = "cdk-example"
DEFAULT_MANIFEST_KEY = "datasets/train/train.manifest"
OUTPUT_PREFIX = "model-output/"


class ExampleStack(Stack):
    """One project with a train dataset and a model hosted on one inference unit.

    The Ground Truth manifest (and the images it lists) must be in the data bucket under
    ``manifest_key`` before the dataset is created. Both buckets are retained on ``cdk destroy``
    (they hold the training data, the output and the access logs).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project_name: str = DEFAULT_PROJECT_NAME,
        manifest_key: str = DEFAULT_MANIFEST_KEY,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(access_logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket receives the data bucket's server access logs; logging it would recurse.",
            )
        )
        data = s3.Bucket(
            self,
            "Data",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="data/",
            removal_policy=RemovalPolicy.RETAIN,
        )
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
        CfnOutput(self, "DataBucketName", value=data.bucket_name)
        CfnOutput(self, "ModelArn", value=model.model_arn)
        CfnOutput(self, "ModelVersion", value=model.model_version)
        CfnOutput(self, "ModelStatus", value=model.status)
