"""Physical ids: one parser tells every form apart, each part checked against the service model. Owner tags."""

from __future__ import annotations

import pytest

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_cdk_provider.identifiers import (
    OWNER_TAG_KEY,
    DatasetRef,
    FailedCreate,
    MadeUp,
    ModelRef,
    Owner,
    UnconfirmedDatasetCreate,
    UnconfirmedModelCreate,
    model_named_by,
    owner_tag_value,
    parse_physical_id,
)

ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/my-project/12"
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/my-stack/5b7b0a10-0000-4000-8000-000000000000"


def test_a_model_arn() -> None:
    assert parse_physical_id(ARN) == ModelRef("my-project", "12", ARN)
    assert parse_physical_id(ARN).physical_id == ARN
    china = ARN.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1")
    assert model_named_by(china) == ModelRef("my-project", "12", china)


@pytest.mark.parametrize(
    "physical_id",
    [
        "stack_Model_ABCDEFGH",
        "arn:aws:lookoutvision:us-east-1:123456789012:project/my-project",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/my-project/latest",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/my-project/0",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/-bad/1",
        "arn:aws:lookoutvision:us-east-1:123456789012:model/p/1/extra",
        "arn:aws:s3:::bucket/model/p/1",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_no_model(physical_id: object) -> None:
    assert model_named_by(physical_id) is None
    if isinstance(physical_id, str):
        assert not isinstance(parse_physical_id(physical_id), ModelRef)


def test_a_dataset_id_round_trips() -> None:
    ref = DatasetRef("my-project", "test")
    assert parse_physical_id(ref.physical_id) == ref


@pytest.mark.parametrize("physical_id", ["my-project", "my-project/validation", "a/b/train", "/train", "stack_X_AB"])
def test_anything_else_is_no_dataset(physical_id: str) -> None:
    assert not isinstance(parse_physical_id(physical_id), DatasetRef)


def test_an_unconfirmed_dataset_id_names_the_dataset_and_the_create_request() -> None:
    ref = DatasetRef("my-project", "train")
    request_id = "5b7b0a10-0000-4000-8000-000000000000"
    physical_id = UnconfirmedDatasetCreate(ref, request_id).physical_id

    assert parse_physical_id(physical_id) == UnconfirmedDatasetCreate(ref, request_id)
    assert parse_physical_id(physical_id) != ref, "not the id of a confirmed dataset"
    assert parse_physical_id(ref.physical_id) == ref


@pytest.mark.parametrize(
    "physical_id",
    [
        "my-project/train",
        "my-project/train/CreateDataset-unconfirmed-",
        "my-project/train/other-marker-5b7b",
        "my-project/validation/CreateDataset-unconfirmed-5b7b",
        "my-project/CreateModel-unconfirmed",
    ],
)
def test_anything_else_is_no_unconfirmed_dataset(physical_id: str) -> None:
    assert not isinstance(parse_physical_id(physical_id), UnconfirmedDatasetCreate)


@pytest.mark.parametrize(
    ("physical_id", "expected"),
    [
        ("my-stack_Model_AB12CD34", True),
        ("my-stack_Model_ab12cd34", False),
        ("my-stack_Other_AB12CD34", False),
        ("other-stack_Model_AB12CD34", False),
        ("my-stack-Model-AB12CD34EF56", False),
        ("my-stack_Model_AB12CD345", False),
    ],
)
def test_crhelpers_failed_create_id_is_recognised(physical_id: str, expected: bool) -> None:
    assert isinstance(parse_physical_id(physical_id, STACK, "Model"), FailedCreate) is expected
    assert not isinstance(parse_physical_id(physical_id), FailedCreate), "only for the event's stack and resource"


def test_a_failed_create_answers_one_id_per_request_in_crhelpers_form() -> None:
    made = FailedCreate.of(STACK, "Model", "request-1")
    assert made == FailedCreate.of(STACK, "Model", "request-1")
    assert made != FailedCreate.of(STACK, "Model", "request-2")
    assert parse_physical_id(made.physical_id, STACK, "Model") == made
    assert made.physical_id.startswith("my-stack_Model_")


def test_any_other_id_was_made_up_by_cloudformation() -> None:
    for physical_id in ("my-stack-Model-AB12CD34EF56", "", ARN.replace("/12", "/latest")):
        assert parse_physical_id(physical_id, STACK, "Model") == MadeUp(physical_id)


REQUEST = "0c1d2e3f-0000-4000-8000-000000000001"


def test_the_owner_tag_value_is_stable_per_resource_and_per_request() -> None:
    value = owner_tag_value(STACK, "Model", REQUEST)
    assert value == owner_tag_value(STACK, "Model", REQUEST)
    assert value != owner_tag_value(STACK, "Other", REQUEST)
    assert value != owner_tag_value(STACK.replace("5b7b", "6c8c"), "Model", REQUEST)  # the same stack name, recreated
    assert value != owner_tag_value(STACK, "Model", REQUEST.replace("0001", "0002"))  # a later life of "Model"
    assert value.endswith(f":{REQUEST}")


@pytest.mark.parametrize("request_id", [REQUEST, "x" * 300, "a request id with / and # and :"])
def test_the_owner_tag_value_is_a_valid_tag_value(request_id: str) -> None:
    value = owner_tag_value(STACK, "M" * 255, request_id)
    tags = [{"Key": OWNER_TAG_KEY, "Value": value}]
    assert servicemodel.validate_input("TagResource", {"ResourceArn": ARN, "Tags": tags}) == []
    assert Owner.of(STACK, "M" * 255, request_id).made(value)


def test_an_owner_with_a_request_made_only_that_requests_versions() -> None:
    create = Owner.of(STACK, "Model", REQUEST)
    later = Owner.of(STACK, "Model", REQUEST.replace("0001", "0002"))
    resource = Owner.of(STACK, "Model")
    before_requests = resource.tag_value  # a version tagged before the tag named its request

    assert create.made(create.tag_value)
    assert not create.made(later.tag_value)
    assert not create.made(before_requests)
    assert resource.made(create.tag_value) and resource.made(later.tag_value) and resource.made(before_requests)
    assert create.of_resource() == resource
    assert resource.with_request(REQUEST) == create
    assert not resource.made(Owner.of(STACK, "Other", REQUEST).tag_value)
    assert not resource.made(None)
    assert not resource.made(("0" if create.tag_value[0] != "0" else "1") + create.tag_value[1:])


def test_an_unconfirmed_model_id_names_the_project_and_the_create_request() -> None:
    physical_id = UnconfirmedModelCreate("my-project", REQUEST).physical_id

    assert parse_physical_id(physical_id, STACK, "Model") == UnconfirmedModelCreate("my-project", REQUEST)
    assert model_named_by(physical_id) is None


@pytest.mark.parametrize(
    "physical_id",
    [
        "my-project/CreateModel-unconfirmed",  # an earlier provider's: it named no request
        "my-project/CreateModel-unconfirmed-",
        "-bad/CreateModel-unconfirmed-5b7b",
        "my-project/train/CreateDataset-unconfirmed-5b7b",
        "my-project/CreateModel-unconfirmed-5b7b/extra",
        "my-stack-Model-AB12CD34EF56",
        ARN,
    ],
)
def test_anything_else_is_no_unconfirmed_model(physical_id: str) -> None:
    assert not isinstance(parse_physical_id(physical_id), UnconfirmedModelCreate)
