"""An image file as the emulator reads it: PNG or JPEG by its bytes, its dimensions from its header, its gray levels."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from lookoutvision_localcloud.lookoutvision.images import ImageHeader, NotAnImage, gray_histogram, read_header
from lookoutvision_localcloud.sample_dataset import sample_image


def encoded(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=kind)
    return out.getvalue()


def test_a_png_and_a_jpeg_are_read_with_their_dimensions() -> None:
    assert read_header(sample_image(0, anomalous=False)) == ImageHeader("PNG", 64, 64)
    jpeg = encoded(Image.new("RGB", (120, 80), (200, 10, 10)), "JPEG")
    assert read_header(jpeg) == ImageHeader("JPEG", 120, 80)
    assert read_header(jpeg).dimensions == "120 x 80 pixels"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "it is not a PNG or JPEG image"),
        (b"GIF89a\x01\x00\x01\x00", "it is not a PNG or JPEG image"),
        (encoded(Image.new("L", (64, 64)), "BMP"), "it is not a PNG or JPEG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "it starts as a PNG file but is not a valid PNG image"),
        (b"\xff\xd8\xff\xe0 not a jpeg", "it starts as a JPEG file but is not a valid JPEG image"),
    ],
)
def test_what_is_no_png_or_jpeg_is_not_an_image(body: bytes, reason: str) -> None:
    with pytest.raises(NotAnImage, match=reason):
        read_header(body)


def test_the_dimensions_quota_is_64_to_4096_pixels_a_side() -> None:
    assert ImageHeader("PNG", 64, 4096).within_quota()
    assert not ImageHeader("PNG", 63, 64).within_quota()
    assert not ImageHeader("JPEG", 64, 4097).within_quota()


def test_the_histogram_counts_each_gray_level() -> None:
    histogram = gray_histogram(sample_image(3, anomalous=True))
    assert len(histogram) == 256 and sum(histogram) == 64 * 64
    assert histogram[0] == 16 * 16  # the dark square
    assert histogram[163] == 64 * 64 - 16 * 16  # the even gray around it
    rgb = Image.new("RGB", (64, 64), (255, 255, 255))
    assert gray_histogram(encoded(rgb, "PNG"))[255] == 64 * 64  # colour images are read in gray levels


def test_a_truncated_file_has_a_header_but_no_pixels() -> None:
    noisy = Image.effect_noise((256, 256), 64)  # noise does not compress: the data spans many bytes
    body = encoded(noisy, "PNG")
    cut = body[: len(body) // 2]
    assert read_header(cut) == ImageHeader("PNG", 256, 256)
    with pytest.raises(NotAnImage, match="its pixels do not decode"):
        gray_histogram(cut)
