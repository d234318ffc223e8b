"""What a request has done so far, as the continuation record carries it: one dataclass per record.

A record comes back inside an event that anyone allowed to invoke the function could write: each
is parsed and checked once (``from_json``: RejectedEvent for anything out of bounds) and written
back with ``to_json``. Each JSON key says when it was set ("Answered": the call was answered;
"Unanswered": a call got no answer, or a 5xx, and may have been carried out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from lookoutvision_cdk_provider.errors import RejectedEvent
from lookoutvision_cdk_provider.identifiers import ModelRef, model_named_by

# Characters of a failure kept in the record: it travels in every re-invocation.
FAILURE_KEPT = 300


@dataclass
class ModelProgress:
    """A model request's progress. JSON keys, each set when:

    - ``CreateModelUnanswered``: a CreateModel got no answer (or a 5xx): it may have made a version;
    - ``CreateModelAnswered``: CreateModel answered: the ARN of the version this request created;
    - ``StartModelAnswered``: StartModel answered: a later HOSTING_FAILED is a failure, not a reason to start;
    - ``TagsAnswered``: TagResource / UntagResource answered: the version carries the properties' tags;
    - ``ReplacementDecided``: the Update found that it needs a new version;
    - ``ReplacementFailed``: the new version failed (why), so it is deleted before the Update answers;
    - ``UnansweredCreateVersionsFound``: the versions an unanswered Create made, as the Delete finds them;
    - ``FleetFirstCallAnswered``: the Delete's first call (the owner check) answered: a later invocation
      waits for no first slot (``lookoutvision_cdk_provider.fleet_pace``) and looks before it acts;
    - ``DescribedGone``: DescribeModel answered ResourceNotFound to the Delete: a later invocation
      waits for ListModels only (the version is gone, nothing is left to act on).

    Every version named is one of ``project_name``'s (the request's project), or the record is rejected.
    """

    create_model_unanswered: bool = False
    created: ModelRef | None = None
    start_model_answered: bool = False
    tags_answered: bool = False
    replacement_decided: bool = False
    replacement_failure: str | None = None
    unanswered_create_versions: list[ModelRef] = field(default_factory=list)
    fleet_first_call_answered: bool = False
    described_gone: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], project_name: str | None) -> ModelProgress:
        _only(raw, _MODEL_KEYS)
        created = raw.get("CreateModelAnswered")
        found = raw.get("UnansweredCreateVersionsFound", [])
        if not isinstance(found, list):
            raise RejectedEvent("the continuation record's UnansweredCreateVersionsFound is not a list")
        failure = raw.get("ReplacementFailed")
        if failure is not None and not isinstance(failure, str):
            raise RejectedEvent("the continuation record's ReplacementFailed is not a text")
        versions = [model_named_by(arn) for arn in found]
        if any(ref is None or ref.project_name != project_name for ref in versions):
            raise RejectedEvent(f"the continuation record names versions outside project {project_name}")
        return cls(
            create_model_unanswered=_flag(raw, "CreateModelUnanswered"),
            created=None if created is None else _version_of(created, project_name),
            start_model_answered=_flag(raw, "StartModelAnswered"),
            tags_answered=_flag(raw, "TagsAnswered"),
            replacement_decided=_flag(raw, "ReplacementDecided"),
            replacement_failure=None if failure is None else failure[:FAILURE_KEPT],
            unanswered_create_versions=[ref for ref in versions if ref is not None],
            fleet_first_call_answered=_flag(raw, "FleetFirstCallAnswered"),
            described_gone=_flag(raw, "DescribedGone"),
        )

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "CreateModelUnanswered": self.create_model_unanswered,
            "CreateModelAnswered": self.created.model_arn if self.created is not None else None,
            "StartModelAnswered": self.start_model_answered,
            "TagsAnswered": self.tags_answered,
            "ReplacementDecided": self.replacement_decided,
            "ReplacementFailed": self.replacement_failure,
            "UnansweredCreateVersionsFound": [ref.model_arn for ref in self.unanswered_create_versions],
            "FleetFirstCallAnswered": self.fleet_first_call_answered,
            "DescribedGone": self.described_gone,
        }
        return {key: value for key, value in record.items() if value not in (None, False, [])}


@dataclass
class DatasetProgress:
    """A dataset request's progress. JSON keys, each set when:

    - ``CreateDatasetAnswered``: CreateDataset answered: the dataset is this resource's;
    - ``CreateDatasetUnanswered``: a CreateDataset got no answer (or a 5xx): its outcome is unknown;
    - ``OldDatasetGone``: a replacement under the same id saw the old dataset gone.
    """

    create_dataset_answered: bool = False
    create_dataset_unanswered: bool = False
    old_dataset_gone: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> DatasetProgress:
        _only(raw, _DATASET_KEYS)
        return cls(
            create_dataset_answered=_flag(raw, "CreateDatasetAnswered"),
            create_dataset_unanswered=_flag(raw, "CreateDatasetUnanswered"),
            old_dataset_gone=_flag(raw, "OldDatasetGone"),
        )

    def to_json(self) -> dict[str, Any]:
        record = {
            "CreateDatasetAnswered": self.create_dataset_answered,
            "CreateDatasetUnanswered": self.create_dataset_unanswered,
            "OldDatasetGone": self.old_dataset_gone,
        }
        return {key: value for key, value in record.items() if value}


@dataclass
class ServiceGoneProgress:
    """The end-of-support bookkeeping of a Delete that may orphan (``lookoutvision_cdk_provider.unavailable``).

    JSON key ``FirstAnswered``: set when the service first gave its end-of-support answer to this
    request (the clock's epoch seconds); it must lie between the request's start and now.
    """

    first_answered: float | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], earliest: float, latest: float) -> ServiceGoneProgress:
        _only(raw, frozenset({"FirstAnswered"}))
        first = raw.get("FirstAnswered")
        if first is None:
            return cls()
        if not is_time(first) or not earliest <= first <= latest:
            raise RejectedEvent("the continuation record's ServiceGone.FirstAnswered is not between the start and now")
        return cls(float(first))

    def to_json(self) -> dict[str, Any]:
        return {} if self.first_answered is None else {"FirstAnswered": self.first_answered}


@dataclass(frozen=True)
class HandedOverWait:
    """The wait an invocation handed over in (``lookoutvision_cdk_provider.waiter``), as its deadline would name it.

    JSON keys: ``Subject`` (what was waited for), ``Status`` (the status last seen, if any),
    ``Failing`` and ``Advice`` (the transient failure still going on, if any). A next invocation
    that meets the deadline before it sees anything itself names what this one saw.
    """

    subject: str
    status: str | None = None
    failing: str | None = None
    advice: str | None = None

    @classmethod
    def from_json(cls, raw: object) -> HandedOverWait | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise RejectedEvent("the continuation record's Wait is not an object")
        _only(raw, _WAIT_KEYS)
        texts = {key: raw.get(key) for key in _WAIT_KEYS}
        if not all(value is None or isinstance(value, str) for value in texts.values()):
            raise RejectedEvent("the continuation record's Wait holds something other than texts")
        kept = {key: None if value is None else value[:FAILURE_KEPT] for key, value in texts.items()}
        return cls(kept["Subject"] or "", kept["Status"], kept["Failing"], kept["Advice"])

    def to_json(self) -> dict[str, str]:
        record = {"Subject": self.subject, "Status": self.status, "Failing": self.failing, "Advice": self.advice}
        return {key: value for key, value in record.items() if value is not None}


ResourceProgress = ModelProgress | DatasetProgress

_MODEL_KEYS = frozenset(
    {
        "CreateModelUnanswered",
        "CreateModelAnswered",
        "StartModelAnswered",
        "TagsAnswered",
        "ReplacementDecided",
        "ReplacementFailed",
        "UnansweredCreateVersionsFound",
        "FleetFirstCallAnswered",
        "DescribedGone",
    }
)
_DATASET_KEYS = frozenset({"CreateDatasetAnswered", "CreateDatasetUnanswered", "OldDatasetGone"})
_WAIT_KEYS = frozenset({"Subject", "Status", "Failing", "Advice"})


def _only(raw: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise RejectedEvent(f"the continuation record holds unknown keys {unknown[:3]}")


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise RejectedEvent(f"the continuation record's {key} is not true or false")
    return value


def _version_of(arn: object, project_name: str | None) -> ModelRef:
    ref = model_named_by(arn)
    if ref is None or ref.project_name != project_name:
        raise RejectedEvent(
            f"the continuation record names {str(arn)[:200]!r}, not a model version of project {project_name}"
        )
    return ref


def is_time(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a finite number of epoch seconds (a bool is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
