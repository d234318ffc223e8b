"""Durations of one model version's own (``Settings.model_durations``): each step as set for that version."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_localcloud.lookoutvision import Emulator, Settings
from tests.localcloud.lookoutvision.arrange import listed_versions, make_model, status


@pytest.fixture
def two_hosted(emulator: Emulator, lookoutvision: Any, hosted: tuple[str, str]) -> tuple[str, str, str]:
    """Versions 1 and 2 of "demo", both HOSTED."""
    project, first = hosted
    second = make_model(lookoutvision, project)
    emulator.backend.set_status(project, second, "HOSTED")
    return project, first, second


def test_a_version_stops_after_its_own_duration(
    emulator: Emulator, lookoutvision: Any, two_hosted: tuple[str, str, str]
) -> None:
    project, first, second = two_hosted
    default = emulator.settings.durations.stopping_hosting
    emulator.configure(model_durations={f"{project}/{second}": {"stopping_hosting": default + 7}})
    for version in (first, second):
        lookoutvision.stop_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(default)
    assert status(lookoutvision, project, first) == "TRAINED"
    assert status(lookoutvision, project, second) == "STOPPING_HOSTING"
    emulator.clock.advance(7)
    assert status(lookoutvision, project, second) == "TRAINED"


def test_a_version_is_deleted_and_unlisted_after_its_own_durations(
    emulator: Emulator, lookoutvision: Any, trained: tuple[str, str]
) -> None:
    project, version = trained
    emulator.configure(model_durations={f"{project}/{version}": {"deleting": 3.5, "list_models_lag": 1.5}})
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(3.4)
    assert status(lookoutvision, project, version) == "DELETING"
    emulator.clock.advance(0.1)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.describe_model(ProjectName=project, ModelVersion=version)
    assert listed_versions(lookoutvision, project) == [version]
    emulator.clock.advance(1.5)
    assert listed_versions(lookoutvision, project) == []
    unlisted = [c for c in emulator.backend.history(project, version, "MODEL") if c.status == "UNLISTED"]
    gone = [c for c in emulator.backend.history(project, version, "MODEL") if c.status == "GONE"]
    assert unlisted[0].time - gone[0].time == pytest.approx(1.5)


def test_a_step_the_entry_leaves_out_takes_the_common_duration(emulator: Emulator) -> None:
    emulator.configure(model_durations={"demo/1": {"deleting": 3.0}})
    assert emulator.settings.duration("deleting", "demo", "1") == 3.0
    assert emulator.settings.duration("stopping_hosting", "demo", "1") == emulator.settings.durations.stopping_hosting
    assert emulator.settings.duration("deleting", "demo", "2") == emulator.settings.durations.deleting
    assert emulator.settings.duration("deleting") == emulator.settings.durations.deleting


def test_reset_forgets_the_durations_of_versions(emulator: Emulator) -> None:
    emulator.configure(model_durations={"demo/1": {"deleting": 3.0}})
    emulator.reset()
    assert emulator.settings.model_durations == {}


def test_an_unknown_or_negative_duration_is_refused() -> None:
    with pytest.raises(TypeError, match="stoping"):
        Settings(model_durations={"demo/1": {"stoping_hosting": 1.0}})
    with pytest.raises(ValueError, match="negative"):
        Settings().update(model_durations={"demo/1": {"deleting": -1.0}})


def test_settings_round_trip_through_a_dict() -> None:
    settings = Settings(model_durations={"demo/1": {"deleting": 3}})
    again = Settings.from_dict(settings.to_dict())
    assert again.model_durations == {"demo/1": {"deleting": 3.0}}
