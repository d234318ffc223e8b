"""The example CDK app that ``cdk.json`` runs: ``python -m example_app.app``.

Environment-agnostic (no account or region): ``cdk synth`` needs no AWS credentials.
Context: ``projectName`` and ``manifestKey`` override the example's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from example_app.stack import DEFAULT_MANIFEST_KEY, DEFAULT_PROJECT_NAME, ExampleStack

STACK_NAME = "LookoutVisionExample"
# Feature flags the example relies on, set here so that an in-process synth and `cdk synth` agree.
FEATURE_FLAGS: dict[str, Any] = {
    # Server access logs are delivered under a bucket policy instead of the deprecated ACL.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(*, outdir: str | None = None, context: Mapping[str, Any] | None = None) -> App:
    """The example app with its one stack, checked by cdk-nag's AwsSolutions pack at synth."""
    app = App(outdir=outdir, context={**FEATURE_FLAGS, **(context or {})})
    ExampleStack(
        app,
        STACK_NAME,
        project_name=str(app.node.try_get_context("projectName") or DEFAULT_PROJECT_NAME),
        manifest_key=str(app.node.try_get_context("manifestKey") or DEFAULT_MANIFEST_KEY),
        description="Lookout for Vision example: a project, its train dataset and a hosted model",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()
