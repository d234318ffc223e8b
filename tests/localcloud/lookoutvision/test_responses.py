"""Raw HTTP: the REST-JSON wire format the emulator answers, pinned byte-near."""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
from typing import Any
from urllib.parse import quote

import pytest

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from lookoutvision_localcloud.lookoutvision.exceptions import MODELED_ERRORS
from lookoutvision_localcloud.sample_dataset import sample_image


def request(
    emulator: Emulator, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    payload = body if isinstance(body, bytes | None) else json.dumps(body).encode()
    try:
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(raw) if raw else None
    finally:
        connection.close()


def test_create_project_reply(emulator: Emulator) -> None:
    code, headers, body = request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"})
    assert code == 200
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"]
    assert set(body) == {"ProjectMetadata"}
    # Timestamps are epoch seconds (numbers), as rest-json bodies carry them.
    assert isinstance(body["ProjectMetadata"]["CreationTimestamp"], int | float)
    assert abs(body["ProjectMetadata"]["CreationTimestamp"] - emulator.clock.now()) < 5


def test_modeled_response_codes(emulator: Emulator) -> None:
    request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"})
    code, _, body = request(emulator, "POST", "/2020-11-20/projects/demo/datasets", {"DatasetType": "train"})
    assert code == servicemodel.operation_model("CreateDataset").http["responseCode"] == 202
    code, _, body = request(
        emulator, "POST", "/2020-11-20/projects/demo/models", {"OutputConfig": {"S3Location": {"Bucket": "out"}}}
    )
    assert code == 202
    assert body["ModelMetadata"]["Status"] == "TRAINING"


def test_error_reply_carries_type_header_message_and_members(emulator: Emulator) -> None:
    code, headers, body = request(emulator, "GET", "/2020-11-20/projects/missing/models/3")
    assert code == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["x-amzn-requestid"]
    assert body["message"] == body["Message"]
    assert body["ResourceId"] == "missing"
    assert body["ResourceType"] == "PROJECT"


def test_throttling_reply_carries_retry_after_header(emulator: Emulator) -> None:
    emulator.faults.add(Fault(kind="throttling", count=1, retry_after_seconds=7))
    code, headers, body = request(emulator, "GET", "/2020-11-20/projects")
    assert code == 429
    assert headers["retry-after"] == "7"
    assert headers["x-amzn-errortype"] == "ThrottlingException"
    assert body["QuotaCode"] == "ListProjects-requests-per-second"
    assert "RetryAfterSeconds" not in body  # a header member, not a body member


def test_validation_message_names_the_field(emulator: Emulator) -> None:
    code, headers, body = request(emulator, "GET", "/2020-11-20/projects?maxResults=101")
    assert (code, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert body["message"].startswith("1 validation error detected: Value 101 at 'MaxResults'")


def test_a_query_value_of_the_wrong_type_is_a_validation_error(emulator: Emulator) -> None:
    code, _, body = request(emulator, "GET", "/2020-11-20/projects?maxResults=many")
    assert code == 400
    assert "at 'MaxResults' failed to satisfy constraint: Member must be of type integer" in body["message"]


def test_an_unknown_body_member_is_refused(emulator: Emulator) -> None:
    code, _, body = request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo", "Colour": "red"})
    assert code == 400
    assert "'Colour'" in body["message"]


def test_malformed_json_is_a_serialization_error(emulator: Emulator) -> None:
    code, headers, _ = request(emulator, "POST", "/2020-11-20/projects", b"{not json")
    assert (code, headers["x-amzn-errortype"]) == (400, "SerializationException")


def test_an_unknown_route(emulator: Emulator) -> None:
    code, headers, _ = request(emulator, "GET", "/2020-11-20/widgets")
    assert (code, headers["x-amzn-errortype"]) == (404, "UnknownOperationException")
    assert emulator.calls[-1].operation == "UnknownOperation"


def test_an_operation_the_emulator_does_not_implement(emulator: Emulator) -> None:
    code, headers, _ = request(emulator, "GET", "/2020-11-20/projects/demo/modelpackagingjobs")
    assert (code, headers["x-amzn-errortype"]) == (501, "NotImplemented")


def test_detect_anomalies_reads_the_image_from_the_body_and_its_type_from_content_type(emulator: Emulator) -> None:
    request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"})
    request(emulator, "POST", "/2020-11-20/projects/demo/datasets", {"DatasetType": "train"})
    request(emulator, "POST", "/2020-11-20/projects/demo/models", {"OutputConfig": {"S3Location": {"Bucket": "out"}}})
    emulator.backend.set_status("demo", "1", "HOSTED")
    path = "/2020-11-20/projects/demo/models/1/detect"
    image = sample_image(0, anomalous=True)
    code, headers, body = request(emulator, "POST", path, image, {"Content-Type": "image/png"})
    assert (code, headers["content-type"]) == (200, "application/json")
    assert body == {"DetectAnomalyResult": {"Source": {"Type": "direct"}, "IsAnomalous": True, "Confidence": 0.7917}}
    code, headers, body = request(emulator, "POST", path, image)  # the helper's application/json
    assert (code, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert body["message"].startswith("ContentType 'application/json' is not one DetectAnomalies accepts")


def test_the_resource_arn_label_is_percent_decoded(emulator: Emulator) -> None:
    request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"})
    arn = emulator.backend.project_arn("demo")
    path = "/2020-11-20/tags/" + quote(arn, safe="")
    code, _, _ = request(emulator, "POST", path, {"Tags": [{"Key": "team", "Value": "vision"}]})
    assert code == 200
    code, _, body = request(emulator, "GET", path)
    assert body == {"Tags": [{"Key": "team", "Value": "vision"}]}
    # UntagResource reads its keys from the repeated tagKeys query parameter.
    code, _, _ = request(emulator, "DELETE", path + "?tagKeys=team&tagKeys=other")
    assert code == 200
    assert request(emulator, "GET", path)[2] == {"Tags": []}


def test_the_client_token_header_is_read(emulator: Emulator) -> None:
    request(emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"}, {"X-Amzn-Client-Token": "abc-1"})
    assert emulator.calls[-1].client_token == "abc-1"
    # The same token and body again: the first answer, not a ConflictException for the existing name.
    code, _, _ = request(
        emulator, "POST", "/2020-11-20/projects", {"ProjectName": "demo"}, {"X-Amzn-Client-Token": "abc-1"}
    )
    assert code == 200


def test_drop_connection_closes_the_socket_without_a_reply(emulator: Emulator) -> None:
    emulator.faults.add(Fault(kind="drop_connection", count=1))
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(b"GET /2020-11-20/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert sock.recv(1024) == b""


@pytest.mark.parametrize("code", sorted(MODELED_ERRORS))
def test_each_error_class_matches_the_model(code: str) -> None:
    shape = servicemodel.service_model().shape_for(code)
    assert MODELED_ERRORS[code].status == shape.metadata["error"]["httpStatusCode"]


def test_every_modeled_error_has_a_class() -> None:
    modeled = {s.name for s in servicemodel.service_model().error_shapes}
    assert modeled == set(MODELED_ERRORS)


def test_answers_are_dated_in_service_time(emulator: Emulator) -> None:
    """The Date header and CreationTimestamp read one clock, as the service's do: their difference is an age."""
    emulator.configure(time_scale=1e6)  # service time moves only with advance()
    emulator.backend.create_project("demo")
    emulator.backend.create_dataset("demo", "train")
    emulator.backend.create_model("demo", output_config={"S3Location": {"Bucket": "b"}})
    emulator.clock.advance(86_400.0)  # a day of service time, in no real time

    status, headers, body = request(emulator, "GET", "/2020-11-20/projects/demo/models/1")

    assert status == 200
    dated = email.utils.parsedate_to_datetime(headers["date"]).timestamp()
    assert dated == pytest.approx(emulator.clock.now(), abs=1.0)
    assert dated - body["ModelDescription"]["CreationTimestamp"] == pytest.approx(86_400.0, abs=1.0)
