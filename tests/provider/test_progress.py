"""The progress records: parsed and checked once, written back as they were read, every key saying when it was set."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_cdk_provider.errors import RejectedEvent
from lookoutvision_cdk_provider.identifiers import model_named_by
from lookoutvision_cdk_provider.progress import (
    FAILURE_KEPT,
    DatasetProgress,
    HandedOverWait,
    ModelProgress,
    ServiceGoneProgress,
)

ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/proj/3"
OTHER = "arn:aws:lookoutvision:us-east-1:123456789012:model/other/3"


def test_a_model_record_round_trips_and_writes_only_what_was_set() -> None:
    ref = model_named_by(ARN)
    assert ref is not None
    progress = ModelProgress(created=ref, start_model_answered=True, unanswered_create_versions=[ref])
    raw = progress.to_json()
    assert raw == {"CreateModelAnswered": ARN, "StartModelAnswered": True, "UnansweredCreateVersionsFound": [ARN]}
    assert ModelProgress.from_json(raw, "proj") == progress
    assert ModelProgress().to_json() == {}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"CreateModelAnswered": OTHER}, "not a model version of project proj"),
        ({"CreateModelAnswered": "not-an-arn"}, "not a model version"),
        ({"CreateModelAnswered": ARN.replace("/3", "/latest")}, "not a model version"),
        ({"UnansweredCreateVersionsFound": [ARN, OTHER]}, "outside project proj"),
        ({"UnansweredCreateVersionsFound": ARN}, "not a list"),
        ({"StartModelAnswered": "yes"}, "StartModelAnswered is not true or false"),
        ({"ReplacementFailed": 3}, "ReplacementFailed is not a text"),
        ({"FleetFirstCallAnswered": 1}, "FleetFirstCallAnswered is not true or false"),
        ({"DescribedGone": "true"}, "DescribedGone is not true or false"),
        ({"FleetFirstCallMade": True}, "unknown keys ['FleetFirstCallMade']"),
        ({"ModelArn": ARN}, "unknown keys ['ModelArn']"),
    ],
)
def test_a_model_record_out_of_bounds_is_rejected(raw: dict[str, Any], named: str) -> None:
    with pytest.raises(RejectedEvent) as caught:
        ModelProgress.from_json(raw, "proj")
    assert named in caught.value.message


def test_a_fleet_deletes_record_says_what_an_earlier_invocation_saw() -> None:
    progress = ModelProgress(fleet_first_call_answered=True, described_gone=True)
    raw = progress.to_json()
    assert raw == {"FleetFirstCallAnswered": True, "DescribedGone": True}
    assert ModelProgress.from_json(raw, "proj") == progress
    assert ModelProgress.from_json({"FleetFirstCallAnswered": True}, None).fleet_first_call_answered


def test_a_model_record_of_a_request_without_a_project_names_no_version() -> None:
    with pytest.raises(RejectedEvent):
        ModelProgress.from_json({"CreateModelAnswered": ARN}, None)
    assert ModelProgress.from_json({"CreateModelUnanswered": True}, None).create_model_unanswered


def test_a_long_failure_is_kept_short() -> None:
    progress = ModelProgress.from_json({"ReplacementFailed": "x" * 5000}, "proj")
    assert progress.replacement_failure is not None and len(progress.replacement_failure) == 300


def test_a_dataset_record_round_trips_and_rejects_what_it_does_not_know() -> None:
    progress = DatasetProgress(create_dataset_unanswered=True, old_dataset_gone=True)
    assert DatasetProgress.from_json(progress.to_json()) == progress
    assert progress.to_json() == {"CreateDatasetUnanswered": True, "OldDatasetGone": True}
    with pytest.raises(RejectedEvent):
        DatasetProgress.from_json({"CreateModelAnswered": ARN})
    with pytest.raises(RejectedEvent):
        DatasetProgress.from_json({"CreateDatasetAnswered": 1})


def test_the_end_of_support_answer_is_dated_between_the_request_start_and_now() -> None:
    assert ServiceGoneProgress.from_json({"FirstAnswered": 150.0}, 100.0, 200.0) == ServiceGoneProgress(150.0)
    assert ServiceGoneProgress.from_json({}, 100.0, 200.0) == ServiceGoneProgress()
    assert ServiceGoneProgress(150.0).to_json() == {"FirstAnswered": 150.0}
    for first in (99.0, 201.0, "150", True, float("nan")):
        with pytest.raises(RejectedEvent):
            ServiceGoneProgress.from_json({"FirstAnswered": first}, 100.0, 200.0)


def test_a_handed_over_wait_round_trips_writes_only_what_was_seen_and_is_kept_short() -> None:
    wait = HandedOverWait("model 1 of project proj", status="TRAINING")
    assert wait.to_json() == {"Subject": "model 1 of project proj", "Status": "TRAINING"}
    assert HandedOverWait.from_json(wait.to_json()) == wait
    assert HandedOverWait.from_json(None) is None
    long = HandedOverWait.from_json({"Subject": "", "Failing": "x" * 5000})
    assert long is not None and long.failing == "x" * FAILURE_KEPT
