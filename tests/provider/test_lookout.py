"""The Lookout layer through botocore → HTTP → the emulator: typed errors and bounded retries."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from lookoutvision_cdk_provider import clients, errors, servicemodel
from lookoutvision_cdk_provider.lifecycle import ModelStatus
from lookoutvision_cdk_provider.lookout import Lookout
from lookoutvision_cdk_provider.timing import CallRetries
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.faults import FromNth
from tests.fixtures.provider import PROJECT, project_with_dataset, trained_model


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _lookout(time_left: float = float("inf")) -> tuple[Lookout, Sleeps]:
    sleeps = Sleeps()
    client = clients.lookoutvision(5.0, 10.0)
    return Lookout(client, sleep=sleeps, call_window=lambda: time_left, random_unit=lambda: 0.5), sleeps


def test_every_modeled_error_has_its_class() -> None:
    model = servicemodel.service_model()
    modeled = {name for name in model.shape_names if model.shape_for(name).metadata.get("exception")}
    assert modeled == set(errors.ERROR_CODES)
    for code, cls in errors.ERROR_CODES.items():
        status = model.shape_for(code).metadata["error"]["httpStatusCode"]
        assert errors.error_class(code, status) is cls
        assert errors.error_class("SomethingNew", status) is cls or status == 402


def test_describe_and_list_through_the_emulator(emulator: Emulator) -> None:
    project_with_dataset(emulator)
    arn = trained_model(emulator)
    api, _ = _lookout()
    model = api.describe_model(PROJECT, "1")
    assert model is not None
    assert (model.model_arn, model.status) == (arn, ModelStatus.TRAINED)
    assert model.performance["F1Score"] > 0
    assert api.describe_model(PROJECT, "2") is None
    assert api.describe_model("nope", "1") is None
    assert api.model_listed(PROJECT, "1", page_size=1)
    assert not api.model_listed(PROJECT, "2")
    assert not api.model_listed("nope", "1")


def test_throttling_is_retried_with_retry_after_and_jitter(emulator: Emulator) -> None:
    project_with_dataset(emulator)
    trained_model(emulator)
    emulator.faults.add(Fault(kind="throttling", operations={"DescribeModel"}, count=2, retry_after_seconds=3))
    api, sleeps = _lookout()
    assert api.describe_model(PROJECT, "1") is not None
    assert sleeps.delays == [3 + 0.5 * 0.5, 3 + 0.5 * 1.0]
    assert len(emulator.calls_of("DescribeModel")) == 3
    assert api.throttled == 2  # the pollers slow down on these


def test_retries_are_bounded(emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeModel"}))
    api, sleeps = _lookout()
    with pytest.raises(errors.ServiceError) as caught:
        api.describe_model(PROJECT, "1")
    assert caught.value.code == "InternalServerException"
    assert len(emulator.calls_of("DescribeModel")) == CallRetries().attempts
    assert len(sleeps.delays) == CallRetries().attempts - 1


@pytest.mark.parametrize(("kind", "message"), [("access_denied", "not authorized"), ("service_gone", "no longer")])
def test_access_denied_is_not_retried(emulator: Emulator, kind: Any, message: str) -> None:
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind=kind))
    api, sleeps = _lookout()
    with pytest.raises(errors.AccessDenied) as caught:
        api.describe_model(PROJECT, "1")
    assert message in caught.value.service_message
    assert len(emulator.calls) == 1
    assert sleeps.delays == []


def test_conflict_and_validation_are_typed(emulator: Emulator) -> None:
    project_with_dataset(emulator)
    trained_model(emulator)
    emulator.backend.set_status(PROJECT, "1", "TRAINING")
    emulator.backend.hold_status(PROJECT, "1", "TRAINING")
    api, _ = _lookout()
    with pytest.raises(errors.Conflict) as caught:
        api.delete_model(PROJECT, "1", "delete-token")
    assert "TRAINING" in caught.value.service_message
    with pytest.raises(errors.Validation):
        api.delete_model(PROJECT, "1", "bad_token!")


def test_a_retry_that_does_not_fit_in_the_time_left_is_out_of_time(emulator: Emulator) -> None:
    project_with_dataset(emulator)
    emulator.faults.add(Fault(kind="throttling", operations={"DescribeModel"}, retry_after_seconds=30))
    api, sleeps = _lookout(time_left=10.0)
    with pytest.raises(errors.OutOfTime) as caught:
        api.describe_model(PROJECT, "1")
    assert isinstance(caught.value.cause, errors.Throttled)
    assert sleeps.delays == []


def test_an_endpoint_that_refuses_connections_is_service_unavailable(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_LOOKOUTVISION", f"http://127.0.0.1:{port}")
    api, sleeps = _lookout()
    with pytest.raises(errors.ServiceUnavailable) as caught:
        api.describe_model(PROJECT, "1")
    assert "could not be reached" in caught.value.advice
    assert len(sleeps.delays) == CallRetries().attempts - 1


def test_whether_a_call_may_have_been_carried_out(emulator: Emulator) -> None:
    """A refusal created nothing; no answer or a 5xx, to any attempt of the call, may have."""
    project_with_dataset(emulator)
    api, _ = _lookout()
    emulator.faults.add(Fault(kind="access_denied", operations={"DescribeModel"}, count=1))
    with pytest.raises(errors.AccessDenied) as refused:
        api.describe_model(PROJECT, "1")
    emulator.faults.add(Fault(kind="internal_error", operations={"DescribeModel"}, count=1))
    emulator.faults.add(FromNth(emulator, "access_denied", "DescribeModel", nth=2, count=1))
    with pytest.raises(errors.AccessDenied) as refused_after_a_5xx:
        api.describe_model(PROJECT, "1")

    assert not refused.value.outcome_unknown and not errors.outcome_unknown(refused.value)
    assert refused_after_a_5xx.value.outcome_unknown, "the first attempt's 5xx may have been carried out"
    assert errors.outcome_unknown(errors.OutOfTime(errors.ServiceUnavailable("CreateModel", "ReadTimeoutError", "")))
    assert errors.outcome_unknown(KeyError("an unexpected error"))


def test_versions_carry_their_creation_and_the_services_time_of_the_answer(emulator: Emulator) -> None:
    emulator.configure(time_scale=1e6)  # service time moves only with advance()
    project_with_dataset(emulator)
    trained_model(emulator)
    emulator.clock.advance(3600.0)
    api, _ = _lookout()

    model = api.describe_model(PROJECT, "latest")
    [summary] = api.model_summaries(PROJECT) or []

    assert model is not None and model.model_version == "1"
    for version in (model, summary):
        assert version.created is not None and version.answered_at is not None
        assert version.answered_at == pytest.approx(emulator.clock.now(), abs=1.0)  # the Date header: whole seconds
        assert version.answered_at - version.created == pytest.approx(3600.0 + 61.0, abs=1.0)
    assert api.model_summaries("nope") is None
