"""The example stack: a project, its train dataset and a hosted model, on a data bucket that already exists."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lookoutvision_cdk import Hosting, LookoutVisionDataset, LookoutVisionModel

DEFAULT_PROJECT_NAME = "cdk-example"
DEFAULT_MANIFEST_KEY = "datasets/train/train.manifest"
OUTPUT_PREFIX = "model-output/"


class ExampleStack(Stack):
    """One project with a train dataset and a model hosted on one inference unit.

    The data bucket is not part of the stack: it is referenced by name and must exist, with the
    Ground Truth manifest at ``manifest_key`` and the images it lists in the manifest's folder (the
    dataset's default ``images_prefix``), before the stack is deployed (CreateDataset reads the
    manifest, training reads the images). Training writes its output under ``model-output/`` in the
    same bucket. ``cdk destroy`` leaves the bucket and its objects as they are.
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
        CfnOutput(self, "ModelArn", value=model.model_arn)
        CfnOutput(self, "ModelVersion", value=model.model_version)
        CfnOutput(self, "ModelStatus", value=model.status)
