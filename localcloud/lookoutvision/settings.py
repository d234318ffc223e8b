"""What can be configured in the emulator: durations, outcomes, quotas, identity."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

TrainingOutcome = Literal["TRAINED", "TRAINING_FAILED"]
HostingOutcome = Literal["HOSTED", "HOSTING_FAILED"]


@dataclass(kw_only=True)
class Durations:
    """How long each asynchronous step takes, in seconds of service time."""

    training: float = 60.0
    starting_hosting: float = 30.0
    stopping_hosting: float = 20.0
    deleting: float = 10.0
    deleting_dataset: float = 1.0
    # A deleted model version stays in ListModels for this long after DescribeModel stops finding it.
    list_models_lag: float = 5.0
    creating_dataset: float = 1.0
    # SYSTEM_UPDATING (entered only through ``backend.set_status``) back to HOSTED.
    system_updating: float = 30.0


@dataclass(kw_only=True)
class Settings:
    """The emulator's configuration. Mutable: a running emulator reads it on every request."""

    # Real seconds per second of service time (0.001: a 60 s training takes 60 ms).
    time_scale: float = 1.0
    durations: Durations = field(default_factory=Durations)
    training_outcome: TrainingOutcome = "TRAINED"
    hosting_outcome: HostingOutcome = "HOSTED"
    # Requests per second of service time, per operation (the service's quota is 5); None: no quota.
    requests_per_second: float | None = 5.0
    # Service quotas answered with ServiceQuotaExceededException; None: unlimited.
    max_projects: int | None = 100
    max_models_per_project: int | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"

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
            setattr(self, f.name, dataclasses.replace(value) if isinstance(value, Durations) else value)
