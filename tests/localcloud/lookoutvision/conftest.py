"""Helpers for the emulator's tests: projects, datasets and models arranged through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.lookoutvision import Emulator

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


@pytest.fixture(autouse=True)
def service_time_by_hand(emulator: Emulator) -> Emulator:
    """Service time moves only when a test advances it, and no quota applies unless a test sets one."""
    emulator.configure(time_scale=STILL, requests_per_second=None)
    return emulator


@pytest.fixture
def trained(emulator: Emulator, lookoutvision: Any) -> tuple[str, str]:
    """Project "demo" with a train dataset and model version 1, TRAINED."""
    make_project(lookoutvision)
    version = make_model(lookoutvision)
    emulator.clock.advance(emulator.settings.durations.training)
    assert status(lookoutvision, "demo", version) == "TRAINED"
    return "demo", version


@pytest.fixture
def hosted(emulator: Emulator, lookoutvision: Any, trained: tuple[str, str]) -> tuple[str, str]:
    """Model version 1 of "demo", HOSTED."""
    project, version = trained
    lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1)
    emulator.clock.advance(emulator.settings.durations.starting_hosting)
    assert status(lookoutvision, project, version) == "HOSTED"
    return trained
