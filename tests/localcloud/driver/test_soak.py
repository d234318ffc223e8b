"""Soak: many models deployed and destroyed in cycles under random faults, through the local driver.

The stack is the example app's template with its model repeated N times (some hosted, some not,
some with logical ids over 64 characters). Each cycle deploys it, then destroys it in a separate
run, with faults armed at random (seeded) on the operations the provider calls, before and all
through each run. After every destroy: no project, dataset or model left in the emulator, no
polling rule, no invocation pending, no request answered twice or left unanswered.

Both forms leave out the one fault known to orphan a model (a CreateModel that acts but never
answers: tests/provider/reliability/test_protocol.py has it as a strict xfail), so that a red soak
means something new. The short form (default, CI) runs 12 models for 2 cycles with a fixed seed;
the long form, ``pytest -m soak``, runs 100 models for 3 cycles with a new seed each run and adds
calls hung past the function's timeout. A deploy may fail when a storm of faults outlasts a
Create's retries: it must then roll back leaving nothing, and the cycle ends there.
``SOAK_SEED``, ``SOAK_MODELS`` and ``SOAK_CYCLES`` override the figures; the seed and the results
are printed. (The chaos thread's timing is real time: a seed replays the faults, not their moments.)
"""

from __future__ import annotations

import copy
import io
import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_cdk_provider.consts import HOSTING, MODEL_RESOURCE_TYPE
from lookoutvision_localcloud import driver, report
from lookoutvision_localcloud.awslambda import Invocation, LambdaService
from lookoutvision_localcloud.cloudformation.records import STACK_TYPE
from lookoutvision_localcloud.lookoutvision import Emulator, Fault
from tests.fixtures.assembly import Assembly
from tests.fixtures.driver import run_app, write_assembly
from tests.fixtures.faults import HangsOnce
from tests.fixtures.secrets import leaks

SHORT = {"models": 12, "cycles": 2, "seed": 20261129}
LONG = {"models": 100, "cycles": 3}
# The operations the provider calls: the faults are the service's, not the local driver's.
PROVIDER_OPERATIONS = (
    "CreateModel",
    "DescribeModel",
    "StartModel",
    "StopModel",
    "DeleteModel",
    "ListModels",
    "CreateDataset",
    "DescribeDataset",
    "DeleteDataset",
)
FAULT_KINDS = ("throttling", "internal_error", "drop_connection", "latency")
# 0.01 real s per service s: the provider function's 900 s timeout lasts 9 s and a 60 s training 0.6 s.
SOAK_TIME_SCALE = 0.01


def many_models(template: dict[str, Any], count: int) -> dict[str, Any]:
    """The template with its one model resource replaced by ``count`` copies (every third one not hosted)."""
    result = copy.deepcopy(template)
    resources = result["Resources"]
    [(model_id, model)] = [(k, v) for k, v in resources.items() if v["Type"] == MODEL_RESOURCE_TYPE]
    del resources[model_id]
    for index in range(count):
        copy_of = copy.deepcopy(model)
        if index % 3 == 2:
            copy_of["Properties"].pop(HOSTING, None)
        name = f"SoakModel{index:03d}"
        if index % 4 == 1:
            name = name.ljust(72, "X")  # longer than crhelper's 56-character limit for its rule names
        resources[name] = copy_of
    return result


@dataclass
class Figures:
    seed: int
    models: int
    cycles: int = 0
    faults_armed: int = 0
    faults_hit: int = 0
    api_calls: int = 0
    failed_calls: int = 0
    hangs: int = 0
    rolled_back: int = 0
    invocations: int = 0
    requests: int = 0
    runs: list[tuple[str, float]] = field(default_factory=list)

    def lines(self) -> list[str]:
        durations = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.runs)
        return [
            f"seed {self.seed} (SOAK_SEED={self.seed} to replay)",
            f"{self.models} models x {self.cycles} cycles ({self.rolled_back} deploys rolled back clean after a "
            "fault storm outlasted a Create's retries)",
            f"faults armed {self.faults_armed}, injected into {self.faults_hit} calls; "
            f"{self.hangs} calls hung past the function's timeout",
            f"Lookout for Vision API calls {self.api_calls} ({self.failed_calls} answered with an error or dropped)",
            f"custom-resource requests {self.requests}, function invocations {self.invocations}, "
            "no ResponseURL or signature in their logs",
            f"runs: {durations}",
            f"total {sum(s for _, s in self.runs):.1f}s; orphaned models 0, leaked artefacts 0, stuck requests 0",
        ]


def arm_faults(
    emulator: Emulator, rng: random.Random, count: int | None = None, lost_create: bool = True
) -> list[Fault]:
    """A few random faults, each on a random subset of the provider's operations, used up after a few calls.

    ``lost_create`` False keeps CreateModel from acting without answering (the known orphan of
    ``test_a_create_whose_create_model_acted_but_never_answered_leaves_no_model``).
    """
    armed = []
    for _ in range(count if count is not None else rng.randint(2, 5)):
        kind = rng.choice(FAULT_KINDS)
        operations = set(rng.sample(PROVIDER_OPERATIONS, rng.randint(1, 3)))
        after_action = kind in ("internal_error", "drop_connection") and rng.random() < 0.5
        fault = Fault(
            kind=kind,  # type: ignore[arg-type]
            operations=operations,
            count=rng.randint(1, 6),
            latency=rng.uniform(1.0, 5.0) if kind == "latency" else 0.0,
            after_action=after_action and (lost_create or "CreateModel" not in operations),
        )
        armed.append(emulator.faults.add(fault))
    return armed


class SettlesAtTheEnd(io.StringIO):
    """The driver's output, which settles ``chaos`` once the stack's final status is printed."""

    def __init__(self, chaos: Chaos) -> None:
        super().__init__()
        self._chaos = chaos

    def write(self, text: str) -> int:
        if STACK_TYPE in text and any(word.endswith(("_COMPLETE", "_FAILED")) for word in text.split()):
            self._chaos.settle()
        return super().write(text)


class Chaos:
    """Arms one more random fault every few tenths of a second while a run goes on (a context manager).

    Faults armed before a run are used up by its first calls; these reach the later ones too: the
    deletes of a destroy, the polls of a long training. With ``hangs``, one DescribeModel of the run
    may hang past the function's timeout, so that Lambda stops the invocation in the middle of a poll.
    """

    def __init__(self, emulator: Emulator, rng: random.Random, hang: float | None, lost_create: bool) -> None:
        self._emulator = emulator
        self._lost_create = lost_create
        self._rng = random.Random(rng.random())
        self._hang = hang
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-chaos", daemon=True)
        self.armed: list[Fault] = []

    def __enter__(self) -> Chaos:
        if self._hang is not None and self._rng.random() < 0.5:
            nth = len(self._emulator.calls_of("DescribeModel")) + self._rng.randint(5, 60)
            hang = HangsOnce(self._emulator, "DescribeModel", nth=nth, latency=self._hang)
            self.armed.append(self._emulator.faults.add(hang))
        self.armed += arm_faults(self._emulator, self._rng, lost_create=self._lost_create)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.settle()

    def settle(self) -> None:
        """No more faults: the stack operation is over, and what follows (the leftover check) observes it."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self._emulator.faults.clear()

    def _run(self) -> None:
        while not self._stop.wait(self._rng.uniform(0.2, 0.8)):
            self.armed += arm_faults(self._emulator, self._rng, count=1, lost_create=self._lost_create)


# What a FAILED Create may say when the injected faults outlasted its retries.
INJECTED_ERRORS = ("ThrottlingException", "InternalServerException", "ConnectionClosedError", "could not be reached")


def assert_rolled_back_for_injected_faults(result: driver.RunResult, context: str) -> None:
    """The deploy failed only because injected faults outlasted the retries, and rolled back leaving nothing."""
    failures = [
        e
        for op in result.operations
        for e in op.events
        if e.status.failed and e.resource_type != "AWS::CloudFormation::Stack"
    ]
    assert failures, context
    assert all(any(error in e.reason for error in INJECTED_ERRORS) for e in failures), context
    assert [str(report.status_of(op)) for op in result.operations][-1] == "ROLLBACK_COMPLETE", context
    assert result.leftovers is not None and result.leftovers.problems == [], context


def soak(
    assembly: Assembly,
    emulator: Emulator,
    tmp_path: Path,
    models: int,
    cycles: int,
    seed: int,
    long_form: bool = False,
) -> Figures:
    """Deploy and destroy in cycles; the long form adds calls hung past the function's timeout."""
    rng = random.Random(seed)
    figures = Figures(seed=seed, models=models)
    emulator.configure(time_scale=SOAK_TIME_SCALE)
    directory = write_assembly(tmp_path / "cdk.out", assembly.stack_name, many_models(assembly.template, models))
    [function] = [r for r in assembly.template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    hang = float(function["Properties"]["Timeout"]) * 1.2 if long_form else None  # past the function's timeout
    for cycle in range(cycles):
        for command in (driver.deploy, driver.destroy):
            first_call = len(emulator.calls)
            began = time.monotonic()
            with Chaos(emulator, rng, hang, lost_create=False) as chaos:
                out = SettlesAtTheEnd(chaos)
                result, output = run_app(command, directory, emulator, tmp_path / "state", out=out)
            figures.runs.append((f"{command.__name__} {cycle + 1}", time.monotonic() - began))
            calls = emulator.calls[first_call:]
            figures.faults_armed += len(chaos.armed)
            figures.hangs += sum(isinstance(f, HangsOnce) and f.used_up for f in chaos.armed)
            figures.faults_hit += sum(1 for c in calls if c.fault)
            figures.api_calls += len(calls)
            figures.failed_calls += sum(1 for c in calls if not c.ok)
            emulator.faults.clear()
            context = f"seed {seed}, cycle {cycle + 1}, {command.__name__}:\n{output}"
            if command is driver.deploy and result.exit_code != 0:
                # A storm longer than the retries may fail a Create: the stack must then roll back clean.
                assert_rolled_back_for_injected_faults(result, context)
                figures.rolled_back += 1
                break
            assert result.exit_code == 0, context
        assert result.leftovers is not None and result.leftovers.problems == [], output
        assert emulator.backend.is_empty(), emulator.backend.inventory()
        figures.cycles += 1
    return figures


@pytest.fixture
def function_invocations(monkeypatch: pytest.MonkeyPatch) -> list[Invocation]:
    """Every invocation of every local function the driver runs, kept when the function is closed."""
    kept: list[Invocation] = []
    close = LambdaService.close

    def keep_and_close(self: LambdaService) -> None:
        kept.extend(self.invocations)
        close(self)

    monkeypatch.setattr(LambdaService, "close", keep_and_close)
    return kept


def audit(invocations: list[Invocation]) -> tuple[int, int]:
    """No ResponseURL (or its signature) in any log line; returns (invocations, requests)."""
    events = [i.event for i in invocations]
    logs = "\n".join(line for i in invocations for line in i.logs)
    assert logs, "the function logs were kept"
    assert leaks(logs, events) == []
    return len(invocations), len({e.get("RequestId") for e in events})


def _show(pytestconfig: pytest.Config, title: str, lines: list[str]) -> None:
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"== {title} ==")
        for line in lines:
            reporter.write_line(line)


def test_soak_short(
    example_assembly: Assembly,
    local_emulator: Emulator,
    tmp_path: Path,
    pytestconfig: pytest.Config,
    function_invocations: list[Invocation],
) -> None:
    seed = int(os.environ.get("SOAK_SEED", SHORT["seed"]))
    models = int(os.environ.get("SOAK_MODELS", SHORT["models"]))
    cycles = int(os.environ.get("SOAK_CYCLES", SHORT["cycles"]))
    figures = soak(example_assembly, local_emulator, tmp_path, models, cycles, seed)
    figures.invocations, figures.requests = audit(function_invocations)
    _show(pytestconfig, "soak (short form)", figures.lines())
    assert figures.faults_hit > 0


@pytest.mark.soak
def test_soak_long(
    example_assembly: Assembly,
    local_emulator: Emulator,
    tmp_path: Path,
    pytestconfig: pytest.Config,
    function_invocations: list[Invocation],
) -> None:
    if "soak" not in (pytestconfig.getoption("markexpr") or ""):
        pytest.skip("the long soak runs with -m soak")
    seed = int(os.environ.get("SOAK_SEED", random.SystemRandom().randrange(2**31)))
    models = int(os.environ.get("SOAK_MODELS", LONG["models"]))
    cycles = int(os.environ.get("SOAK_CYCLES", LONG["cycles"]))
    _show(pytestconfig, "soak (long form)", [f"seed {seed}"])
    figures = soak(example_assembly, local_emulator, tmp_path, models, cycles, seed, long_form=True)
    figures.invocations, figures.requests = audit(function_invocations)
    _show(pytestconfig, "soak (long form)", figures.lines())
    assert figures.faults_hit > 0


# -- found while soaking ------------------------------------------------------------------------------

SLOW_IMPORT = """
import threading
import time
time.sleep(1.5)  # a cold start: importing boto3, crhelper and the provider on a busy machine

def handler(event, context):
    return {"remaining_ms": context.get_remaining_time_in_millis()}
"""


def test_a_cold_start_does_not_count_against_the_function_timeout(tmp_path: Path) -> None:
    (tmp_path / "slow_import.py").write_text(SLOW_IMPORT)
    env = {"PYTHONPATH": str(tmp_path)}
    with LambdaService("slow_import.handler", env=env, timeout=1.0, time_scale=1.0, retry_delays=()) as function:
        invocation = function.invoke({})
    assert invocation.outcome == "ok", invocation.logs
