"""CDK apps of the CLI tests, written as a user of the constructs writes one (no example code)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Duration, Stack
from aws_cdk import aws_lookoutvision as lookoutvision
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lookoutvision_cdk import Hosting, LookoutVisionDataset, LookoutVisionModel


class InspectionStack(Stack):
    """A project, its train dataset and one model, hosted on ``min_inference_units`` when given; ``description`` and
    ``service_timeout`` (seconds) are the model's."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project_name: str,
        min_inference_units: int | None,
        description: str | None = None,
        service_timeout: int | None = None,
    ) -> None:
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
            description=description,
            service_timeout=Duration.seconds(service_timeout) if service_timeout else Duration.hours(1),
        )


class QueueStack(Stack):
    """A stack with a type the local cloud does not play (an SQS queue): its change set fails."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        sqs.Queue(self, "Queue")


class LinesStack(Stack):
    """Inspection lines: models hosted on one inference unit, each trained on the train dataset of its project.

    ``lines`` maps each model's construct id to its project's name. Naming another project for a
    model moves it there (CloudFormation replaces the model); a project that no model names is not
    in the stack. Each project reads its dataset from its own bucket, ``<project>-images``.
    """

    def __init__(self, scope: Construct, id: str, *, lines: Mapping[str, str]) -> None:
        super().__init__(scope, id)
        for model_id, project_name in lines.items():
            images = s3.Bucket.from_bucket_name(self, f"{project_name}-images", f"{project_name}-images")
            project = lookoutvision.CfnProject(self, project_name, project_name=project_name)
            train = LookoutVisionDataset(
                self,
                f"{project_name}-train",
                project=project,
                dataset_type="train",
                manifest_bucket=images,
                manifest_key="manifests/train.manifest",
            )
            LookoutVisionModel(
                self,
                model_id,
                project=project,
                training_dataset=train,
                output_bucket=images,
                output_prefix="output/",
                hosting=Hosting(min_inference_units=1),
            )


def synth_lines(outdir: Path, stack_name: str, lines: Mapping[str, str]) -> Path:
    """A cloud assembly with one LinesStack, ``stack_name``, of ``lines`` (model construct id: project name)."""
    app = App(outdir=str(outdir))
    LinesStack(app, stack_name, lines=lines)
    app.synth()
    return outdir


def synth(outdir: Path, stacks: dict[str, tuple[str, int | None]], **model: Any) -> Path:
    """A cloud assembly with one InspectionStack per ``name: (project name, inference units or None)``; ``model``:
    the model's ``description`` and ``service_timeout``."""
    app = App(outdir=str(outdir))
    for name, (project_name, units) in stacks.items():
        InspectionStack(app, name, project_name=project_name, min_inference_units=units, **model)
    app.synth()
    return outdir


def synth_queue(outdir: Path, stack_name: str) -> Path:
    """A cloud assembly with one QueueStack."""
    app = App(outdir=str(outdir))
    QueueStack(app, stack_name)
    app.synth()
    return outdir
