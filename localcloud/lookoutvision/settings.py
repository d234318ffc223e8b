"""What can be configured in the emulator: durations, outcomes, quotas, identity."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

TrainingOutcome = Literal["TRAINED", "TRAINING_FAILED"]
HostingOutcome = Literal["HOSTED", "HOSTING_FAILED"]
# How DetectAnomalies decides (localcloud/lookoutvision/inference.py): by the image's pixels, or always one way.
DetectionOutcome = Literal["pixels", "normal", "anomalous"]
DETECTION_OUTCOMES: tuple[DetectionOutcome, ...] = ("pixels", "normal", "anomalous")


@dataclass(kw_only=True)
class Durations:
    """How long each asynchronous step takes, in seconds of service time.

    ListModels is eventually consistent both ways (the service's documentation: "Recent calls to
    CreateModel might take a while to appear"): a new model version appears in ListModels
    ``list_models_lag_after_create`` seconds after CreateModel, while DescribeModel answers it at
    once; a deleted one stays listed ``list_models_lag`` seconds after DescribeModel stops finding
    it. AWS gives no figure for either: 5 s each is the order of the service's own eventual
    consistency, long enough that a client polling every second or two sees both.
    """

    training: float = 60.0
    starting_hosting: float = 30.0
    stopping_hosting: float = 20.0
    deleting: float = 10.0
    deleting_dataset: float = 1.0
    # A deleted model version stays in ListModels for this long after DescribeModel stops finding it.
    list_models_lag: float = 5.0
    # A new model version appears in ListModels this long after CreateModel (DescribeModel finds it at once).
    list_models_lag_after_create: float = 5.0
    creating_dataset: float = 1.0
    # SYSTEM_UPDATING (entered only through ``backend.set_status``) back to HOSTED.
    system_updating: float = 30.0


@dataclass(kw_only=True)
class Settings:
    """The emulator's configuration. Mutable: a running emulator reads it on every request."""

    # Real seconds per second of service time (0.001: a 60 s training takes 60 ms).
    time_scale: float = 1.0
    durations: Durations = field(default_factory=Durations)
    # Per model version, the durations that differ from ``durations``: {"project/version": {"deleting": 42.0}}.
    # The service does not take the same time to stop or delete every model; a version not named here,
    # or a duration its entry leaves out, takes ``durations``' value.
    model_durations: dict[str, dict[str, float]] = field(default_factory=dict)
    training_outcome: TrainingOutcome = "TRAINED"
    hosting_outcome: HostingOutcome = "HOSTED"
    # DetectAnomalies' answer: "pixels" judges the image by the emulator's rule; "normal" or "anomalous" fixes it.
    detection_outcome: DetectionOutcome = "pixels"
    # Requests per second of service time, per operation (the service's quota is 5); None: no quota.
    requests_per_second: float | None = 5.0
    # Service quotas answered with ServiceQuotaExceededException; None: unlimited.
    max_projects: int | None = 100
    max_models_per_project: int | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"

    def __post_init__(self) -> None:
        self.model_durations = _checked_model_durations(self.model_durations)
        _check_detection_outcome(self.detection_outcome)

    def duration(self, name: str, project_name: str | None = None, model_version: str | None = None) -> float:
        """Service seconds of the step ``name`` (a Durations field) for this model version, if one is named."""
        if project_name is not None and model_version is not None:
            own = self.model_durations.get(model_key(project_name, model_version), {})
            if name in own:
                return own[name]
        return float(getattr(self.durations, name))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        values = dict(data)
        values["durations"] = Durations(**values.get("durations", {}))
        return cls(**values)

    def update(self, **changes: Any) -> None:
        """Change fields in place; Durations' field names are accepted too (``training=5.0``)."""
        if "time_scale" in changes and not float(changes["time_scale"]) > 0:
            raise ValueError(f"time_scale must be positive, not {changes['time_scale']}")
        duration_names = {f.name for f in dataclasses.fields(Durations)}
        setting_names = {f.name for f in dataclasses.fields(Settings)}
        for name, value in changes.items():
            if name == "durations" and isinstance(value, dict):
                self.durations = dataclasses.replace(self.durations, **value)
            elif name == "model_durations":
                self.model_durations = _checked_model_durations(value)
            elif name == "detection_outcome":
                self.detection_outcome = _check_detection_outcome(value)
            elif name in setting_names:
                setattr(self, name, value)
            elif name in duration_names:
                setattr(self.durations, name, float(value))
            else:
                raise TypeError(f"unknown emulator setting: {name}")

    def copy_from(self, other: Settings) -> None:
        """Make this object equal to ``other`` (keeping its identity, which the backend holds)."""
        for f in dataclasses.fields(Settings):
            value = getattr(other, f.name)
            setattr(self, f.name, dataclasses.replace(value) if isinstance(value, Durations) else copy.deepcopy(value))


def model_key(project_name: str, model_version: str) -> str:
    """How ``Settings.model_durations`` names a model version."""
    return f"{project_name}/{model_version}"


def _checked_model_durations(value: Any) -> dict[str, dict[str, float]]:
    """A copy of ``value`` with float seconds; a TypeError names an unknown step, a ValueError a negative one."""
    names = {f.name for f in dataclasses.fields(Durations)}
    checked: dict[str, dict[str, float]] = {}
    for key, steps in dict(value).items():
        unknown = sorted(set(steps) - names)
        if unknown:
            raise TypeError(f"unknown duration(s) {unknown} for model {key}; known: {sorted(names)}")
        checked[str(key)] = {step: float(seconds) for step, seconds in steps.items()}
        negative = [step for step, seconds in checked[str(key)].items() if seconds < 0]
        if negative:
            raise ValueError(f"negative duration(s) {negative} for model {key}")
    return checked


def _check_detection_outcome(value: Any) -> DetectionOutcome:
    """``value`` if it is one of ``DETECTION_OUTCOMES``; a ValueError naming them otherwise."""
    for outcome in DETECTION_OUTCOMES:
        if value == outcome:
            return outcome
    raise ValueError(f"detection_outcome must be one of {', '.join(DETECTION_OUTCOMES)}, not {value!r}")
