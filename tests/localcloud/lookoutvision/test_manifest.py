"""A Ground Truth manifest as the emulator reads it: the images it lists, their classes, and what it refuses."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from lookoutvision_localcloud.lookoutvision.manifest import (
    ManifestError,
    ManifestImage,
    image_format,
    image_stats,
    images_of,
    parse,
)
from lookoutvision_localcloud.sample_dataset import SampleDataset, manifest_line, sample_image
from tests.localcloud.lookoutvision.arrange import segmentation_line


def test_the_sample_manifest_lists_its_images_with_their_classes() -> None:
    dataset = SampleDataset(bucket="data", manifest_key="datasets/train/train.manifest")
    images = parse(dataset.manifest())
    assert [image.uri for image in images] == [f"s3://data/{key}" for key, _ in dataset.image_keys()]
    assert images[0] == ManifestImage("data", "datasets/train/images/normal-01.png", "normal")
    assert image_stats(images) == {"Total": 30, "Labeled": 30, "Normal": 20, "Anomaly": 10}


def test_a_line_without_a_class_name_is_an_unlabeled_image_and_blank_lines_are_skipped() -> None:
    body = "\n".join([json.dumps({"source-ref": "s3://data/a.png"}), "", manifest_line("s3://data/b.png", True)])
    images = parse(body.encode())
    assert images == (ManifestImage("data", "a.png", None), ManifestImage("data", "b.png", "anomaly"))
    assert image_stats(images) == {"Total": 2, "Labeled": 1, "Normal": 0, "Anomaly": 1}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "it has no JSON line"),
        (b"\n  \n", "it has no JSON line"),
        (b"\xff\xfe", "it is not UTF-8 text (byte 0)"),
        (b'{"source-ref": "s3://data/a.png"}\nnot json\n', "line 2 is not a JSON object"),
        (b'["s3://data/a.png"]', "line 1 is not a JSON object"),
        (b'{"anomaly-label": 1}', "line 1: source-ref must be an S3 URI, s3://bucket/key"),
        (b'{"source-ref": "https://data/a.png"}', "line 1: source-ref must be an S3 URI, s3://bucket/key"),
        (b'{"source-ref": "s3://data"}', "line 1: source-ref must be an S3 URI, s3://bucket/key"),
        (
            b'{"source-ref": "s3://data/a.png", "anomaly-label-metadata": {"class-name": "scratch"}}',
            "line 1: class-name must be normal or anomaly, not 'scratch'",
        ),
    ],
)
def test_a_manifest_the_service_would_not_import_is_refused_saying_where(body: bytes, problem: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse(body)
    assert str(caught.value) == problem


def test_png_and_jpeg_images_are_recognised_by_their_first_bytes() -> None:
    assert image_format(sample_image(0, anomalous=False)) == "PNG"
    assert image_format(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "JPEG"
    assert image_format(b"GIF89a") is None
    assert image_format(b"") is None


def test_every_image_of_the_datasets_is_counted_once_train_first() -> None:
    shared = ManifestImage("data", "shared.png", "normal")
    datasets = {"test": [ManifestImage("data", "t.png"), shared], "train": [shared, ManifestImage("data", "n.png")]}
    assert images_of(datasets) == [
        ("train", shared),
        ("train", ManifestImage("data", "n.png")),
        ("test", ManifestImage("data", "t.png")),
    ]


def test_a_segmentation_line_keeps_its_anomaly_types_beside_its_class() -> None:
    body = "\n".join([segmentation_line("s3://data/a.png", True), manifest_line("s3://data/b.png", False)])
    segmented, classified = parse(body.encode())
    assert segmented == ManifestImage("data", "a.png", "anomaly", (("scratch", "#2ca02c"), ("dent", "#1f77b4")))
    assert classified.anomaly_types is None
    assert ManifestImage.from_dict(dataclasses.asdict(segmented)) == segmented  # as a saved state reads it back


@pytest.mark.parametrize(
    ("color_map", "message"),
    [
        ({"0": {"class-name": "BACKGROUND", "hex-color": "white"}}, "entry 0 needs a class-name and a hex-color"),
        ({"0": {"class-name": "scratch", "hex-color": "#2ca02c"}}, "entry 0, and only it, must be BACKGROUND"),
        ({"first": {"class-name": "BACKGROUND", "hex-color": "#ffffff"}}, "must map numbers to anomaly types"),
    ],
)
def test_a_color_map_the_service_would_refuse(color_map: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError, match=f"line 1: internal-color-map {message}"):
        parse(segmentation_line("s3://data/a.png", True, color_map).encode())
