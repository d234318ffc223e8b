"""CDK apps of the CLI tests, written as a user of the constructs writes one (no example code)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app import Hosting, LookoutVisionDataset, LookoutVisionModel


class InspectionStack(Stack):
    """A project, its train dataset and one model, hosted on ``min_inference_units`` when given."""

    def __init__(self, scope: Construct, id: str, *, project_name: str, min_inference_units: int | None) -> None:
        super().__init__(scope, id)
        images = s3.Bucket.from_bucket_name(self, "Images", f"{project_name}-images")
        project = lookoutvision.CfnProject(self, "Project", project_name=project_name)
        train = LookoutVisionDataset(
            self,
            "Train",
            project=project,
            dataset_type="train",
            manifest_bucket=images,
            manifest_key="manifests/train.manifest",
        )
        LookoutVisionModel(
            self,
            "Model",
            project=project,
            training_dataset=train,
            output_bucket=images,
            output_prefix="output/",
            hosting=Hosting(min_inference_units=min_inference_units) if min_inference_units else None,
        )


def synth(outdir: Path, stacks: dict[str, tuple[str, int | None]]) -> Path:
    """A cloud assembly with one InspectionStack per ``name: (project name, inference units or None)``."""
    app = App(outdir=str(outdir))
    for name, (project_name, units) in stacks.items():
        InspectionStack(app, name, project_name=project_name, min_inference_units=units)
    app.synth()
    return outdir
