"""Every state transition of models and datasets, driven through boto3 and service time."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from lookoutvision_localcloud.lookoutvision import Emulator
from lookoutvision_localcloud.sample_dataset import sample_image
from tests.localcloud.lookoutvision.arrange import (
    MANIFEST,
    OUTPUT_CONFIG,
    listed_versions,
    make_model,
    make_project,
    status,
)


def test_create_project_answers_its_metadata(lookoutvision: Any, emulator: Emulator) -> None:
    meta = lookoutvision.create_project(ProjectName="demo")["ProjectMetadata"]
    assert meta["ProjectArn"] == "arn:aws:lookoutvision:us-east-1:123456789012:project/demo"
    assert meta["ProjectName"] == "demo"
    assert abs(meta["CreationTimestamp"].timestamp() - emulator.clock.now()) < 60
    described = lookoutvision.describe_project(ProjectName="demo")["ProjectDescription"]
    assert described["ProjectArn"] == meta["ProjectArn"]
    assert described["Datasets"] == []


def test_create_project_twice_is_a_conflict(lookoutvision: Any) -> None:
    lookoutvision.create_project(ProjectName="demo")
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.create_project(ProjectName="demo")
    assert caught.value.response["ResourceType"] == "PROJECT"
    assert caught.value.response["ResourceId"] == "demo"


def test_dataset_with_a_source_is_created_asynchronously(lookoutvision: Any, emulator: Emulator) -> None:
    lookoutvision.create_project(ProjectName="demo")
    created = lookoutvision.create_dataset(ProjectName="demo", DatasetType="train", DatasetSource=MANIFEST)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["DatasetMetadata"]["Status"] == "CREATE_IN_PROGRESS"
    emulator.clock.advance(emulator.settings.durations.creating_dataset)
    described = lookoutvision.describe_dataset(ProjectName="demo", DatasetType="train")["DatasetDescription"]
    assert described["Status"] == "CREATE_COMPLETE"
    assert "ImageStats" not in described  # run alone, the emulator has no S3 and reads no manifest
    datasets = lookoutvision.describe_project(ProjectName="demo")["ProjectDescription"]["Datasets"]
    assert [(d["DatasetType"], d["Status"]) for d in datasets] == [("train", "CREATE_COMPLETE")]


def test_dataset_without_a_source_is_created_at_once(lookoutvision: Any) -> None:
    lookoutvision.create_project(ProjectName="demo")
    created = lookoutvision.create_dataset(ProjectName="demo", DatasetType="test")
    assert created["DatasetMetadata"]["Status"] == "CREATE_COMPLETE"
    described = lookoutvision.describe_dataset(ProjectName="demo", DatasetType="test")["DatasetDescription"]
    assert described["ImageStats"] == {"Total": 0, "Labeled": 0, "Normal": 0, "Anomaly": 0}


def test_delete_dataset_goes_through_delete_in_progress(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision, datasets=("train", "test"))
    assert (
        lookoutvision.delete_dataset(ProjectName="demo", DatasetType="test")["ResponseMetadata"]["HTTPStatusCode"]
        == 202
    )
    described = lookoutvision.describe_dataset(ProjectName="demo", DatasetType="test")["DatasetDescription"]
    assert described["Status"] == "DELETE_IN_PROGRESS"
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.delete_dataset(ProjectName="demo", DatasetType="test")
    emulator.clock.advance(emulator.settings.durations.deleting_dataset)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as caught:
        lookoutvision.describe_dataset(ProjectName="demo", DatasetType="test")
    assert caught.value.response["ResourceType"] == "DATASET"


def test_training_ends_trained_with_performance(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    created = lookoutvision.create_model(ProjectName="demo", OutputConfig=OUTPUT_CONFIG, Description="first")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    meta = created["ModelMetadata"]
    assert (meta["ModelVersion"], meta["Status"]) == ("1", "TRAINING")
    assert meta["ModelArn"] == "arn:aws:lookoutvision:us-east-1:123456789012:model/demo/1"
    emulator.clock.advance(emulator.settings.durations.training - 1)
    assert status(lookoutvision, "demo", "1") == "TRAINING"
    emulator.clock.advance(1)
    model = lookoutvision.describe_model(ProjectName="demo", ModelVersion="1")["ModelDescription"]
    assert model["Status"] == "TRAINED"
    assert set(model["Performance"]) == {"F1Score", "Recall", "Precision"}
    assert model["EvaluationManifest"]["Bucket"] == "lookoutvision-output"
    assert model["EvaluationResult"]["Key"].startswith("runs/")
    assert model["EvaluationEndTimestamp"] > model["CreationTimestamp"]
    assert model["Description"] == "first"
    assert model["OutputConfig"] == OUTPUT_CONFIG


def test_training_can_fail_with_a_status_message(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(training_outcome="TRAINING_FAILED")
    make_project(lookoutvision)
    version = make_model(lookoutvision)
    emulator.clock.advance(emulator.settings.durations.training)
    model = lookoutvision.describe_model(ProjectName="demo", ModelVersion=version)["ModelDescription"]
    assert model["Status"] == "TRAINING_FAILED"
    assert "Training failed" in model["StatusMessage"]
    assert "Performance" not in model


def test_create_model_without_a_train_dataset_is_a_validation_error(lookoutvision: Any) -> None:
    make_project(lookoutvision, datasets=("test",))
    with pytest.raises(lookoutvision.exceptions.ValidationException) as caught:
        make_model(lookoutvision)
    assert "train dataset" in caught.value.response["Error"]["Message"]


def test_create_model_while_the_dataset_is_being_created_is_a_conflict(lookoutvision: Any) -> None:
    lookoutvision.create_project(ProjectName="demo")
    lookoutvision.create_dataset(ProjectName="demo", DatasetType="train", DatasetSource=MANIFEST)
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        make_model(lookoutvision)
    assert caught.value.response["ResourceType"] == "DATASET"


def test_model_versions_count_up_per_project_and_are_not_reused(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision, "a")
    make_project(lookoutvision, "b")
    assert [make_model(lookoutvision, "a"), make_model(lookoutvision, "a"), make_model(lookoutvision, "b")] == [
        "1",
        "2",
        "1",
    ]
    emulator.clock.advance(emulator.settings.durations.training)
    lookoutvision.delete_model(ProjectName="a", ModelVersion="2")
    emulator.clock.advance(emulator.settings.durations.deleting)
    assert make_model(lookoutvision, "a") == "3"


def test_start_and_stop_hosting(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    durations = emulator.settings.durations
    started = lookoutvision.start_model(
        ProjectName=project, ModelVersion=version, MinInferenceUnits=2, MaxInferenceUnits=3
    )
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert started["Status"] == "STARTING_HOSTING"
    emulator.clock.advance(durations.starting_hosting)
    model = lookoutvision.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]
    assert (model["Status"], model["MinInferenceUnits"], model["MaxInferenceUnits"]) == ("HOSTED", 2, 3)
    stopped = lookoutvision.stop_model(ProjectName=project, ModelVersion=version)
    assert (stopped["ResponseMetadata"]["HTTPStatusCode"], stopped["Status"]) == (202, "STOPPING_HOSTING")
    emulator.clock.advance(durations.stopping_hosting)
    assert status(lookoutvision, project, version) == "TRAINED"


def test_hosting_can_fail(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    emulator.configure(hosting_outcome="HOSTING_FAILED")
    project, version = trained
    lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1)
    emulator.clock.advance(emulator.settings.durations.starting_hosting)
    assert status(lookoutvision, project, version) == "HOSTING_FAILED"
    # A failed hosting can be started again, or deleted.
    emulator.configure(hosting_outcome="HOSTED")
    lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1)
    emulator.clock.advance(emulator.settings.durations.starting_hosting)
    assert status(lookoutvision, project, version) == "HOSTED"


@pytest.mark.parametrize("state", ["TRAINING", "STARTING_HOSTING", "HOSTED", "STOPPING_HOSTING", "DELETING"])
def test_start_model_outside_trained_is_a_conflict(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1)
    assert (caught.value.response["ResourceType"], caught.value.response["ResourceId"]) == ("MODEL", version)


@pytest.mark.parametrize("state", ["TRAINING", "TRAINED", "STARTING_HOSTING", "STOPPING_HOSTING", "HOSTING_FAILED"])
def test_stop_model_outside_hosted_is_a_conflict(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.stop_model(ProjectName=project, ModelVersion=version)


def test_system_updating_returns_to_hosted(lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]) -> None:
    project, version = hosted
    emulator.backend.set_status(project, version, "SYSTEM_UPDATING")
    assert status(lookoutvision, project, version) == "SYSTEM_UPDATING"
    emulator.clock.advance(emulator.settings.durations.system_updating)
    assert status(lookoutvision, project, version) == "HOSTED"


@pytest.mark.parametrize("state", ["TRAINED", "TRAINING_FAILED", "HOSTING_FAILED"])
def test_delete_model_from_a_deletable_state(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert status(lookoutvision, project, version) == "DELETING"
    emulator.clock.advance(emulator.settings.durations.deleting)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as caught:
        lookoutvision.describe_model(ProjectName=project, ModelVersion=version)
    assert caught.value.response["ResourceType"] == "MODEL"


def test_hosted_model_is_stopped_then_deleted(lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]) -> None:
    project, version = hosted
    durations = emulator.settings.durations
    lookoutvision.stop_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(durations.stopping_hosting)
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(durations.deleting + durations.list_models_lag)
    assert listed_versions(lookoutvision, project) == []
    assert [c.operation for c in emulator.calls if c.operation in ("StopModel", "DeleteModel")] == [
        "StopModel",
        "DeleteModel",
    ]


def test_delete_project_with_a_dataset_or_model_is_a_conflict(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    durations = emulator.settings.durations
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.delete_project(ProjectName=project)
    assert caught.value.response["ResourceType"] == "PROJECT"
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    lookoutvision.delete_dataset(ProjectName=project, DatasetType="train")
    emulator.clock.advance(durations.deleting)
    # Gone, but ListModels still lists it: the project still counts it.
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.delete_project(ProjectName=project)
    emulator.clock.advance(durations.list_models_lag)
    deleted = lookoutvision.delete_project(ProjectName=project)
    assert deleted["ProjectArn"].endswith(":project/demo")
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as missing:
        lookoutvision.describe_project(ProjectName=project)
    assert (missing.value.response["ResourceType"], missing.value.response["ResourceId"]) == ("PROJECT", "demo")


def test_delete_dataset_while_a_model_trains_is_a_conflict(lookoutvision: Any) -> None:
    make_project(lookoutvision)
    make_model(lookoutvision)
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.delete_dataset(ProjectName="demo", DatasetType="train")


def test_latest_names_the_newest_version(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    make_model(lookoutvision)
    make_model(lookoutvision)
    described = lookoutvision.describe_model(ProjectName="demo", ModelVersion="latest")["ModelDescription"]
    assert described["ModelVersion"] == "2"


# ListModels: "Recent calls to CreateModel might take a while to appear in the response."
def test_a_new_version_is_listed_only_after_a_lag_while_describe_model_answers_at_once(
    lookoutvision: Any, emulator: Emulator
) -> None:
    lag = emulator.settings.durations.list_models_lag_after_create
    assert lag > 0, "on by default"
    make_project(lookoutvision)
    version = make_model(lookoutvision)
    assert status(lookoutvision, "demo", version) == "TRAINING"
    latest = lookoutvision.describe_model(ProjectName="demo", ModelVersion="latest")["ModelDescription"]
    assert latest["ModelVersion"] == version
    assert listed_versions(lookoutvision, "demo") == []
    emulator.clock.advance(lag - 0.1)
    assert listed_versions(lookoutvision, "demo") == []
    emulator.clock.advance(0.1)
    assert listed_versions(lookoutvision, "demo") == [version]


def test_a_version_not_listed_yet_keeps_its_project(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    make_model(lookoutvision)
    assert listed_versions(lookoutvision, "demo") == []
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.delete_project(ProjectName="demo")
    assert "model version 1" in caught.value.response["Error"]["Message"]


def test_the_lag_after_create_is_per_version(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    emulator.configure(model_durations={"demo/2": {"list_models_lag_after_create": 50.0}})
    first, second = make_model(lookoutvision), make_model(lookoutvision)
    emulator.clock.advance(emulator.settings.durations.list_models_lag_after_create)
    assert listed_versions(lookoutvision, "demo") == [first]
    emulator.clock.advance(50.0)
    assert listed_versions(lookoutvision, "demo") == [first, second]


def test_hold_status_keeps_a_model_stuck_until_released(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    emulator.backend.hold_status("demo", "1", "TRAINING")
    version = make_model(lookoutvision)
    emulator.clock.advance(10 * emulator.settings.durations.training)
    assert status(lookoutvision, "demo", version) == "TRAINING"
    emulator.backend.release_status("demo", version)
    assert status(lookoutvision, "demo", version) == "TRAINED"


def test_hold_in_deleting_keeps_the_version_listed(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    emulator.backend.hold_status(project, version, "DELETING")
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(100 * emulator.settings.durations.deleting)
    assert status(lookoutvision, project, version) == "DELETING"
    assert listed_versions(lookoutvision, project) == [version]
    emulator.backend.release_status(project, version, "DELETING")
    emulator.clock.advance(emulator.settings.durations.list_models_lag)
    assert listed_versions(lookoutvision, project) == []


@pytest.mark.parametrize(
    "state",
    [
        "TRAINING",
        "TRAINED",
        "TRAINING_FAILED",
        "STARTING_HOSTING",
        "HOSTED",
        "HOSTING_FAILED",
        "STOPPING_HOSTING",
        "SYSTEM_UPDATING",
        "DELETING",
    ],
)
def test_set_status_puts_a_model_in_each_of_the_nine_states(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    assert status(lookoutvision, project, version) == state
    assert [m["Status"] for m in lookoutvision.list_models(ProjectName=project)["Models"]] == [state]


# -- DetectAnomalies ----------------------------------------------------------------------------


def detect(client: Any, project: str, version: str, body: bytes, content_type: str = "image/png") -> dict[str, Any]:
    answer = client.detect_anomalies(ProjectName=project, ModelVersion=version, ContentType=content_type, Body=body)
    result: dict[str, Any] = answer["DetectAnomalyResult"]
    return result


def test_a_hosted_model_tells_a_normal_image_from_an_anomalous_one(
    lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]
) -> None:
    project, version = hosted
    normal = detect(lookoutvision, project, version, sample_image(40, anomalous=False))
    anomalous = detect(lookoutvision, project, "latest", sample_image(41, anomalous=True))
    assert normal == {"Source": {"Type": "direct"}, "IsAnomalous": False, "Confidence": 1.0}
    assert anomalous == {"Source": {"Type": "direct"}, "IsAnomalous": True, "Confidence": 0.7917}
    [call, _] = emulator.calls_of("DetectAnomalies")
    assert call.params["Body"] == f"<{len(sample_image(40, anomalous=False))} bytes>"  # recorded by its length
    assert call.params["ContentType"] == "image/png"


@pytest.mark.parametrize(
    "state", ["TRAINING", "TRAINED", "STARTING_HOSTING", "STOPPING_HOSTING", "HOSTING_FAILED", "SYSTEM_UPDATING"]
)
def test_only_a_hosted_model_detects_anomalies(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        detect(lookoutvision, project, version, sample_image(0, anomalous=False))
    assert caught.value.response["Error"]["Message"] == (
        f"Model version 1 of project demo is {state}, not HOSTED: start it (StartModel) and wait until it is HOSTED "
        "to detect anomalies with it."
    )
    assert (caught.value.response["ResourceType"], caught.value.response["ResourceId"]) == ("MODEL", version)


def test_a_project_or_version_that_does_not_exist_is_not_found(lookoutvision: Any, hosted: tuple[str, str]) -> None:
    for project, version, resource in (("nothing", "1", ("PROJECT", "nothing")), ("demo", "7", ("MODEL", "7"))):
        with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as caught:
            detect(lookoutvision, project, version, sample_image(0, anomalous=False))
        assert (caught.value.response["ResourceType"], caught.value.response["ResourceId"]) == resource


def test_an_image_the_service_refuses_is_a_validation_error_before_the_model_is_looked_at(lookoutvision: Any) -> None:
    for body, content_type, message in (
        (sample_image(0, anomalous=False), "image/gif", "ContentType 'image/gif' is not one DetectAnomalies accepts"),
        (b"GIF89a", "image/png", "Body is not an image the service can analyze: it is not a PNG or JPEG image."),
    ):
        with pytest.raises(lookoutvision.exceptions.ValidationException) as caught:
            detect(lookoutvision, "no-such-project", "1", body, content_type)
        assert message in caught.value.response["Error"]["Message"]


def test_without_s3_the_training_images_dimensions_are_unknown_and_any_size_in_quota_is_analyzed(
    lookoutvision: Any, hosted: tuple[str, str]
) -> None:
    image = Image.new("L", (300, 200), 200)
    body = io.BytesIO()
    image.save(body, format="JPEG")
    assert detect(lookoutvision, *hosted, body.getvalue(), "image/jpeg")["IsAnomalous"] is False


def test_the_detection_outcome_setting_fixes_the_answer(
    lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]
) -> None:
    emulator.configure(detection_outcome="anomalous")
    assert detect(lookoutvision, *hosted, sample_image(0, anomalous=False))["IsAnomalous"] is True
    emulator.configure(detection_outcome="normal")
    assert detect(lookoutvision, *hosted, sample_image(0, anomalous=True)) == {
        "Source": {"Type": "direct"},
        "IsAnomalous": False,
        "Confidence": 1.0,
    }
    with pytest.raises(ValueError, match="detection_outcome must be one of pixels, normal, anomalous, not 'maybe'"):
        emulator.configure(detection_outcome="maybe")


def test_detect_anomalies_is_outside_the_per_api_quota(
    lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]
) -> None:
    emulator.configure(requests_per_second=1.0)
    image = sample_image(0, anomalous=False)
    for _ in range(4):  # service time stands still: four calls in the same instant
        detect(lookoutvision, *hosted, image)
    lookoutvision.describe_model(ProjectName=hosted[0], ModelVersion=hosted[1])
    with pytest.raises(lookoutvision.exceptions.ThrottlingException):
        lookoutvision.describe_model(ProjectName=hosted[0], ModelVersion=hosted[1])
