"""The emulator as a product: saved state, reset, settings, the call record, threads, real time, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_localcloud.lookoutvision import Durations, Emulator, Fault, Settings
from tests.fixtures.emulator import FAST_TIME_SCALE, lookoutvision_client
from tests.localcloud.lookoutvision.arrange import OUTPUT_CONFIG, listed_versions, make_model, make_project, status


def test_save_and_load_the_whole_world(tmp_path: Path) -> None:
    settings = Settings(time_scale=1e6, requests_per_second=None)
    path = tmp_path / "state.json"
    with Emulator(settings) as first:
        client = lookoutvision_client(first)
        make_project(client)
        make_model(client, Tags=[{"Key": "k", "Value": "v"}])
        first.clock.advance(first.settings.durations.training)
        client.start_model(ProjectName="demo", ModelVersion="1", MinInferenceUnits=1, ClientToken="start-1")
        first.backend.hold_status("demo", "1", "STARTING_HOSTING")
        saved_at = first.clock.now()
        first.save(path)
    assert json.loads(path.read_text())["projects"][0]["name"] == "demo"
    with Emulator(Settings(time_scale=1e6, requests_per_second=None), state_file=path) as second:
        client = lookoutvision_client(second)
        assert second.clock.now() == pytest.approx(saved_at, abs=1.0)
        assert status(client, "demo", "1") == "STARTING_HOSTING"
        assert client.list_tags_for_resource(ResourceArn=second.backend.model_arn("demo", "1"))["Tags"] == [
            {"Key": "k", "Value": "v"}
        ]
        # The token and the hold came along.
        assert client.start_model(ProjectName="demo", ModelVersion="1", MinInferenceUnits=1, ClientToken="start-1")[
            "Status"
        ] == ("STARTING_HOSTING")
        second.clock.advance(1000)
        assert status(client, "demo", "1") == "STARTING_HOSTING"
        second.backend.release_status("demo", "1")
        assert status(client, "demo", "1") == "HOSTED"
        assert make_model(client) == "2"


def test_the_state_file_is_written_after_each_change(tmp_path: Path) -> None:
    path = tmp_path / "world" / "lookoutvision.json"
    with Emulator(Settings(time_scale=1e6, requests_per_second=None), state_file=path) as emu:
        client = lookoutvision_client(emu)
        client.create_project(ProjectName="deploy")
        assert [p["name"] for p in json.loads(path.read_text())["projects"]] == ["deploy"]
    # A separate run (as `destroy` after `deploy`) sees it and can delete it.
    with Emulator(Settings(time_scale=1e6, requests_per_second=None), state_file=path) as emu:
        client = lookoutvision_client(emu)
        client.delete_project(ProjectName="deploy")
    assert json.loads(path.read_text())["projects"] == []


def test_reset_forgets_everything_and_restores_settings(emulator: Emulator, lookoutvision: Any) -> None:
    make_project(lookoutvision)
    emulator.faults.add(Fault(kind="latency", latency=0.0))
    emulator.configure(training=1.0, training_outcome="TRAINING_FAILED")
    emulator.reset()
    assert emulator.backend.is_empty()
    assert emulator.calls == []
    assert emulator.faults.active == []
    assert emulator.settings.durations == Durations()
    assert emulator.settings.training_outcome == "TRAINED"
    assert emulator.settings.time_scale == FAST_TIME_SCALE


def test_configure_checks_names(emulator: Emulator) -> None:
    emulator.configure(durations={"deleting": 3.0}, stopping_hosting=4.0)
    assert (emulator.settings.durations.deleting, emulator.settings.durations.stopping_hosting) == (3.0, 4.0)
    with pytest.raises(TypeError, match="unknown emulator setting"):
        emulator.configure(trainig=1.0)


def test_the_call_record(emulator: Emulator, lookoutvision: Any) -> None:
    make_project(lookoutvision)
    with pytest.raises(lookoutvision.exceptions.ResourceNotFoundException):
        lookoutvision.describe_model(ProjectName="demo", ModelVersion="9")
    calls = emulator.calls
    assert [c.operation for c in calls] == ["CreateProject", "CreateDataset", "DescribeModel"]
    assert [c.status for c in calls] == [200, 202, 404]
    assert [c.error_code for c in calls] == [None, None, "ResourceNotFoundException"]
    assert calls[2].params == {"ProjectName": "demo", "ModelVersion": "9"}
    assert calls[0].client_token is not None and calls[2].client_token is None
    assert all(c.request_id for c in calls)
    assert calls[0].time <= calls[1].time <= calls[2].time
    assert emulator.calls_of("DescribeModel") == [calls[2]]


def test_concurrent_calls_are_serialized_safely(emulator: Emulator) -> None:
    clients = [lookoutvision_client(emulator) for _ in range(8)]
    make_project(clients[0])
    versions: list[str] = []
    lock = threading.Lock()

    def train(client: Any) -> None:
        for _ in range(5):
            version = make_model(client)
            with lock:
                versions.append(version)

    threads = [threading.Thread(target=train, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(versions, key=int) == [str(v) for v in range(1, 41)]
    assert len(emulator.calls_of("CreateModel")) == 40


def test_service_time_runs_at_the_time_scale(emulator: Emulator, lookoutvision: Any) -> None:
    emulator.configure(time_scale=FAST_TIME_SCALE)
    make_project(lookoutvision)
    version = make_model(lookoutvision)
    started = time.monotonic()
    while status(lookoutvision, "demo", version) == "TRAINING":
        assert time.monotonic() - started < 5.0
        time.sleep(0.005)
    elapsed = time.monotonic() - started
    # 60 service seconds at 1 ms each: about 60 ms of real time.
    assert elapsed < 2.0
    assert status(lookoutvision, "demo", version) == "TRAINED"


def test_the_clock_advances_and_changes_scale_without_jumping(emulator: Emulator) -> None:
    before = emulator.clock.now()
    after = emulator.clock.advance(3600)
    assert after - before >= 3600
    emulator.configure(time_scale=1.0)
    one = emulator.clock.now()
    emulator.configure(time_scale=1e6)
    assert emulator.clock.now() - one < 1.0
    with pytest.raises(ValueError):
        emulator.clock.advance(-1)


def test_the_backend_alone_without_http(emulator: Emulator) -> None:
    backend = emulator.backend
    backend.create_project("direct")
    backend.create_dataset("direct", "train")
    model = backend.create_model("direct", output_config=OUTPUT_CONFIG)["ModelMetadata"]
    assert model["ModelVersion"] == "1"
    emulator.clock.advance(emulator.settings.durations.training)
    assert backend.model_status("direct", "1") == "TRAINED"
    assert backend.inventory() == {"direct": {"datasets": {"train": "CREATE_COMPLETE"}, "models": {"1": "TRAINED"}}}
    assert emulator.calls == []


def test_the_endpoint_exists_only_while_running() -> None:
    with Emulator(Settings(time_scale=1e6)) as emu:
        assert emu.endpoint_url.startswith("http://127.0.0.1:")
        assert emu.port > 0
    with pytest.raises(RuntimeError):
        _ = Emulator().endpoint_url


def _read_endpoint(process: subprocess.Popen[str], timeout: float) -> str:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if "listening on" in line:
                found.append(line.rsplit(" ", 1)[-1].strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    assert found, "the CLI did not print its endpoint"
    return found[0]


def test_the_command_line_starts_answers_and_saves(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    command = [
        sys.executable,
        "-m",
        "lookoutvision_localcloud.lookoutvision",
        "--port",
        "0",
        "--time-scale",
        "0.001",
        "--training",
        "5",
        "--fault",
        "throttling:DeleteProject:1",
        "--hold",
        "cli:2:TRAINING",
        "--state-file",
        str(state),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        endpoint = _read_endpoint(process, timeout=30)
        client = lookoutvision_client(endpoint)
        client.create_project(ProjectName="cli")
        with pytest.raises(client.exceptions.ThrottlingException):
            client.delete_project(ProjectName="cli")
        client.create_dataset(ProjectName="cli", DatasetType="train")
        make_model(client, "cli")
        deadline = time.monotonic() + 10
        while status(client, "cli", "1") != "TRAINED":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert listed_versions(client, "cli") == ["1"]
        make_model(client, "cli")
        time.sleep(0.05)  # 50 service seconds of a 5 s training
        assert status(client, "cli", "2") == "TRAINING"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    assert json.loads(state.read_text())["projects"][0]["name"] == "cli"


@pytest.mark.parametrize(
    ("option", "message"),
    [(["--fault", "flaky"], "unknown fault kind"), (["--hold", "p:1:STUCK"], "unknown model status")],
)
def test_the_command_line_refuses_bad_options(option: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lookoutvision_localcloud.lookoutvision", *option],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr


def test_the_history_records_each_status_change_at_its_service_time(
    emulator: Emulator, lookoutvision: Any, hosted: tuple[str, str]
) -> None:
    project, version = hosted
    durations = emulator.settings.durations
    lookoutvision.stop_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(durations.stopping_hosting)
    deleted_at = emulator.clock.now()
    lookoutvision.delete_model(ProjectName=project, ModelVersion=version)
    emulator.clock.advance(durations.deleting + durations.list_models_lag)
    changes = emulator.backend.history(project, version, "MODEL")
    assert [c.status for c in changes] == [
        "TRAINING",
        "TRAINED",
        "STARTING_HOSTING",
        "HOSTED",
        "STOPPING_HOSTING",
        "TRAINED",
        "DELETING",
        "GONE",
        "UNLISTED",
    ]
    gone, unlisted = changes[-2], changes[-1]
    assert gone.time == pytest.approx(deleted_at + durations.deleting, abs=0.01)
    assert unlisted.time == pytest.approx(gone.time + durations.list_models_lag)
    assert [c.previous for c in changes[-3:]] == ["TRAINED", "DELETING", "GONE"]


def _control(endpoint: str, method: str, route: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{endpoint}/_emulator/{route}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_control_api(emulator: Emulator, lookoutvision: Any, trained: tuple[str, str]) -> None:
    endpoint = emulator.endpoint_url
    model = {"project_name": "demo", "model_version": "1"}
    throttle = {"kind": "throttling", "operations": ["DeleteModel"], "count": 1}
    assert _control(endpoint, "POST", "faults", throttle)[0] == 200
    with pytest.raises(lookoutvision.exceptions.ThrottlingException):
        lookoutvision.delete_model(ProjectName="demo", ModelVersion="1")
    assert _control(endpoint, "POST", "status", {**model, "status": "HOSTED"})[0] == 200
    assert status(lookoutvision, "demo", "1") == "HOSTED"
    assert _control(endpoint, "POST", "hold", {**model, "status": "STOPPING_HOSTING"})[0] == 200
    lookoutvision.stop_model(ProjectName="demo", ModelVersion="1")
    code, body = _control(endpoint, "POST", "clock/advance", {"seconds": 3600})
    assert code == 200
    assert body["time"] == pytest.approx(emulator.clock.now(), abs=1)
    assert status(lookoutvision, "demo", "1") == "STOPPING_HOSTING"
    _control(endpoint, "DELETE", "hold", model)
    assert status(lookoutvision, "demo", "1") == "TRAINED"
    _, calls = _control(endpoint, "GET", "calls")
    assert [c["operation"] for c in calls][-3:] == ["StopModel", "DescribeModel", "DescribeModel"]
    _, state = _control(endpoint, "GET", "state")
    assert state["inventory"] == {"demo": {"datasets": {"train": "CREATE_COMPLETE"}, "models": {"1": "TRAINED"}}}
    assert _control(endpoint, "GET", "history")[1][0]["status"] == "CREATED"
    assert _control(endpoint, "POST", "settings", {"training": 7})[1]["durations"]["training"] == 7.0
    assert _control(endpoint, "POST", "status", {**model, "project_name": "nope", "status": "HOSTED"})[0] == 404
    assert _control(endpoint, "POST", "faults", {"kind": "flaky"})[0] == 400
    assert _control(endpoint, "GET", "nothing")[0] == 404
    assert _control(endpoint, "POST", "reset")[0] == 200
    assert emulator.backend.is_empty()


def test_a_time_scale_must_be_positive(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="positive"):
        emulator.configure(time_scale=0)
    assert emulator.settings.time_scale > 0


def test_settings_round_trip_through_a_dict() -> None:
    settings = Settings(time_scale=0.5, durations=Durations(training=3.0), training_outcome="TRAINING_FAILED")
    assert Settings.from_dict(settings.to_dict()) == settings


def test_a_state_of_another_version_is_refused(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 99, "projects": []}))
    with pytest.raises(ValueError, match="unsupported emulator state version"):
        emulator.load(path)
