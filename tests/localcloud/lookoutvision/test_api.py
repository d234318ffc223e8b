"""Pagination, tags, ClientToken on every operation, quotas and input checks — through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.emulator import lookoutvision_client
from tests.localcloud.lookoutvision.arrange import OUTPUT_CONFIG, listed_versions, make_model, make_project


def test_list_models_paginates(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(list_models_lag_after_create=0.0)  # every version listed at once
    make_project(lookoutvision)
    for _ in range(5):
        make_model(lookoutvision)
    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = lookoutvision.list_models(ProjectName="demo", MaxResults=2, **kwargs)
        pages.append([m["ModelVersion"] for m in page["Models"]])
        token = page.get("NextToken")
        if token is None:
            break
    assert pages == [["1", "2"], ["3", "4"], ["5"]]
    assert listed_versions(lookoutvision, "demo") == ["1", "2", "3", "4", "5"]


def test_pages_do_not_skip_when_a_version_disappears(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(list_models_lag_after_create=0.0)
    make_project(lookoutvision)
    for _ in range(4):
        make_model(lookoutvision)
    emulator.configure(list_models_lag=0.0)
    first = lookoutvision.list_models(ProjectName="demo", MaxResults=2)
    emulator.clock.advance(emulator.settings.durations.training)
    lookoutvision.delete_model(ProjectName="demo", ModelVersion="1")
    emulator.clock.advance(emulator.settings.durations.deleting)
    second = lookoutvision.list_models(ProjectName="demo", MaxResults=2, NextToken=first["NextToken"])
    assert [m["ModelVersion"] for m in second["Models"]] == ["3", "4"]


def test_list_projects_paginates(lookoutvision: Any) -> None:
    for name in ("c", "a", "b"):
        lookoutvision.create_project(ProjectName=name)
    first = lookoutvision.list_projects(MaxResults=2)
    assert [p["ProjectName"] for p in first["Projects"]] == ["a", "b"]
    second = lookoutvision.list_projects(MaxResults=2, NextToken=first["NextToken"])
    assert [p["ProjectName"] for p in second["Projects"]] == ["c"]
    assert "NextToken" not in second


@pytest.mark.parametrize("max_results", [0, 101])
def test_max_results_is_between_1_and_100(emulator: Emulator, max_results: int) -> None:
    client = lookoutvision_client(emulator, parameter_validation=False)
    make_project(client)
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.list_models(ProjectName="demo", MaxResults=max_results)
    assert "'MaxResults'" in caught.value.response["Error"]["Message"]


def test_a_token_from_another_listing_is_invalid(lookoutvision: Any) -> None:
    for name in ("a", "b"):
        make_project(lookoutvision, name)
    token = lookoutvision.list_projects(MaxResults=1)["NextToken"]
    with pytest.raises(lookoutvision.exceptions.ValidationException):
        lookoutvision.list_models(ProjectName="a", NextToken=token)


def test_list_models_of_an_unknown_project(lookoutvision: Any) -> None:
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as caught:
        lookoutvision.list_models(ProjectName="nope")
    assert (caught.value.response["ResourceId"], caught.value.response["ResourceType"]) == ("nope", "PROJECT")


def test_model_tags(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    make_model(lookoutvision, Tags=[{"Key": "team", "Value": "vision"}])
    arn = emulator.backend.model_arn("demo", "1")
    assert lookoutvision.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "vision"}]
    lookoutvision.tag_resource(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "test"}])
    lookoutvision.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert lookoutvision.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "test"}]


def test_project_tags(lookoutvision: Any, emulator: Emulator) -> None:
    lookoutvision.create_project(ProjectName="demo")
    arn = emulator.backend.project_arn("demo")
    lookoutvision.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert lookoutvision.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_tags_of_unknown_and_malformed_arns(lookoutvision: Any, emulator: Emulator) -> None:
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException) as caught:
        lookoutvision.list_tags_for_resource(ResourceArn=emulator.backend.model_arn("demo", "1"))
    assert caught.value.response["ResourceType"] == "MODEL"
    with pytest.raises(lookoutvision.exceptions.ValidationException):
        lookoutvision.list_tags_for_resource(ResourceArn="arn:aws:s3:::bucket")


def test_create_project_token_replays_without_a_second_project(lookoutvision: Any, emulator: Emulator) -> None:
    first = lookoutvision.create_project(ProjectName="demo", ClientToken="p-1")
    again = lookoutvision.create_project(ProjectName="demo", ClientToken="p-1")
    assert again["ProjectMetadata"] == first["ProjectMetadata"]
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.create_project(ProjectName="other", ClientToken="p-1")
    assert [p["ProjectName"] for p in lookoutvision.list_projects()["Projects"]] == ["demo"]


def test_create_model_token_trains_once(lookoutvision: Any, emulator: Emulator) -> None:
    make_project(lookoutvision)
    first = lookoutvision.create_model(ProjectName="demo", OutputConfig=OUTPUT_CONFIG, ClientToken="m-1")
    again = lookoutvision.create_model(ProjectName="demo", OutputConfig=OUTPUT_CONFIG, ClientToken="m-1")
    assert again["ModelMetadata"]["ModelVersion"] == first["ModelMetadata"]["ModelVersion"] == "1"
    emulator.clock.advance(emulator.settings.durations.list_models_lag_after_create)
    assert listed_versions(lookoutvision, "demo") == ["1"]
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.create_model(
            ProjectName="demo", OutputConfig=OUTPUT_CONFIG, Description="changed", ClientToken="m-1"
        )
    assert caught.value.response["ResourceType"] == "MODEL"


def test_start_and_stop_tokens_replay(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    first = lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1, ClientToken="s")
    again = lookoutvision.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1, ClientToken="s")
    assert again["Status"] == first["Status"] == "STARTING_HOSTING"
    emulator.clock.advance(emulator.settings.durations.starting_hosting)
    lookoutvision.stop_model(ProjectName=project, ModelVersion=version, ClientToken="x")
    assert lookoutvision.stop_model(ProjectName=project, ModelVersion=version, ClientToken="x")["Status"] == (
        "STOPPING_HOSTING"
    )


def test_dataset_tokens_replay(lookoutvision: Any) -> None:
    lookoutvision.create_project(ProjectName="demo")
    lookoutvision.create_dataset(ProjectName="demo", DatasetType="train", ClientToken="d")
    lookoutvision.create_dataset(ProjectName="demo", DatasetType="train", ClientToken="d")
    lookoutvision.delete_dataset(ProjectName="demo", DatasetType="train", ClientToken="e")
    lookoutvision.delete_dataset(ProjectName="demo", DatasetType="train", ClientToken="e")
    with pytest.raises(lookoutvision.exceptions.ConflictException):
        lookoutvision.create_dataset(ProjectName="demo", DatasetType="test", ClientToken="d")


def test_delete_project_token_replays(lookoutvision: Any) -> None:
    lookoutvision.create_project(ProjectName="demo")
    first = lookoutvision.delete_project(ProjectName="demo", ClientToken="gone")
    again = lookoutvision.delete_project(ProjectName="demo", ClientToken="gone")
    assert again["ProjectArn"] == first["ProjectArn"]
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.delete_project(ProjectName="demo", ClientToken="new")


def test_project_quota(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(max_projects=1)
    lookoutvision.create_project(ProjectName="one")
    with pytest.raises(lookoutvision.exceptions.ServiceQuotaExceededException) as caught:
        lookoutvision.create_project(ProjectName="two")
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert (response["QuotaCode"], response["ServiceCode"]) == ("projects-per-account", "lookoutvision")


def test_model_quota(lookoutvision: Any, emulator: Emulator) -> None:
    emulator.configure(max_models_per_project=1)
    make_project(lookoutvision)
    make_model(lookoutvision)
    with pytest.raises(lookoutvision.exceptions.ServiceQuotaExceededException):
        make_model(lookoutvision)


def test_max_inference_units_below_min_is_refused(lookoutvision: Any, trained: tuple[str, str]) -> None:
    with pytest.raises(lookoutvision.exceptions.ValidationException):
        lookoutvision.start_model(ProjectName="demo", ModelVersion="1", MinInferenceUnits=3, MaxInferenceUnits=2)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"Description": "has spaces"}, "Description"),
        ({"OutputConfig": {"S3Location": {"Bucket": "b"}}}, "OutputConfig.S3Location.Bucket"),
        ({"KmsKeyId": "-bad"}, "KmsKeyId"),
        ({"Tags": [{"Key": "bad<", "Value": "v"}]}, "Tags.1.Key"),
    ],
)
def test_create_model_input_is_checked_against_the_model(emulator: Emulator, kwargs: dict, field: str) -> None:
    client = lookoutvision_client(emulator, parameter_validation=False)
    make_project(client)
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.create_model(**{"ProjectName": "demo", "OutputConfig": OUTPUT_CONFIG, **kwargs})
    assert f"at '{field}'" in caught.value.response["Error"]["Message"]
    assert client.list_models(ProjectName="demo")["Models"] == []
