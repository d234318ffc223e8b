"""The emulator in a local cloud reads S3 as the service does: the manifest at CreateDataset, the images and the
output's rights at CreateModel, with the caller's rights (through the service), a failure becoming the dataset's or
the model's status message."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.s3_upload import upload
from lookoutvision_localcloud.sample_dataset import SampleDataset, sample_image
from tests.fixtures.role_function import RoleFunction, policy
from tests.localcloud.lookoutvision.arrange import segmentation_line

ACCOUNT = "123456789012"
BUCKET = "inspection-data"
MANIFEST_KEY = "datasets/train/train.manifest"
PROJECT = "boards"
OUTPUT = {"S3Location": {"Bucket": BUCKET, "Prefix": "out/"}}
VIA_SERVICE = {"Bool": {"aws:ViaAWSService": "true"}}
LOOKOUT = {"Effect": "Allow", "Action": "lookoutvision:*", "Resource": "*"}
LOCATE = {"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": f"arn:aws:s3:::{BUCKET}"}
READ_MANIFEST = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/{MANIFEST_KEY}"}
READ_IMAGES = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/datasets/train/*"}
WRITE_OUTPUT = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/out/*"}


def via_service(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**statement, "Condition": VIA_SERVICE} for statement in statements]


def not_via_service(*statements: dict[str, Any]) -> list[dict[str, Any]]:
    """Rights for the caller's own calls only."""
    return [{**statement, "Condition": {"Bool": {"aws:ViaAWSService": "false"}}} for statement in statements]


def source(bucket: str = BUCKET, key: str = MANIFEST_KEY, version_id: str | None = None) -> dict[str, Any]:
    s3_object = {"Bucket": bucket, "Key": key} | ({"VersionId": version_id} if version_id else {})
    return {"GroundTruthManifest": {"S3Object": s3_object}}


def refusal(function: RoleFunction, action: str, resource: str) -> str:
    principal = f"arn:aws:sts::{ACCOUNT}:assumed-role/{function.role_name}/{function.name}"
    return (
        f'AccessDenied on {action}: User: {principal} is not authorized to perform: {action} on resource: "{resource}" '
        f"because no identity-based policy allows the {action} action"
    )


@pytest.fixture(scope="module")
def module_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=1.0) as running:
        yield running


@pytest.fixture
def cloud(module_cloud: LocalCloud) -> Iterator[LocalCloud]:
    """The local cloud, its emulator reset, no quota, the sample dataset in BUCKET."""
    module_cloud.emulator.reset()
    module_cloud.emulator.configure(requests_per_second=None)
    s3 = module_cloud.client("s3")
    upload(s3, {BUCKET: SampleDataset(bucket=BUCKET, manifest_key=MANIFEST_KEY).objects()})
    yield module_cloud
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])


@pytest.fixture(scope="module")
def function(module_cloud: LocalCloud) -> RoleFunction:
    """A local function whose role may do anything in Lookout for Vision; each test gives it its S3 rights."""
    return RoleFunction(module_cloud, policy(LOOKOUT))


def grant(function: RoleFunction, *statements: dict[str, Any]) -> None:
    function.put_policy(policy(LOOKOUT, *statements))


def dataset_after_import(cloud: LocalCloud, created: dict[str, Any] | None = None) -> dict[str, Any]:
    if created is not None:
        assert created.get("result", {}).get("DatasetMetadata", {}).get("Status") == "CREATE_IN_PROGRESS", created
    cloud.emulator.clock.advance(cloud.emulator.settings.durations.creating_dataset)
    described: dict[str, Any] = cloud.lookoutvision().describe_dataset(ProjectName=PROJECT, DatasetType="train")
    return described["DatasetDescription"]


def model_after_training(cloud: LocalCloud, version: str = "1") -> dict[str, Any]:
    cloud.emulator.clock.advance(cloud.emulator.settings.durations.training)
    described: dict[str, Any] = cloud.lookoutvision().describe_model(ProjectName=PROJECT, ModelVersion=version)
    return described["ModelDescription"]


def test_a_dataset_is_imported_from_its_manifest_and_counts_its_images(cloud: LocalCloud) -> None:
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    lookout.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source())
    dataset = dataset_after_import(cloud)
    assert (dataset["Status"], dataset["StatusMessage"]) == ("CREATE_COMPLETE", "Dataset created.")
    assert dataset["ImageStats"] == {"Total": 30, "Labeled": 30, "Normal": 20, "Anomaly": 10}


@pytest.mark.parametrize(
    ("bucket", "key", "cause"),
    [
        (BUCKET, "datasets/train/missing.manifest", "NoSuchKey: The specified key does not exist."),
        ("no-such-bucket-here", MANIFEST_KEY, "NoSuchBucket: The specified bucket does not exist"),
    ],
)
def test_a_manifest_that_is_not_there_fails_the_dataset_with_s3s_error(
    cloud: LocalCloud, bucket: str, key: str, cause: str
) -> None:
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    created = lookout.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source(bucket, key))
    assert created["DatasetMetadata"]["Status"] == "CREATE_IN_PROGRESS"  # the import is asynchronous
    dataset = dataset_after_import(cloud)
    assert dataset["Status"] == "CREATE_FAILED"
    assert dataset["StatusMessage"] == f"Failed to read the manifest file s3://{bucket}/{key}: {cause}"
    listed = lookout.describe_project(ProjectName=PROJECT)["ProjectDescription"]["Datasets"]
    assert [(d["Status"], d["StatusMessage"]) for d in listed] == [("CREATE_FAILED", dataset["StatusMessage"])]
    with pytest.raises(lookout.exceptions.ConflictException):  # nothing to train on
        lookout.create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    lookout.delete_dataset(ProjectName=PROJECT, DatasetType="train")  # a failed dataset can be deleted


def test_a_manifest_the_service_cannot_import_fails_the_dataset_naming_the_line(cloud: LocalCloud) -> None:
    lines = SampleDataset(bucket=BUCKET, manifest_key=MANIFEST_KEY).manifest().splitlines()
    cloud.client("s3").put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=b"\n".join([lines[0], b"{oops", *lines[1:]]))
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    lookout.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source())
    dataset = dataset_after_import(cloud)
    assert dataset["Status"] == "CREATE_FAILED"
    assert dataset["StatusMessage"] == (
        f"The manifest file s3://{BUCKET}/{MANIFEST_KEY} is not valid: line 2 is not a JSON object"
    )


def test_a_manifest_in_a_bucket_of_another_region_fails_the_dataset(cloud: LocalCloud) -> None:
    elsewhere = "inspection-data-ireland"
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(
        Bucket=elsewhere, Key=MANIFEST_KEY, Body=s3.get_object(Bucket=BUCKET, Key=MANIFEST_KEY)["Body"].read()
    )
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    lookout.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source(elsewhere))
    dataset = dataset_after_import(cloud)
    assert dataset["Status"] == "CREATE_FAILED"
    assert dataset["StatusMessage"].endswith(
        f"InvalidBucketRegion: The bucket {elsewhere} is in eu-west-1, not in us-east-1, the service's region."
    )


def test_the_manifest_is_read_with_the_callers_rights_through_the_service(
    cloud: LocalCloud, function: RoleFunction
) -> None:
    grant(function, *via_service(LOCATE, READ_MANIFEST))
    cloud.lookoutvision().create_project(ProjectName=PROJECT)
    created = function.call(
        "lookoutvision", "create_dataset", ProjectName=PROJECT, DatasetType="train", DatasetSource=source()
    )
    assert dataset_after_import(cloud, created)["ImageStats"]["Total"] == 30
    # The same rights do not let the function read the manifest itself: aws:ViaAWSService is false then.
    direct = function.call("s3", "get_object", Bucket=BUCKET, Key=MANIFEST_KEY)
    assert (direct["error"]["code"], direct["error"]["status"]) == ("AccessDenied", 403)


@pytest.mark.parametrize(
    ("statements", "action", "resource"),
    [
        (via_service(LOCATE), "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{MANIFEST_KEY}"),
        (via_service(READ_MANIFEST), "s3:GetBucketLocation", f"arn:aws:s3:::{BUCKET}"),
        (not_via_service(LOCATE, READ_MANIFEST), "s3:GetBucketLocation", f"arn:aws:s3:::{BUCKET}"),
    ],
    ids=["no-get-object", "no-bucket-location", "direct-calls-only"],
)
def test_a_caller_refused_the_manifest_gets_a_failed_dataset_saying_so(
    cloud: LocalCloud, function: RoleFunction, statements: list[dict[str, Any]], action: str, resource: str
) -> None:
    grant(function, *statements)
    cloud.lookoutvision().create_project(ProjectName=PROJECT)
    created = function.call(
        "lookoutvision", "create_dataset", ProjectName=PROJECT, DatasetType="train", DatasetSource=source()
    )
    dataset = dataset_after_import(cloud, created)
    assert dataset["Status"] == "CREATE_FAILED"
    assert dataset["StatusMessage"] == (
        f"Failed to read the manifest file s3://{BUCKET}/{MANIFEST_KEY}: {refusal(function, action, resource)}"
    )


def test_a_manifest_version_is_read_as_named_and_needs_get_object_version(
    cloud: LocalCloud, function: RoleFunction
) -> None:
    s3 = cloud.client("s3")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = SampleDataset(bucket=BUCKET, manifest_key=MANIFEST_KEY, normal=4, anomalous=2).manifest()
    version_id = s3.put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=first)["VersionId"]
    s3.put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=b"not a manifest")  # the current version
    grant(function, *via_service(LOCATE, READ_MANIFEST))
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    versioned = source(version_id=version_id)
    created = function.call(
        "lookoutvision", "create_dataset", ProjectName=PROJECT, DatasetType="train", DatasetSource=versioned
    )
    refused = dataset_after_import(cloud, created)
    resource = f"arn:aws:s3:::{BUCKET}/{MANIFEST_KEY}"
    assert refused["StatusMessage"].endswith(refusal(function, "s3:GetObjectVersion", resource))
    lookout.delete_dataset(ProjectName=PROJECT, DatasetType="train")
    cloud.emulator.clock.advance(cloud.emulator.settings.durations.deleting_dataset)

    read_versions = {**READ_MANIFEST, "Action": ["s3:GetObject", "s3:GetObjectVersion"]}
    grant(function, *via_service(LOCATE, read_versions))
    created = function.call(
        "lookoutvision", "create_dataset", ProjectName=PROJECT, DatasetType="train", DatasetSource=versioned
    )
    dataset = dataset_after_import(cloud, created)
    assert dataset["Status"] == "CREATE_COMPLETE"
    assert dataset["ImageStats"] == {"Total": 6, "Labeled": 6, "Normal": 4, "Anomaly": 2}


def _project_with_dataset(cloud: LocalCloud) -> None:
    lookout = cloud.lookoutvision()
    lookout.create_project(ProjectName=PROJECT)
    lookout.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source())
    assert dataset_after_import(cloud)["Status"] == "CREATE_COMPLETE"


def test_training_reads_every_image_and_needs_the_output_bucket(cloud: LocalCloud) -> None:
    _project_with_dataset(cloud)
    lookout = cloud.lookoutvision()
    lookout.create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    assert model_after_training(cloud)["Status"] == "TRAINED"

    missing_output = {"S3Location": {"Bucket": "no-such-output-bucket"}}
    lookout.create_model(ProjectName=PROJECT, OutputConfig=missing_output)
    model = model_after_training(cloud, "2")
    assert (model["Status"], model["StatusMessage"]) == (
        "TRAINING_FAILED",
        "Failed to write the training output to s3://no-such-output-bucket: "
        "NoSuchBucket: The specified bucket does not exist",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("delete", "Failed to read image s3://{bucket}/{key} of the train dataset: NoSuchKey: "),
        ("overwrite", "Image s3://{bucket}/{key} of the train dataset is not a PNG or JPEG image."),
    ],
)
def test_training_fails_on_an_image_that_is_gone_or_not_an_image(cloud: LocalCloud, change: str, message: str) -> None:
    _project_with_dataset(cloud)
    key = "datasets/train/images/anomaly-03.png"
    s3 = cloud.client("s3")
    if change == "delete":
        s3.delete_object(Bucket=BUCKET, Key=key)
    else:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"GIF89a")
    cloud.lookoutvision().create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    model = model_after_training(cloud)
    assert model["Status"] == "TRAINING_FAILED"
    assert model["StatusMessage"].startswith(message.format(bucket=BUCKET, key=key))
    assert "Performance" not in model


def test_training_reads_and_writes_with_the_callers_rights(cloud: LocalCloud, function: RoleFunction) -> None:
    _project_with_dataset(cloud)
    output_key = f"out/{PROJECT}/model-1/evaluation/manifest.json"

    grant(function, *via_service(LOCATE, READ_IMAGES))
    function.call("lookoutvision", "create_model", ProjectName=PROJECT, OutputConfig=OUTPUT)
    model = model_after_training(cloud, "1")
    assert model["Status"] == "TRAINING_FAILED"
    expected = refusal(function, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/{output_key}")
    assert model["StatusMessage"] == f"Failed to write the training output to s3://{BUCKET}: {expected}"

    grant(function, *via_service(LOCATE, READ_MANIFEST, WRITE_OUTPUT))  # the manifest, not the images
    function.call("lookoutvision", "create_model", ProjectName=PROJECT, OutputConfig=OUTPUT)
    model = model_after_training(cloud, "2")
    image = "datasets/train/images/normal-01.png"
    expected = refusal(function, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/{image}")
    assert model["StatusMessage"] == f"Failed to read image s3://{BUCKET}/{image} of the train dataset: {expected}"

    grant(function, *via_service(LOCATE, READ_IMAGES, WRITE_OUTPUT))
    function.call("lookoutvision", "create_model", ProjectName=PROJECT, OutputConfig=OUTPUT)
    assert model_after_training(cloud, "3")["Status"] == "TRAINED"


def test_the_images_and_their_failures_survive_a_saved_state(cloud: LocalCloud, tmp_path: Any) -> None:
    _project_with_dataset(cloud)
    cloud.client("s3").delete_object(Bucket=BUCKET, Key="datasets/train/images/normal-02.png")
    cloud.lookoutvision().create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    saved = json.loads(cloud.emulator.save(tmp_path / "state.json").read_text())
    cloud.emulator.load(tmp_path / "state.json")
    assert cloud.emulator.backend.dataset_images(PROJECT)["train"][0].key == "datasets/train/images/normal-01.png"
    assert saved["projects"][0]["models"]["1"]["training_failure"].startswith("Failed to read image")
    assert model_after_training(cloud)["Status"] == "TRAINING_FAILED"


def png_of(side: int, gray: int = 180) -> bytes:
    out = io.BytesIO()
    Image.new("L", (side, side), gray).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (
            32,
            "Image s3://{bucket}/{key} of the train dataset is 32 x 32 pixels: each side of an image must be from 64 "
            "to 4096 pixels.",
        ),
        (
            80,
            "Image s3://{bucket}/{key} of the train dataset is 80 x 80 pixels, image s3://{bucket}/{first} 64 x 64 "
            "pixels: the images of a project must all have the same dimensions.",
        ),
    ],
)
def test_training_fails_on_an_image_out_of_quota_or_of_other_dimensions(
    cloud: LocalCloud, side: int, message: str
) -> None:
    _project_with_dataset(cloud)
    key = "datasets/train/images/anomaly-02.png"
    cloud.client("s3").put_object(Bucket=BUCKET, Key=key, Body=png_of(side))
    cloud.lookoutvision().create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    model = model_after_training(cloud)
    first = "datasets/train/images/normal-01.png"
    assert (model["Status"], model["StatusMessage"]) == (
        "TRAINING_FAILED",
        message.format(bucket=BUCKET, key=key, first=first),
    )


def test_detect_anomalies_needs_images_of_the_dimensions_the_model_was_trained_on(
    cloud: LocalCloud, tmp_path: Any
) -> None:
    _project_with_dataset(cloud)
    lookout = cloud.lookoutvision()
    lookout.create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    assert model_after_training(cloud)["Status"] == "TRAINED"
    lookout.start_model(ProjectName=PROJECT, ModelVersion="1", MinInferenceUnits=1)
    cloud.emulator.clock.advance(cloud.emulator.settings.durations.starting_hosting)
    cloud.emulator.load(cloud.emulator.save(tmp_path / "state.json"))  # what it was trained on is kept

    def detect(body: bytes) -> dict[str, Any]:
        answer = lookout.detect_anomalies(ProjectName=PROJECT, ModelVersion="1", ContentType="image/png", Body=body)
        return dict(answer["DetectAnomalyResult"])

    assert detect(sample_image(7, anomalous=True))["IsAnomalous"] is True
    assert detect(png_of(64))["IsAnomalous"] is False
    with pytest.raises(lookout.exceptions.ValidationException) as caught:
        detect(png_of(100))
    assert caught.value.response["Error"]["Message"] == (
        f"Body is 100 x 100 pixels, but model version 1 of project {PROJECT} was trained on images of 64 x 64 "
        "pixels: DetectAnomalies needs images of the same dimensions."
    )


def test_a_model_trained_on_segmentation_lines_answers_anomalies_and_a_mask(cloud: LocalCloud) -> None:
    dataset = SampleDataset(bucket=BUCKET, manifest_key=MANIFEST_KEY)
    lines = [segmentation_line(f"s3://{BUCKET}/{key}", anomalous) for key, anomalous in dataset.image_keys()]
    cloud.client("s3").put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body="\n".join(lines).encode())
    _project_with_dataset(cloud)
    lookout = cloud.lookoutvision()
    lookout.create_model(ProjectName=PROJECT, OutputConfig=OUTPUT)
    assert model_after_training(cloud)["Status"] == "TRAINED"
    lookout.start_model(ProjectName=PROJECT, ModelVersion="1", MinInferenceUnits=1)
    cloud.emulator.clock.advance(cloud.emulator.settings.durations.starting_hosting)

    image = sample_image(3, anomalous=True)
    answer = lookout.detect_anomalies(ProjectName=PROJECT, ModelVersion="1", ContentType="image/png", Body=image)
    result = answer["DetectAnomalyResult"]
    assert (result["IsAnomalous"], result["Confidence"]) == (True, 0.7917)
    assert result["Anomalies"] == [
        {"Name": "background", "PixelAnomaly": {"TotalPercentageArea": 0.9375, "Color": "#ffffff"}},
        {"Name": "scratch", "PixelAnomaly": {"TotalPercentageArea": 0.0625, "Color": "#2ca02c"}},
    ]
    mask = Image.open(io.BytesIO(result["AnomalyMask"]))
    assert mask.size == (64, 64)
    assert sorted(mask.convert("RGB").getcolors()) == [(256, (0x2C, 0xA0, 0x2C)), (3840, (255, 255, 255))]
