"""What a dataset's Ground Truth manifest says, and what the service makes of it. Pure: bytes in, values out.

A manifest is JSON lines, one per image: its ``source-ref`` (``s3://bucket/key``) and, for a labeled
image, a label attribute whose ``<attribute>-metadata`` object carries the ``class-name``
(``normal`` or ``anomaly``), as the service's "Defining JSON lines for image classification" page
shows. A line without a ``class-name`` is an unlabeled image. A segmentation line ("Defining JSON
lines for image segmentation") carries the same classification beside its mask: a ``<key>-ref``
and its ``<key>-ref-metadata``, whose ``internal-color-map`` names each anomaly type and its color,
entry ``0`` being ``BACKGROUND``; the emulator keeps the anomaly types and reads no mask image.
The checks, and the texts of the failures, are the emulator's own: the service documents that an
invalid manifest makes the dataset ``CREATE_FAILED`` with a status message, not which checks it
makes nor their words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CLASS_NAMES = ("normal", "anomaly")
# A segmentation mask's background, entry 0 of its color map, and the form of a color there.
BACKGROUND = "BACKGROUND"
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# The image formats the service trains on, by their files' first bytes.
IMAGE_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}


class ManifestError(ValueError):
    """A manifest the service would not import; the message says where and why."""


@dataclass(frozen=True)
class ManifestImage:
    """One image a manifest lists: where it is, and its class (None: unlabeled)."""

    bucket: str
    key: str
    class_name: str | None = None
    # A segmentation line's anomaly types, (class-name, hex-color) in the color map's order, BACKGROUND left
    # out; None for a line without a mask (classification).
    anomaly_types: tuple[tuple[str, str], ...] | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestImage:
        types = data.get("anomaly_types")
        anomaly_types = None if types is None else tuple((str(name), str(color)) for name, color in types)
        return cls(str(data["bucket"]), str(data["key"]), data.get("class_name"), anomaly_types)


@dataclass(frozen=True)
class DatasetImport:
    """What reading a dataset's manifest gave: its images, or why the dataset cannot be created."""

    images: tuple[ManifestImage, ...] = ()
    failure: str | None = None


def parse(body: bytes) -> tuple[ManifestImage, ...]:
    """The images ``body`` lists, in order; ``ManifestError`` for a manifest the service would refuse."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"it is not UTF-8 text (byte {exc.start})") from exc
    images = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            images.append(_image(number, line))
    if not images:
        raise ManifestError("it has no JSON line")
    return tuple(images)


def _image(number: int, line: str) -> ManifestImage:
    try:
        entry = json.loads(line)
    except ValueError:
        entry = None
    if not isinstance(entry, dict):
        raise ManifestError(f"line {number} is not a JSON object")
    source = entry.get("source-ref")
    bucket, _, key = source.removeprefix("s3://").partition("/") if isinstance(source, str) else ("", "", "")
    if not isinstance(source, str) or not source.startswith("s3://") or not bucket or not key:
        raise ManifestError(f"line {number}: source-ref must be an S3 URI, s3://bucket/key")
    classes = [
        value["class-name"]
        for name, value in entry.items()
        if name.endswith("-metadata") and isinstance(value, dict) and "class-name" in value
    ]
    for class_name in classes:
        if class_name not in CLASS_NAMES:
            raise ManifestError(f"line {number}: class-name must be normal or anomaly, not {class_name!r}")
    return ManifestImage(bucket, key, classes[0] if classes else None, _anomaly_types(number, entry))


def _anomaly_types(number: int, entry: Mapping[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """A segmentation line's anomaly types from its mask's ``internal-color-map``; None without a mask."""
    maps = [
        value["internal-color-map"]
        for name, value in entry.items()
        if name.endswith("-ref-metadata") and isinstance(value, dict) and "internal-color-map" in value
    ]
    if not maps:
        return None
    color_map = maps[0]
    if not isinstance(color_map, dict) or not all(str(index).isdigit() for index in color_map):
        raise ManifestError(f"line {number}: internal-color-map must map numbers to anomaly types")
    types = []
    for index in sorted(color_map, key=int):
        item = color_map[index]
        name = item.get("class-name") if isinstance(item, dict) else None
        color = item.get("hex-color") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(color, str) or not HEX_COLOR.fullmatch(color):
            raise ManifestError(
                f"line {number}: internal-color-map entry {index} needs a class-name and a hex-color such as #2ca02c"
            )
        if (int(index) == 0) != (name == BACKGROUND):
            raise ManifestError(f"line {number}: internal-color-map entry 0, and only it, must be {BACKGROUND}")
        if int(index) != 0:
            types.append((name, color))
    return tuple(types)


def image_stats(images: Sequence[ManifestImage]) -> dict[str, int]:
    """DescribeDataset's ImageStats: every image, the labeled ones, and each class."""
    labels = [image.class_name for image in images]
    return {
        "Total": len(images),
        "Labeled": sum(label is not None for label in labels),
        "Normal": labels.count("normal"),
        "Anomaly": labels.count("anomaly"),
    }


def image_format(body: bytes) -> str | None:
    """``PNG`` or ``JPEG`` when ``body`` starts as such a file does; None for anything else."""
    return next((name for name, signature in IMAGE_SIGNATURES.items() if body.startswith(signature)), None)


def images_of(datasets: Mapping[str, Iterable[ManifestImage]]) -> list[tuple[str, ManifestImage]]:
    """(dataset type, image) for every image of every dataset, each image once, train first."""
    seen: set[tuple[str, str]] = set()
    found = []
    for dataset_type in sorted(datasets, key=lambda name: (name != "train", name)):
        for image in datasets[dataset_type]:
            if (image.bucket, image.key) not in seen:
                seen.add((image.bucket, image.key))
                found.append((dataset_type, image))
    return found
