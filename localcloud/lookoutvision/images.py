"""What an image file's bytes hold, as the service reads them: its format, its dimensions, its gray levels.
And the one image the emulator writes: a segmentation mask.

Pure: bytes in, values out; Pillow decodes. The service trains on and analyzes PNG and JPEG files
only, told apart by their first bytes (``manifest.IMAGE_SIGNATURES``); a file that starts as one but
does not decode as one is no image either. Dimensions are read from the header alone, so a file's
size can be judged before its pixels are decoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageColor, UnidentifiedImageError

from .manifest import image_format

# The quotas the service documents for an image: its file size and each of its dimensions.
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MIN_DIMENSION = 64
MAX_DIMENSION = 4096
# Pillow's failures on a file that starts as a PNG or JPEG does and is not one (truncated, corrupt).
_DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


class NotAnImage(ValueError):
    """Bytes that are not a PNG or JPEG image the service can read; the message says why."""


@dataclass(frozen=True)
class ImageHeader:
    """An image's format (``PNG`` or ``JPEG``) and dimensions in pixels."""

    format: str
    width: int
    height: int

    @property
    def dimensions(self) -> str:
        return f"{self.width} x {self.height} pixels"

    def within_quota(self) -> bool:
        """Whether each dimension is within the service's 64 to 4096 pixels."""
        return all(MIN_DIMENSION <= side <= MAX_DIMENSION for side in (self.width, self.height))


def read_header(body: bytes) -> ImageHeader:
    """The format and dimensions of ``body``; ``NotAnImage`` when it is no PNG or JPEG file."""
    kind = image_format(body)
    if kind is None:
        raise NotAnImage("it is not a PNG or JPEG image")
    try:
        with Image.open(io.BytesIO(body), formats=[kind]) as image:
            width, height = image.size
    except _DECODE_ERRORS as exc:
        raise NotAnImage(f"it starts as a {kind} file but is not a valid {kind} image ({exc})") from exc
    return ImageHeader(kind, width, height)


def gray_histogram(body: bytes) -> list[int]:
    """How many pixels of ``body`` have each of the 256 gray levels (ITU-R 601-2 luma, as Pillow's ``L``).

    Decodes every pixel: read the header first to judge the dimensions. ``NotAnImage`` when the
    pixels do not decode (a truncated file).
    """
    kind = image_format(body) or "PNG"
    try:
        with Image.open(io.BytesIO(body), formats=[kind]) as image:
            return list(image.convert("L").histogram())
    except _DECODE_ERRORS as exc:
        raise NotAnImage(f"its pixels do not decode as a {kind} image's ({exc})") from exc


def mask_png(body: bytes, darker_than: int, color: str, background: str = "#ffffff") -> bytes:
    """A PNG of ``body``'s dimensions: ``color`` where its gray level is below ``darker_than``, else ``background``.

    ``body`` must be an image ``gray_histogram`` decoded.
    """
    kind = image_format(body) or "PNG"
    with Image.open(io.BytesIO(body), formats=[kind]) as image:
        gray = image.convert("L")
    marked = gray.point(lambda level: 255 if level < darker_than else 0)
    mask = Image.new("RGB", gray.size, ImageColor.getrgb(background))
    mask.paste(ImageColor.getrgb(color), (0, 0, *gray.size), marked)
    out = io.BytesIO()
    mask.save(out, format="PNG")
    return out.getvalue()
