"""The sample dataset: a manifest in the service's anomaly classification format and valid PNG images."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from lookoutvision_localcloud.sample_dataset import SampleDataset, png, sample_image


def test_images_are_valid_64_pixel_grayscale_pngs_and_anomalies_differ() -> None:
    normal = Image.open(io.BytesIO(sample_image(3, anomalous=False)))
    anomalous = Image.open(io.BytesIO(sample_image(3, anomalous=True)))
    for image in (normal, anomalous):
        image.load()  # decodes every row: a bad checksum or a short row raises
        assert (image.format, image.mode, image.size) == ("PNG", "L", (64, 64))
    assert normal.getextrema() == (163, 163)  # an even gray
    assert anomalous.getextrema() == (0, 163)  # with a dark square
    assert anomalous.histogram()[0] == 16 * 16  # pixels of value 0


def test_png_refuses_rows_that_do_not_match_the_size() -> None:
    with pytest.raises(ValueError, match="a 2 x 2 image needs 2 rows of 2 pixels"):
        png(2, 2, [b"\x00\x00", b"\x00"])


def test_the_manifest_lists_every_image_with_its_label() -> None:
    dataset = SampleDataset(bucket="data", manifest_key="datasets/train/train.manifest")
    objects = dataset.objects()
    lines = [json.loads(line) for line in objects["datasets/train/train.manifest"].decode().splitlines()]
    assert len(lines) == 30
    listed = {line["source-ref"].removeprefix("s3://data/") for line in lines}
    assert listed == set(objects) - {"datasets/train/train.manifest"}
    assert all(key.startswith("datasets/train/images/") for key in listed)
    for line in lines:
        metadata = line["anomaly-label-metadata"]
        assert metadata["type"] == "groundtruth/image-classification"
        assert (line["anomaly-label"], metadata["class-name"]) in {(0, "normal"), (1, "anomaly")}
        is_anomaly = Image.open(io.BytesIO(objects[line["source-ref"].removeprefix("s3://data/")])).getextrema()[0] == 0
        assert is_anomaly == (line["anomaly-label"] == 1)
    assert [line["anomaly-label"] for line in lines].count(0) == 20


def test_a_manifest_at_the_bucket_root_keeps_its_images_under_images() -> None:
    dataset = SampleDataset(bucket="data", manifest_key="train.manifest", normal=1, anomalous=1)
    assert dataset.folder == ""
    assert sorted(dataset.objects()) == ["images/anomaly-01.png", "images/normal-01.png", "train.manifest"]
