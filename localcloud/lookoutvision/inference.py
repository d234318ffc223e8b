"""DetectAnomalies' image: checked as the service checks it, and judged by the emulator's rule. Pure.

The request's image must be a PNG or JPEG file (by its bytes) of the type its ``ContentType``
says (``image/png`` or ``image/jpeg``, the API's two values), of at most 8 MB, each side 64 to 4096
pixels, and of the dimensions of the images the model was trained on; otherwise
``InvalidImage`` names the member and the constraint.

The rule that stands in for a trained model (docs/decisions/0110-detect-anomalies.md), deterministic
so that a test can steer it: the image is read in gray levels; a pixel is *dark* when it is more
than ``DARKER_BY`` levels below the image's median level, and the image is anomalous when its dark
pixels cover at least ``ANOMALOUS_SHARE`` of it (the sample dataset's anomalous images carry a dark
square on an even gray). ``Confidence`` is 0.5 at that share and grows to 1.0 as the dark share
moves away from it: down to none for a normal image, up to ``CERTAIN_SHARE`` for an anomalous one.
The ``detection_outcome`` setting can fix the answer instead (``normal`` or ``anomalous``, with a
confidence of 1.0); the image is checked all the same.

A segmentation model (trained on a manifest with masks) also answers ``Anomalies`` and an
``AnomalyMask``, from the pixels alone, as the service computes them apart from the classification:
the ``background`` (``#ffffff``) first, then, when the dark pixels reach ``ANOMALOUS_SHARE``, the
model's first anomaly type over the dark pixels, in its color; each with the share of the image it
covers (``TotalPercentageArea``, from 0 to 1). The mask is a PNG of the image's dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .images import (
    MAX_DIMENSION,
    MAX_IMAGE_BYTES,
    MIN_DIMENSION,
    NotAnImage,
    gray_histogram,
    mask_png,
    read_header,
)
from .settings import DetectionOutcome

# The ContentType values DetectAnomalies accepts, and the format each names.
CONTENT_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
DARKER_BY = 64  # gray levels below the image's median: a quarter of the scale
ANOMALOUS_SHARE = 0.01  # of the image's pixels, dark: anomalous from 1% on
CERTAIN_SHARE = 0.10  # dark share at which an anomalous image's confidence reaches 1.0
BACKGROUND = ("background", "#ffffff")  # the first anomaly type of every segmentation answer, and its color


class InvalidImage(ValueError):
    """A DetectAnomalies request whose image the service refuses; the message names the member and why."""


@dataclass(frozen=True)
class ImageReading:
    """What the rule reads from a request's image: its dimensions, and which of its pixels are dark (gray levels
    below ``darker_than``) and their share."""

    width: int
    height: int
    dark_share: float
    darker_than: int = 0

    @property
    def dimensions(self) -> str:
        return f"{self.width} x {self.height} pixels"


def read_image(body: bytes, content_type: str) -> ImageReading:
    """The checked image of a DetectAnomalies request; ``InvalidImage`` for one the service refuses."""
    expected = CONTENT_TYPES.get(content_type)
    if expected is None:
        raise InvalidImage(
            f"ContentType {content_type!r} is not one DetectAnomalies accepts: use image/png (PNG format images) "
            "or image/jpeg (JPG format images)."
        )
    if len(body) > MAX_IMAGE_BYTES:
        raise InvalidImage(f"Body is {len(body)} bytes: an image may have at most 8 MB ({MAX_IMAGE_BYTES} bytes).")
    try:
        header = read_header(body)
    except NotAnImage as exc:
        raise InvalidImage(f"Body is not an image the service can analyze: {exc}.") from exc
    if header.format != expected:
        raise InvalidImage(
            f"Body is a {header.format} image but ContentType is {content_type}: the type must be the image's."
        )
    if not header.within_quota():
        raise InvalidImage(
            f"Body is {header.dimensions}: each side of an image must be from {MIN_DIMENSION} to "
            f"{MAX_DIMENSION} pixels."
        )
    try:
        histogram = gray_histogram(body)
    except NotAnImage as exc:
        raise InvalidImage(f"Body is not an image the service can analyze: {exc}.") from exc
    level = dark_level(histogram)
    return ImageReading(header.width, header.height, dark_share(histogram), level)


def dark_level(histogram: list[int]) -> int:
    """The gray level below which a pixel is dark: ``DARKER_BY`` levels below the median, from a 256-level histogram."""
    total = sum(histogram)
    seen = 0
    for level, count in enumerate(histogram):
        seen += count
        if total and 2 * seen >= total:
            return max(0, level - DARKER_BY)
    return 0


def dark_share(histogram: list[int]) -> float:
    """The share of pixels more than ``DARKER_BY`` gray levels below the median level, from a 256-level histogram."""
    total = sum(histogram)
    return sum(histogram[: dark_level(histogram)]) / total if total else 0.0


def detect_anomaly_result(reading: ImageReading, outcome: DetectionOutcome = "pixels") -> dict[str, Any]:
    """The DetectAnomalyResult of a classification model for ``reading``, by the rule or the fixed ``outcome``."""
    if outcome == "pixels":
        share = reading.dark_share
        anomalous = share >= ANOMALOUS_SHARE
        if anomalous:
            distance = (share - ANOMALOUS_SHARE) / (CERTAIN_SHARE - ANOMALOUS_SHARE)
        else:
            distance = (ANOMALOUS_SHARE - share) / ANOMALOUS_SHARE
        confidence = round(0.5 + 0.5 * min(1.0, distance), 4)
    else:
        anomalous, confidence = outcome == "anomalous", 1.0
    return {"Source": {"Type": "direct"}, "IsAnomalous": anomalous, "Confidence": confidence}


def segmentation(body: bytes, reading: ImageReading, anomaly_types: list[tuple[str, str]]) -> dict[str, Any]:
    """A segmentation model's ``Anomalies`` and ``AnomalyMask`` for the checked image ``body``.

    ``anomaly_types``: the model's (name, hex color) pairs, from its training manifests' color maps.
    """
    found = reading.dark_share >= ANOMALOUS_SHARE and bool(anomaly_types)
    share = reading.dark_share if found else 0.0
    name, color = anomaly_types[0] if found else BACKGROUND
    anomalies = [_anomaly(*BACKGROUND, 1.0 - share)] + ([_anomaly(name, color, share)] if found else [])
    return {"Anomalies": anomalies, "AnomalyMask": mask_png(body, reading.darker_than if found else 0, color)}


def _anomaly(name: str, color: str, area: float) -> dict[str, Any]:
    return {"Name": name, "PixelAnomaly": {"TotalPercentageArea": round(area, 4), "Color": color}}
