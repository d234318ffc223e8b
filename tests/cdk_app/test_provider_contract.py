"""What the constructs synthesize is what the provider accepts.

The custom resources' Properties, as CloudFormation would hand them to the provider (intrinsics
resolved, scalars as strings), go through the provider's own property parser.
"""

from __future__ import annotations

import pytest

import lookoutvision_cdk
from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.properties import parse_dataset, parse_model
from tests.cdk_app.cloudformation import as_cloudformation_sends, sample_values
from tests.fixtures.assembly import EXAMPLE_CONTEXT, Assembly

pytestmark = pytest.mark.synth


def test_the_provider_accepts_the_model_properties(example_assembly: Assembly) -> None:
    values = sample_values(example_assembly.template)
    [model] = example_assembly.resources_of_type(consts.MODEL_RESOURCE_TYPE).values()
    parsed = parse_model(as_cloudformation_sends(model["Properties"], values))
    bucket = EXAMPLE_CONTEXT["dataBucket"]
    assert parsed.project_name == "cdk-example"
    assert parsed.output_config == {"S3Location": {"Bucket": bucket, "Prefix": "model-output/"}}
    assert parsed.hosting is not None and parsed.hosting.min_inference_units == 1
    assert parsed.service_timeout == 3600
    assert parsed.tags == (("project", "cdk-example"),)


def test_the_provider_accepts_the_dataset_properties(example_assembly: Assembly) -> None:
    values = sample_values(example_assembly.template)
    [dataset] = example_assembly.resources_of_type(consts.DATASET_RESOURCE_TYPE).values()
    parsed = parse_dataset(as_cloudformation_sends(dataset["Properties"], values))
    bucket = EXAMPLE_CONTEXT["dataBucket"]
    assert parsed.project_name == "cdk-example"
    assert parsed.dataset_type == "train"
    assert parsed.dataset_source == {
        "GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Key": "datasets/train/train.manifest"}}
    }


def test_the_api_that_the_provider_names_for_an_existing_dataset_is_the_constructs() -> None:
    """A dataset Create that finds the project's dataset made outside the stack says to reference it, by this name."""
    class_name, method = consts.DATASET_REFERENCE_API.split(".")
    assert callable(getattr(getattr(lookoutvision_cdk, class_name), method))
