"""DetectAnomalies' image, checked as the service checks it, and the emulator's rule that answers it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lookoutvision_localcloud.lookoutvision.inference import (
    ImageReading,
    InvalidImage,
    dark_share,
    detect_anomaly_result,
    read_image,
    segmentation,
)
from lookoutvision_localcloud.sample_dataset import sample_image


def part(side: int = 100, square: int = 0, *, gray: int = 180, kind: str = "PNG", mode: str = "L") -> bytes:
    """A ``side`` x ``side`` even gray part with a black ``square`` x ``square`` defect in a corner."""
    image = Image.new("L", (side, side), gray)
    image.paste(0, (0, 0, square, square))
    out = io.BytesIO()
    image.convert(mode).save(out, format=kind)
    return out.getvalue()


def test_the_sample_datasets_images_are_read_normal_and_anomalous() -> None:
    normal = read_image(sample_image(5, anomalous=False), "image/png")
    anomalous = read_image(sample_image(5, anomalous=True), "image/png")
    assert (normal.width, normal.height, normal.dark_share) == (64, 64, 0.0)
    assert anomalous.dark_share == 16 * 16 / (64 * 64)
    assert detect_anomaly_result(normal) == {"Source": {"Type": "direct"}, "IsAnomalous": False, "Confidence": 1.0}
    assert detect_anomaly_result(anomalous) == {"Source": {"Type": "direct"}, "IsAnomalous": True, "Confidence": 0.7917}


@pytest.mark.parametrize(
    ("square", "anomalous", "confidence"),
    [
        (0, False, 1.0),  # no dark pixel: as sure as it gets
        (9, False, 0.595),  # 0.81% dark: below the 1% line, and near it
        (10, True, 0.5),  # exactly 1%: anomalous, barely
        (20, True, 0.6667),  # 4%
        (32, True, 1.0),  # 10.24%: past the 10% of certainty
    ],
)
def test_an_image_is_anomalous_from_one_percent_of_dark_pixels(square: int, anomalous: bool, confidence: float) -> None:
    result = detect_anomaly_result(read_image(part(100, square), "image/png"))
    assert (result["IsAnomalous"], result["Confidence"]) == (anomalous, confidence)


def test_dark_is_relative_to_the_images_median_gray() -> None:
    # On a dark part, a square 60 levels darker is not dark enough; 70 levels is.
    assert dark_share(Image.new("L", (10, 10), 100).histogram()) == 0.0
    shallow = Image.new("L", (10, 10), 100)
    shallow.paste(40, (0, 0, 5, 5))
    deep = Image.new("L", (10, 10), 100)
    deep.paste(30, (0, 0, 5, 5))
    assert dark_share(shallow.histogram()) == 0.0
    assert dark_share(deep.histogram()) == 0.25
    assert dark_share([0] * 256) == 0.0


def test_a_jpeg_and_a_colour_image_are_judged_alike() -> None:
    jpeg = read_image(part(100, 20, kind="JPEG"), "image/jpeg")
    rgb = read_image(part(100, 20, mode="RGB"), "image/png")
    assert detect_anomaly_result(jpeg)["IsAnomalous"] and detect_anomaly_result(rgb)["IsAnomalous"]
    assert abs(jpeg.dark_share - 0.04) < 0.005  # JPEG's ringing blurs the square's edge a little


@pytest.mark.parametrize("outcome", ["normal", "anomalous"])
def test_a_fixed_outcome_answers_every_image_alike(outcome: str) -> None:
    reading = ImageReading(64, 64, dark_share=0.5)
    result = detect_anomaly_result(reading, outcome)  # type: ignore[arg-type]
    assert result == {"Source": {"Type": "direct"}, "IsAnomalous": outcome == "anomalous", "Confidence": 1.0}


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (part(), "image/gif", "ContentType 'image/gif' is not one DetectAnomalies accepts: use image/png"),
        (part(), "application/octet-stream", "ContentType 'application/octet-stream' is not one DetectAnomalies"),
        (part(), "image/jpeg", "Body is a PNG image but ContentType is image/jpeg: the type must be the image's"),
        (part(kind="JPEG"), "image/png", "Body is a JPEG image but ContentType is image/png"),
        (b"not an image", "image/png", "Body is not an image the service can analyze: it is not a PNG or JPEG image"),
        (b"", "image/png", "Body is not an image the service can analyze"),
        (part(63), "image/png", "Body is 63 x 63 pixels: each side of an image must be from 64 to 4096 pixels"),
        (
            b"\xff\xd8\xff" + bytes(8 * 1024 * 1024),
            "image/jpeg",
            "Body is 8388611 bytes: an image may have at most 8 MB",
        ),
    ],
)
def test_what_the_service_refuses(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(InvalidImage, match=message.replace("(", r"\(")):
        read_image(body, content_type)


def test_a_truncated_image_is_refused() -> None:
    noisy = io.BytesIO()
    Image.effect_noise((256, 256), 64).save(noisy, format="PNG")
    body = noisy.getvalue()
    with pytest.raises(InvalidImage, match="Body is not an image the service can analyze: its pixels do not decode"):
        read_image(body[: len(body) // 2], "image/png")


def test_a_segmentation_model_covers_the_dark_pixels_with_its_first_anomaly_type() -> None:
    body = part(100, 20)
    found = segmentation(body, read_image(body, "image/png"), [("scratch", "#2ca02c"), ("dent", "#1f77b4")])
    assert found["Anomalies"] == [
        {"Name": "background", "PixelAnomaly": {"TotalPercentageArea": 0.96, "Color": "#ffffff"}},
        {"Name": "scratch", "PixelAnomaly": {"TotalPercentageArea": 0.04, "Color": "#2ca02c"}},
    ]
    mask = Image.open(io.BytesIO(found["AnomalyMask"]))
    assert (mask.format, mask.size) == ("PNG", (100, 100))
    assert (mask.getpixel((5, 5)), mask.getpixel((50, 50))) == ((0x2C, 0xA0, 0x2C), (255, 255, 255))
    assert sorted(mask.convert("RGB").getcolors()) == [(400, (0x2C, 0xA0, 0x2C)), (9600, (255, 255, 255))]


def test_a_segmentation_model_finds_only_background_on_a_normal_image() -> None:
    body = part(100, 5)  # 0.25% dark: below the line
    found = segmentation(body, read_image(body, "image/png"), [("scratch", "#2ca02c")])
    assert found["Anomalies"] == [
        {"Name": "background", "PixelAnomaly": {"TotalPercentageArea": 1.0, "Color": "#ffffff"}}
    ]
    assert Image.open(io.BytesIO(found["AnomalyMask"])).convert("RGB").getcolors() == [(10000, (255, 255, 255))]
