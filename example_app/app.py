"""The example CDK app that ``cdk.json`` runs: ``python -m example_app.app``.

Environment-agnostic (no account or region): ``cdk synth`` needs no AWS credentials.
Context: ``dataBucket`` (required) names the existing bucket that holds the manifest and images and
receives the training output; ``projectName`` and ``manifestKey`` override the example's defaults.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks

from example_app.stack import DEFAULT_MANIFEST_KEY, DEFAULT_PROJECT_NAME, ExampleStack

STACK_NAME = "LookoutVisionExample"
DATA_BUCKET_CONTEXT = "dataBucket"


class ContextError(ValueError):
    """A context value the example needs is missing or invalid."""


def data_bucket_name(app: App) -> str:
    """The ``dataBucket`` context value, checked against S3's bucket naming rules."""
    name = app.node.try_get_context(DATA_BUCKET_CONTEXT)
    if not name:
        raise ContextError(
            f"the example app needs an existing S3 bucket for its manifest, images and training output: "
            f"pass its name with -c {DATA_BUCKET_CONTEXT}=BUCKET (put the Ground Truth manifest and the images "
            "it lists there before cdk deploy)"
        )
    try:
        s3.Bucket.validate_bucket_name(str(name))
    except RuntimeError as exc:  # what jsii raises for the CDK's own error
        detail = str(exc).splitlines()[1:] or [str(exc)]
        raise ContextError(f"invalid context value {DATA_BUCKET_CONTEXT}={name!r}: {'; '.join(detail)}") from None
    return str(name)


def build_app(*, outdir: str | None = None, context: Mapping[str, Any] | None = None) -> App:
    """The example app with its one stack, checked by cdk-nag's AwsSolutions pack at synth."""
    app = App(outdir=outdir, context=dict(context or {}))
    ExampleStack(
        app,
        STACK_NAME,
        data_bucket_name=data_bucket_name(app),
        project_name=str(app.node.try_get_context("projectName") or DEFAULT_PROJECT_NAME),
        manifest_key=str(app.node.try_get_context("manifestKey") or DEFAULT_MANIFEST_KEY),
        description="Lookout for Vision example: a project, its train dataset and a hosted model",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True))
    return app


def main() -> None:
    try:
        app = build_app()
    except ContextError as exc:
        sys.exit(f"error: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
