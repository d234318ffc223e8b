"""A small Lookout for Vision dataset as a user prepares one: a Ground Truth manifest and the images it lists.

The manifest is in the service's anomaly classification format: one JSON line per image, its
``source-ref`` (an ``s3://`` URI) and the ``anomaly-label`` attribute (0 normal, 1 anomaly) with its
``anomaly-label-metadata`` (``class-name``, ``type`` ``groundtruth/image-classification``, ...). The
images are valid grayscale PNG files of 64 by 64 pixels written with the standard library: a normal
image is an even gray, an anomalous one has a dark square; 20 normal and 10 anomalous by default.
Pure: bytes only; ``lookoutvision_localcloud.s3_upload`` puts them in a bucket.
"""

from __future__ import annotations

import json
import posixpath
import struct
import zlib
from dataclasses import dataclass

NORMAL_IMAGES = 20
ANOMALOUS_IMAGES = 10
IMAGE_SIZE = 64
LABEL_ATTRIBUTE = "anomaly-label"
# A fixed date: the same dataset gives the same bytes.
CREATION_DATE = "2025-01-01T00:00:00.000"


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """A grayscale PNG (8 bits per pixel) of ``rows``, each ``width`` bytes long."""
    if len(rows) != height or any(len(row) != width for row in rows):
        raise ValueError(f"a {width} x {height} image needs {height} rows of {width} pixels")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale, no interlace
    scanlines = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) on every row
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(scanlines)) + chunk(b"IEND", b"")


def sample_image(index: int, anomalous: bool, size: int = IMAGE_SIZE) -> bytes:
    """Image ``index``: an even gray (a shade of its own), with a dark square off-centre when ``anomalous``."""
    shade = 160 + index % 64
    rows = []
    for y in range(size):
        row = bytearray([shade]) * size
        if anomalous and size // 4 <= y < size // 2:
            start = size // 4 + index % (size // 4)
            row[start : start + size // 4] = bytes(size // 4)
        rows.append(bytes(row))
    return png(size, size, rows)


def manifest_line(source_ref: str, anomalous: bool) -> str:
    """One image's JSON line, as a Ground Truth image classification job writes it."""
    return json.dumps(
        {
            "source-ref": source_ref,
            LABEL_ATTRIBUTE: 1 if anomalous else 0,
            f"{LABEL_ATTRIBUTE}-metadata": {
                "confidence": 1,
                "job-name": "labeling-job/sample-dataset",
                "class-name": "anomaly" if anomalous else "normal",
                "human-annotated": "yes",
                "creation-date": CREATION_DATE,
                "type": "groundtruth/image-classification",
            },
        }
    )


@dataclass(frozen=True)
class SampleDataset:
    """The objects of a dataset in ``bucket``: the manifest at ``manifest_key``, the images beside it.

    Images go under ``images/`` in the manifest's folder (``datasets/train/train.manifest`` →
    ``datasets/train/images/normal-01.png``), so one prefix holds everything the dataset reads.
    """

    bucket: str
    manifest_key: str
    normal: int = NORMAL_IMAGES
    anomalous: int = ANOMALOUS_IMAGES

    @property
    def folder(self) -> str:
        """The manifest's folder, ``""`` or ending in ``/``: the prefix of every object of the dataset."""
        folder = posixpath.dirname(self.manifest_key)
        return f"{folder}/" if folder else ""

    def image_keys(self) -> list[tuple[str, bool]]:
        """Each image's key and whether it is anomalous, in manifest order."""
        normal = [(f"{self.folder}images/normal-{i:02d}.png", False) for i in range(1, self.normal + 1)]
        anomalous = [(f"{self.folder}images/anomaly-{i:02d}.png", True) for i in range(1, self.anomalous + 1)]
        return normal + anomalous

    def manifest(self) -> bytes:
        lines = [manifest_line(f"s3://{self.bucket}/{key}", anomalous) for key, anomalous in self.image_keys()]
        return ("\n".join(lines) + "\n").encode()

    def objects(self) -> dict[str, bytes]:
        """Key → body of every object: the images, then the manifest."""
        images = {key: sample_image(index, anomalous) for index, (key, anomalous) in enumerate(self.image_keys())}
        return {**images, self.manifest_key: self.manifest()}
