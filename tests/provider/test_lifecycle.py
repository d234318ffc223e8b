"""The pure lifecycle decisions: every model state for every goal, datasets, the versions of an unanswered Create."""

from __future__ import annotations

import pytest

from lookoutvision_cdk_provider import lifecycle, servicemodel
from lookoutvision_cdk_provider.lifecycle import (
    Absent,
    DatasetStatus,
    Hosted,
    ModelObservation,
    ModelStatus,
    Step,
    Trained,
    UpdatePlan,
    next_dataset_action,
    next_model_action,
)
from lookoutvision_cdk_provider.properties import Hosting, ModelProperties, VersionSettings
from lookoutvision_cdk_provider.timing import UnansweredCreateTimings

S = ModelStatus
HOSTING = Hosting(2, 3)

# -- Delete: all 9 states, then the ListModels confirmation ----------------------------------------

DELETE_EXPECTED = {
    S.HOSTED: Step.STOP,
    S.STARTING_HOSTING: Step.WAIT,
    S.STOPPING_HOSTING: Step.WAIT,
    S.SYSTEM_UPDATING: Step.WAIT,
    S.TRAINING: Step.WAIT,
    S.TRAINED: Step.DELETE,
    S.TRAINING_FAILED: Step.DELETE,
    S.HOSTING_FAILED: Step.DELETE,
    S.DELETING: Step.WAIT,
}


def test_the_delete_table_covers_all_nine_states() -> None:
    assert set(DELETE_EXPECTED) == set(ModelStatus)
    assert len(ModelStatus) == 9


@pytest.mark.parametrize(("status", "step"), DELETE_EXPECTED.items())
def test_delete_from_each_state(status: ModelStatus, step: Step) -> None:
    assert next_model_action(Absent(), ModelObservation(status)).step is step


def test_delete_of_a_gone_model_asks_list_models_then_waits_while_listed() -> None:
    assert next_model_action(Absent(), ModelObservation(None)).step is Step.LIST
    assert next_model_action(Absent(), ModelObservation(None, listed=True)).step is Step.WAIT
    assert next_model_action(Absent(), ModelObservation(None, listed=False)).step is Step.DONE


def test_status_from_the_service_model_matches_the_enum() -> None:
    assert servicemodel.service_model().shape_for("ModelStatus").enum == [s.value for s in ModelStatus]
    assert servicemodel.service_model().shape_for("DatasetStatus").enum == [s.value for s in DatasetStatus]


# -- Create / Update towards TRAINED (no hosting) ---------------------------------------------------

TRAINED_EXPECTED = {
    S.TRAINING: Step.WAIT,
    S.TRAINED: Step.DONE,
    S.TRAINING_FAILED: Step.FAIL,
    S.STARTING_HOSTING: Step.WAIT,
    S.HOSTED: Step.STOP,
    S.HOSTING_FAILED: Step.DONE,
    S.STOPPING_HOSTING: Step.WAIT,
    S.SYSTEM_UPDATING: Step.WAIT,
    S.DELETING: Step.FAIL,
}


@pytest.mark.parametrize(("status", "step"), TRAINED_EXPECTED.items())
def test_towards_trained_from_each_state(status: ModelStatus, step: Step) -> None:
    assert set(TRAINED_EXPECTED) == set(ModelStatus)
    assert next_model_action(Trained(), ModelObservation(status)).step is step


def test_training_failed_carries_the_status_message() -> None:
    action = next_model_action(Trained(), ModelObservation(S.TRAINING_FAILED, status_message="bad manifest"))
    assert action.step is Step.FAIL
    assert "training failed" in action.reason
    assert "bad manifest" in action.reason


@pytest.mark.parametrize("goal", [Trained(), Hosted(HOSTING)])
def test_a_model_gone_during_create_fails(goal: lifecycle.ModelGoal) -> None:
    action = next_model_action(goal, ModelObservation(None))
    assert action.step is Step.FAIL
    assert "no longer exists" in action.reason


# -- Create / Update towards HOSTED -------------------------------------------------------------

HOSTED_EXPECTED = {
    S.TRAINING: Step.WAIT,
    S.TRAINED: Step.START,
    S.TRAINING_FAILED: Step.FAIL,
    S.STARTING_HOSTING: Step.WAIT,
    S.HOSTED: Step.DONE,
    S.HOSTING_FAILED: Step.START,  # not started by this request: start it
    S.STOPPING_HOSTING: Step.WAIT,
    S.SYSTEM_UPDATING: Step.WAIT,
    S.DELETING: Step.FAIL,
}


@pytest.mark.parametrize(("status", "step"), HOSTED_EXPECTED.items())
def test_towards_hosted_from_each_state(status: ModelStatus, step: Step) -> None:
    assert set(HOSTED_EXPECTED) == set(ModelStatus)
    assert next_model_action(Hosted(HOSTING), ModelObservation(status)).step is step


def test_hosting_failed_after_our_own_start_fails_with_the_message() -> None:
    seen = ModelObservation(S.HOSTING_FAILED, status_message="no capacity", started=True)
    action = next_model_action(Hosted(HOSTING), seen)
    assert action.step is Step.FAIL
    assert "hosting failed: no capacity" in action.reason


@pytest.mark.parametrize(
    ("units", "step"),
    [
        ((2, 3), Step.DONE),
        ((None, None), Step.DONE),  # the service did not say: nothing to rescale
        ((1, 3), Step.STOP),  # rescale = stop, then start with the new units
        ((2, 5), Step.STOP),
    ],
)
def test_a_hosted_model_with_other_units_is_restarted(units: tuple[int | None, int | None], step: Step) -> None:
    seen = ModelObservation(S.HOSTED, min_inference_units=units[0], max_inference_units=units[1])
    assert next_model_action(Hosted(HOSTING), seen).step is step


def test_rescale_sequence_reaches_done() -> None:
    goal = Hosted(Hosting(4))
    sequence = [
        ModelObservation(S.HOSTED, min_inference_units=2),
        ModelObservation(S.STOPPING_HOSTING),
        ModelObservation(S.TRAINED),
        ModelObservation(S.STARTING_HOSTING, started=True),
        ModelObservation(S.HOSTED, min_inference_units=4, started=True),
    ]
    steps = [next_model_action(goal, seen).step for seen in sequence]
    assert steps == [Step.STOP, Step.WAIT, Step.START, Step.WAIT, Step.DONE]


# -- Update plan -------------------------------------------------------------------------------


def _props(**changes: object) -> ModelProperties:
    base: dict[str, object] = {
        "project_name": "p",
        "output_config": {"S3Location": {"Bucket": "bkt", "Prefix": "out/"}},
        "description": "d",
        "tags": (("a", "1"), ("b", "2")),
    }
    return ModelProperties(**{**base, **changes})  # type: ignore[arg-type]


# What DescribeModel shows of the version the physical id names: created with _props()' settings.
CURRENT = VersionSettings.of("p", "d", "bkt", "out/", None)


@pytest.mark.parametrize(
    ("new", "plan"),
    [
        (_props(hosting=Hosting(1)), UpdatePlan.IN_PLACE),
        (_props(service_timeout=60), UpdatePlan.IN_PLACE),
        (_props(tags=(("a", "1"),)), UpdatePlan.IN_PLACE),  # tags change in place
        (_props(tags=()), UpdatePlan.IN_PLACE),
        (_props(description="other"), UpdatePlan.REPLACE),
        (_props(project_name="q"), UpdatePlan.REPLACE),
        (_props(output_config={"S3Location": {"Bucket": "bkt", "Prefix": "new/"}}), UpdatePlan.REPLACE),
        (_props(kms_key_id="key"), UpdatePlan.REPLACE),
    ],
)
def test_update_plan(new: ModelProperties, plan: UpdatePlan) -> None:
    assert lifecycle.update_plan(CURRENT, new) is plan


def test_an_update_back_to_the_versions_own_settings_is_in_place() -> None:
    """A rollback: the properties are the old ones again, and the version has them."""
    assert lifecycle.update_plan(CURRENT, _props()) is UpdatePlan.IN_PLACE


def test_absent_and_empty_settings_are_the_same() -> None:
    bare = _props(description=None, output_config={"S3Location": {"Bucket": "bkt"}})
    assert lifecycle.update_plan(VersionSettings.of("p", "", "bkt", "", ""), bare) is UpdatePlan.IN_PLACE


def test_update_of_a_version_that_is_gone_replaces() -> None:
    assert lifecycle.update_plan(None, _props()) is UpdatePlan.REPLACE


def test_tags_that_differ_are_set_before_anything_else() -> None:
    seen = ModelObservation(status=ModelStatus.HOSTED, tags_differ=True)
    assert next_model_action(Trained(), seen).step is Step.TAG
    assert next_model_action(Absent(), seen).step is Step.STOP  # a Delete does not retag


def test_goal_follows_hosting() -> None:
    assert lifecycle.goal_for(_props()) == Trained()
    assert lifecycle.goal_for(_props(hosting=HOSTING)) == Hosted(HOSTING)


# -- datasets ---------------------------------------------------------------------------------

D = DatasetStatus


@pytest.mark.parametrize(
    ("status", "present", "absent"),
    [
        (None, Step.CREATE, Step.DONE),
        (D.CREATE_IN_PROGRESS, Step.WAIT, Step.WAIT),
        (D.CREATE_COMPLETE, Step.DONE, Step.DELETE),
        (D.CREATE_FAILED, Step.FAIL, Step.DELETE),
        (D.UPDATE_IN_PROGRESS, Step.WAIT, Step.WAIT),
        (D.UPDATE_COMPLETE, Step.DONE, Step.DELETE),
        (D.UPDATE_FAILED_ROLLBACK_IN_PROGRESS, Step.WAIT, Step.WAIT),
        (D.UPDATE_FAILED_ROLLBACK_COMPLETE, Step.DONE, Step.DELETE),
        (D.DELETE_IN_PROGRESS, Step.WAIT, Step.WAIT),
        (D.DELETE_COMPLETE, Step.CREATE, Step.DONE),
        (D.DELETE_FAILED, Step.FAIL, Step.FAIL),
    ],
)
def test_dataset_decisions(status: DatasetStatus | None, present: Step, absent: Step) -> None:
    assert next_dataset_action(True, status).step is present
    assert next_dataset_action(False, status).step is absent


def test_dataset_failure_carries_the_status_message() -> None:
    action = next_dataset_action(True, D.CREATE_FAILED, "manifest not found")
    assert "manifest not found" in action.reason


# -- the versions of a Create that never answered --------------------------------------------------


def test_a_version_may_be_an_unanswered_creates_only_if_created_since_that_create_can_have_begun() -> None:
    timeout, margin = 600.0, UnansweredCreateTimings().margin
    oldest = timeout + margin
    assert lifecycle.may_be_from_unanswered_create(0.0, 0.0, timeout, margin)
    assert lifecycle.may_be_from_unanswered_create(oldest, 0.0, timeout, margin)
    assert not lifecycle.may_be_from_unanswered_create(oldest + 1, 0.0, timeout, margin)
    assert lifecycle.may_be_from_unanswered_create(oldest + 1, 5.0, timeout, margin), (
        "the Delete itself has been running 5 s"
    )
