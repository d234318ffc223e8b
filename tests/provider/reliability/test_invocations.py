"""Every request ends, whatever the function's timeout: progress or an answer in every invocation.

Through the local Lambda, at invocation lengths of 10 s, 15 s, 60 s and 15 minutes (each at a time
scale where it lasts about 1.5 real seconds), a Delete whose model needs about three invocations,
and one whose model is stuck past the request's deadline: each request is answered exactly once;
SUCCESS only once the version has left every ListModels page (two versions per page here); FAILED
before the deadline otherwise; and no more invocations than (elapsed time / half an invocation) + 2.
"""

from __future__ import annotations

import math

import pytest

from lookoutvision_cdk_provider import consts
from lookoutvision_cdk_provider.timing import InvocationTimings
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.provider import PROJECT, listed_versions, model_properties, project_with_dataset, trained_model
from tests.provider.reliability.harness import Cloud, provider_at

LENGTHS = (10.0, 15.0, 60.0, 900.0)
# Real seconds one invocation lasts.
REAL_INVOCATION = 1.5
# Other versions in the project, so that the version is looked for across several ListModels pages.
NEIGHBOURS = 5


def _hosted_among_others(emulator: Emulator) -> tuple[str, str]:
    project_with_dataset(emulator)
    for index in range(NEIGHBOURS):
        trained_model(emulator, logical_id=f"Neighbour{index}")
    arn = trained_model(emulator)
    version = arn.rsplit("/", 1)[1]
    emulator.backend.set_status(PROJECT, version, "HOSTED")
    return arn, version


def _within_the_bound(cloud: Cloud, request_id: str, length: float, scale: float) -> tuple[int, float]:
    invocations = cloud.invocations_of(request_id)
    first, last = invocations[0].started, invocations[-1].ended
    assert first is not None and last is not None
    elapsed = (last - first) / scale
    bound = elapsed / (length / 2) + 2
    assert len(invocations) <= math.floor(bound), (len(invocations), bound, cloud.timeline(request_id))
    assert all(i.outcome == "ok" for i in invocations), cloud.timeline(request_id)
    return len(invocations), elapsed


@pytest.mark.parametrize("length", LENGTHS, ids=lambda s: f"{s:g}s")
def test_a_delete_longer_than_an_invocation_ends_once_unlisted(cloud: Cloud, emulator: Emulator, length: float) -> None:
    scale = REAL_INVOCATION / length
    with provider_at(cloud, scale=scale, timeout=length, list_models_page_size=2) as short:
        arn, version = _hosted_among_others(emulator)
        # About three invocations of service time: stopping, deleting, then leaving ListModels.
        emulator.configure(stopping_hosting=1.3 * length, deleting=0.9 * length, list_models_lag=0.5 * length)
        event = short.event("Delete", physical_id=arn)

        response = short.run(event)

        assert response["Status"] == "SUCCESS", response.get("Reason")
        assert version not in listed_versions(emulator)
        _, unlisted = _disappearance(emulator, version)
        answered = emulator.clock.now()
        assert unlisted is not None and unlisted <= answered
        count, _ = _within_the_bound(short, event["RequestId"], length, scale)
        assert count >= 2, "the request needed more than one invocation"
        assert len([a for a in emulator.calls_of("ListModels") if a.ok]) >= 2, "ListModels read page by page"


@pytest.mark.parametrize("length", LENGTHS, ids=lambda s: f"{s:g}s")
def test_a_model_stuck_past_the_deadline_is_answered_failed_before_it(
    cloud: Cloud, emulator: Emulator, length: float
) -> None:
    scale = REAL_INVOCATION / length
    service_timeout = max(30, round(2.5 * length))
    with provider_at(cloud, scale=scale, timeout=length) as short:
        arn, version = _hosted_among_others(emulator)
        emulator.configure(stopping_hosting=10 * length)
        emulator.backend.hold_status(PROJECT, version, "STOPPING_HOSTING")
        event = short.event("Delete", physical_id=arn, properties=model_properties(ServiceTimeout=str(service_timeout)))

        response = short.run(event)

        reason = response["Reason"]
        assert response["Status"] == "FAILED"
        assert reason.startswith("Delete Model: "), reason
        assert f"model {version} of project {PROJECT} is still STOPPING_HOSTING" in reason, reason
        assert "Raise ServiceTimeout or retry the operation." in reason, reason
        # Each hand-over carries what its wait saw: a next invocation that meets the deadline before it
        # looks itself still names the status.
        records = [i.event.get(consts.CONTINUATION) for i in short.invocations_of(event["RequestId"])]
        carried = [record.get("Wait") for record in records if record]
        subject = f"model {version} of project {PROJECT}"
        assert carried, "the request took several invocations"
        assert all(wait == {"Subject": subject, "Status": "STOPPING_HOSTING"} for wait in carried), carried
        _, elapsed = _within_the_bound(short, event["RequestId"], length, scale)
        # Answered at the provider's deadline, before CloudFormation stops waiting (ServiceTimeout).
        # The margin between the two is at most 30 service seconds: 50 ms of real time at the
        # 15-minute length, all the slack a loaded machine gets to PUT the answer and end.
        assert elapsed < service_timeout, elapsed
        assert elapsed > service_timeout - 2 * InvocationTimings().deadline_margin(service_timeout) - length / 2, (
            elapsed
        )


def _disappearance(emulator: Emulator, version: str) -> tuple[float | None, float | None]:
    changes = emulator.backend.history(PROJECT, version, "MODEL")
    gone = next((c.time for c in changes if c.status == "GONE"), None)
    unlisted = next((c.time for c in changes if c.status == "UNLISTED"), None)
    return gone, unlisted
