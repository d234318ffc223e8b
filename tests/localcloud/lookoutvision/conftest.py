"""The emulator's tests: service time moves only when a test advances it; a trained and a hosted model to start from."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_localcloud.lookoutvision import Emulator
from tests.localcloud.lookoutvision.arrange import STILL, make_model, make_project, status


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
