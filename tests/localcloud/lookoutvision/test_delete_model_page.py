"""The DeleteModel API reference page, line by line, through boto3 (and raw HTTP where the page shows the wire)."""

from __future__ import annotations

import http.client
import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lookoutvision_localcloud.lookoutvision import Emulator, Fault, ValidationException
from tests.fixtures.emulator import FAST_TIME_SCALE, lookoutvision_client
from tests.localcloud.lookoutvision.arrange import listed_versions, status

EIGHT_HOURS = 8 * 3600.0


def unvalidated(emulator: Emulator) -> Any:
    """A client that sends whatever it is given: the emulator, not botocore, must refuse bad input."""
    return lookoutvision_client(emulator, parameter_validation=False)


def raw(emulator: Emulator, method: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body) if body else None
    finally:
        connection.close()


# "Deletes an Amazon Lookout for Vision model."
def test_deletes_a_model(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(emulator.settings.durations.deleting)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.describe_model(ProjectName=project, ModelVersion=version)


# "You can't delete a running model. To stop a running model, use the StopModel operation."
def test_cannot_delete_a_running_model_until_stopped(
    lookoutvision: Any, emulator: Emulator, hosted: tuple[str, str]
) -> None:
    project, version = hosted
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert status(lookoutvision, project, version) == "HOSTED"
    lookoutvision.stop_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(emulator.settings.durations.stopping_hosting)
    assert lookoutvision.delete_model(ProjectName=project, ModelVersion=version)["ModelArn"].endswith("/demo/1")


@pytest.mark.parametrize("state", ["TRAINING", "STARTING_HOSTING", "HOSTED", "STOPPING_HOSTING", "SYSTEM_UPDATING"])
def test_busy_model_cannot_be_deleted(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str], state: str
) -> None:
    project, version = trained
    emulator.backend.set_status(project, version, state)
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert caught.value.response["ResourceId"] == version
    assert caught.value.response["ResourceType"] == "MODEL"
    assert state in caught.value.response["Error"]["Message"]


# "It might take a few seconds to delete a model. To determine if a model has been deleted, call
#  ListModels and check if the version of the model (ModelVersion) is in the Models array."
def test_call_list_models_until_the_version_is_gone(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    # Service time runs: 300 s of deleting and lag take 0.3 s, time for several polls on a slow machine.
    emulator.configure(time_scale=FAST_TIME_SCALE, deleting=200.0, list_models_lag=100.0)
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    polls, deadline = 0, time.monotonic() + 5.0
    while version in listed_versions(lookoutvision, project):
        polls += 1
        assert time.monotonic() < deadline, "the version stayed listed"
        time.sleep(0.002)
    assert polls >= 1
    gone_at = emulator.clock.now()
    started = emulator.calls_of("DeleteModel")[0].time
    durations = emulator.settings.durations
    assert gone_at - started >= durations.deleting + durations.list_models_lag


def test_list_models_lags_behind_describe_model(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    durations = emulator.settings.durations
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert [m["Status"] for m in lookoutvision.list_models(ProjectName=project)["Models"]] == ["DELETING"]
    emulator.clock.advance(durations.deleting)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.describe_model(ProjectName=project, ModelVersion=version)
    assert listed_versions(lookoutvision, project) == [version]  # eventually consistent
    emulator.clock.advance(durations.list_models_lag)
    assert listed_versions(lookoutvision, project) == []


# "This operation requires permissions to perform the lookoutvision:DeleteModel operation."
def test_requires_permission(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="access_denied", operations={"DeleteModel"}))
    with pytest.raises(lookoutvision.exceptions.AccessDeniedException) as caught:
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "lookoutvision:DeleteModel" in caught.value.response["Error"]["Message"]
    assert status(lookoutvision, project, version) == "TRAINED"


# Request syntax: "DELETE /2020-11-20/projects/projectName/models/modelVersion HTTP/1.1
#                  X-Amzn-Client-Token: ClientToken"  — "The request does not have a request body."
# Response syntax: "HTTP/1.1 202  Content-type: application/json  {"ModelArn": "string"}"
def test_request_and_response_syntax_on_the_wire(emulator: Emulator, trained: tuple[str, str]) -> None:
    code, headers, body = raw(
        emulator, "DELETE", "/2020-11-20/projects/demo/models/1", {"X-Amzn-Client-Token": "token-1"}
    )
    assert code == 202
    assert headers["content-type"] == "application/json"
    assert body == {"ModelArn": "arn:aws:lookoutvision:us-east-1:123456789012:model/demo/1"}
    (call,) = emulator.calls_of("DeleteModel")
    assert call.client_token == "token-1"
    assert call.params == {"ProjectName": "demo", "ModelVersion": "1", "ClientToken": "token-1"}


# "If the action is successful, the service sends back an HTTP 202 response." ... "ModelArn"
def test_boto3_sees_202_and_the_model_arn(lookoutvision: Any, trained: tuple[str, str]) -> None:
    response = lookoutvision.delete_model(ProjectName="demo", ModelVersion="1")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert response["ModelArn"] == "arn:aws:lookoutvision:us-east-1:123456789012:model/demo/1"


# "ClientToken is an idempotency token that ensures a call to DeleteModel completes only once ...
#  safely retry your call to DeleteModel by using the same ClientToken parameter value."
def test_same_token_same_parameters_answers_the_first_result_without_acting_again(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    first = lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    emulator.clock.advance(1)
    # A new call would now be refused (the model is DELETING); the retry answers the first result.
    again = lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    assert again["ModelArn"] == first["ModelArn"]
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 202
    # Even after the model is gone, within the 8 hours.
    emulator.clock.advance(emulator.settings.durations.deleting + 3600)
    third = lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    assert third["ModelArn"] == first["ModelArn"]


def test_a_retry_after_a_lost_reply_does_not_delete_twice(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    emulator.faults.add(Fault(kind="drop_connection", operations={"DeleteModel"}, count=1, after_action=True))
    retrying = lookoutvision_client(emulator, retries={"total_max_attempts": 3, "mode": "standard"})
    response = retrying.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    assert response["ModelArn"].endswith(f"/{project}/{version}")
    calls = emulator.calls_of("DeleteModel")
    assert [c.status for c in calls] == [0, 202]
    assert {c.client_token for c in calls} == {"delete-1"}
    assert status(lookoutvision, project, version) == "DELETING"


# "If you don't supply a value for ClientToken, the AWS SDK you are using inserts a value for you."
def test_the_sdk_inserts_a_token(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    lookoutvision.delete_model(ProjectName="demo", ModelVersion="1")
    (call,) = emulator.calls_of("DeleteModel")
    assert call.client_token is not None
    assert re.fullmatch(r"[a-zA-Z0-9-]{1,64}", call.client_token)


# "An error occurs if the other input parameters are not the same as in the first request."
def test_same_token_other_parameters_is_an_error(
    lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]
) -> None:
    project, version = trained
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    with pytest.raises(lookoutvision.exceptions.ConflictException) as caught:
        lookoutvision.delete_model(ProjectName=project, ModelVersion="2", ClientToken="delete-1")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "ClientToken" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResourceType"] == "MODEL"


# "Using a different value for ClientToken is considered a new call to DeleteModel."
def test_a_different_token_is_a_new_call(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    with pytest.raises(lookoutvision.exceptions.ConflictException):  # the model is already DELETING
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-2")
    emulator.clock.advance(emulator.settings.durations.deleting)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-3")


# "An idempotency token is active for 8 hours."
def test_a_token_expires_after_eight_hours(lookoutvision: Any, emulator: Emulator, trained: tuple[str, str]) -> None:
    project, version = trained
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    emulator.clock.advance(EIGHT_HOURS - 1)
    assert lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")["ModelArn"]
    emulator.clock.advance(1)
    # Expired: the same token is a new call, and the model is long gone.
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.delete_model(ProjectName=project, ModelVersion=version, ClientToken="delete-1")
    # After expiry the token may even be used with other parameters.
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.delete_model(ProjectName=project, ModelVersion="7", ClientToken="delete-1")


# ClientToken "Length Constraints: Minimum length of 1. Maximum length of 64. Pattern: ^[a-zA-Z0-9-]+$"
# modelVersion "Length Constraints: Minimum length of 1. Maximum length of 10. Pattern: ([1-9][0-9]*)"
# projectName "Length Constraints: Minimum length of 1. Maximum length of 255. Pattern: [a-zA-Z0-9][a-zA-Z0-9_\-]*"
@pytest.mark.parametrize(
    ("params", "field", "constraint"),
    [
        ({"ClientToken": "a" * 65}, "ClientToken", "length less than or equal to 64"),
        ({"ClientToken": "has_underscore"}, "ClientToken", "regular expression pattern"),
        ({"ModelVersion": "0"}, "ModelVersion", "regular expression pattern"),
        ({"ModelVersion": "latest"}, "ModelVersion", "regular expression pattern"),
        ({"ModelVersion": "12345678901"}, "ModelVersion", "length less than or equal to 10"),
        ({"ProjectName": "-demo"}, "ProjectName", "regular expression pattern"),
        ({"ProjectName": "p" * 256}, "ProjectName", "length less than or equal to 255"),
    ],
)
def test_parameter_constraints(
    emulator: Emulator, trained: tuple[str, str], params: dict[str, str], field: str, constraint: str
) -> None:
    client = unvalidated(emulator)
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.delete_model(**{"ProjectName": "demo", "ModelVersion": "1", **params})
    message = caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"at '{field}'" in message
    assert constraint in message
    assert status(client, "demo", "1") == "TRAINED"


def test_limits_are_inclusive(emulator: Emulator, lookoutvision: Any) -> None:
    name = "p" * 255
    lookoutvision.create_project(ProjectName=name)
    lookoutvision.create_dataset(ProjectName=name, DatasetType="train")
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.delete_model(ProjectName=name, ModelVersion="9" * 10, ClientToken="t" * 64)


def test_an_empty_client_token_is_refused(emulator: Emulator, trained: tuple[str, str]) -> None:
    code, headers, body = raw(emulator, "DELETE", "/2020-11-20/projects/demo/models/1", {"X-Amzn-Client-Token": ""})
    assert (code, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert "ClientToken" in body["message"]


def test_project_name_and_model_version_are_required(emulator: Emulator) -> None:
    # Both are URI labels: a request without them does not reach DeleteModel at all.
    code, _, _ = raw(emulator, "DELETE", "/2020-11-20/projects/demo/models/")
    assert code == 404
    with pytest.raises(
        ValidationException, match="at 'ModelVersion' failed to satisfy constraint: Member must not be null"
    ):
        emulator.backend.invoke("DeleteModel", {"ProjectName": "demo"})


def _nothing(emulator: Emulator) -> None:
    pass


def _hosted(emulator: Emulator) -> None:
    emulator.backend.set_status("demo", "1", "HOSTED")


def _fault(kind: str) -> Any:
    def arrange(emulator: Emulator) -> None:
        emulator.faults.add(Fault(kind=kind, operations={"DeleteModel"}))  # type: ignore[arg-type]

    return arrange


def _quota(emulator: Emulator) -> None:
    emulator.configure(requests_per_second=1.0)
    unvalidated(emulator).delete_model(ProjectName="demo", ModelVersion="1")


# Errors: each listed error with its HTTP status code.
@pytest.mark.parametrize(
    ("arrange", "params", "code", "http_status"),
    [
        (_fault("access_denied"), {}, "AccessDeniedException", 403),
        (_hosted, {}, "ConflictException", 409),
        (_fault("internal_error"), {}, "InternalServerException", 500),
        (_nothing, {"ProjectName": "nope"}, "ResourceNotFoundException", 404),
        (_nothing, {"ModelVersion": "42"}, "ResourceNotFoundException", 404),
        (_quota, {}, "ThrottlingException", 429),
        (_fault("throttling"), {}, "ThrottlingException", 429),
        (_nothing, {"ProjectName": "bad name"}, "ValidationException", 400),
    ],
)
def test_each_listed_error_with_its_http_status(
    emulator: Emulator, trained: tuple[str, str], arrange: Any, params: dict[str, str], code: str, http_status: int
) -> None:
    client = unvalidated(emulator)
    arrange(emulator)
    with pytest.raises(ClientError) as caught:
        client.delete_model(**{"ProjectName": "demo", "ModelVersion": "1", **params})
    error = caught.value
    assert isinstance(error, getattr(client.exceptions, code))
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == http_status
    assert emulator.calls_of("DeleteModel")[-1].status == http_status
    assert emulator.calls_of("DeleteModel")[-1].error_code == code


# ValidationException: "... or if a pagination token is invalid."
def test_an_invalid_pagination_token_is_a_validation_error(lookoutvision: Any, trained: tuple[str, str]) -> None:
    with pytest.raises(lookoutvision.exceptions.ValidationException) as caught:
        lookoutvision.list_models(ProjectName="demo", NextToken="bm90LWEtdG9rZW4=")
    assert "pagination token" in caught.value.response["Error"]["Message"]
