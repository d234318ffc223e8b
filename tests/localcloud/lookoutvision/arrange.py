"""Projects, datasets and models arranged through boto3 for the emulator's tests, what they read back, and the
manifest lines they import."""

from __future__ import annotations

import json
from typing import Any

from lookoutvision_localcloud.sample_dataset import manifest_line

OUTPUT_CONFIG = {"S3Location": {"Bucket": "lookoutvision-output", "Prefix": "runs/"}}
MANIFEST = {"GroundTruthManifest": {"S3Object": {"Bucket": "lookoutvision-input", "Key": "train.manifest"}}}


def make_project(client: Any, name: str = "demo", datasets: tuple[str, ...] = ("train",)) -> str:
    client.create_project(ProjectName=name)
    for dataset_type in datasets:
        client.create_dataset(ProjectName=name, DatasetType=dataset_type)
    return name


def make_model(client: Any, project: str = "demo", **kwargs: Any) -> str:
    response = client.create_model(ProjectName=project, OutputConfig=OUTPUT_CONFIG, **kwargs)
    return str(response["ModelMetadata"]["ModelVersion"])


def status(client: Any, project: str, version: str) -> str:
    return str(client.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]["Status"])


def listed_versions(client: Any, project: str) -> list[str]:
    versions: list[str] = []
    for page in client.get_paginator("list_models").paginate(ProjectName=project):
        versions += [m["ModelVersion"] for m in page["Models"]]
    return versions


# Real seconds per service second that make service time stand still for the length of a test:
# the tests move it with ``emulator.clock.advance``, so no assertion races the clock.
STILL = 1e6


def segmentation_line(source_ref: str, anomalous: bool, color_map: dict[str, Any] | None = None) -> str:
    """A segmentation JSON line as the service's page shows one: the classification, and a mask with its color map."""
    line = json.loads(manifest_line(source_ref, anomalous))
    line["anomaly-mask-ref"] = source_ref.replace(".png", "-mask.png")
    line["anomaly-mask-ref-metadata"] = {
        "internal-color-map": color_map
        or {
            "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff", "confidence": 0.0},
            "1": {"class-name": "scratch", "hex-color": "#2ca02c", "confidence": 0.0},
            "2": {"class-name": "dent", "hex-color": "#1f77b4", "confidence": 0.0},
        },
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "yes",
    }
    return json.dumps(line)
