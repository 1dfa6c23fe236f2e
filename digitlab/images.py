"""Opening image files people hand us (uploads, the command line) safely, and blowing small pictures up to show."""

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from digitlab.config import IMAGE_SIZE

MAX_PIXELS = 50_000_000  # beyond this an image is refused, before decoding: it would take seconds and gigabytes
WORKING_SIDE = 2048  # larger images are shrunk to this: a digit needs no more detail


class ImageError(Exception):
    """A file that is not a usable image; the message says why."""


def open_image(source: str | Path | bytes, name: str | None = None) -> Image.Image:
    """A decoded image from a path or raw bytes, upright (EXIF orientation applied), first frame only,
    no side longer than WORKING_SIDE. Missing, foreign, truncated or oversized files raise ImageError."""
    name = name or (str(source) if not isinstance(source, bytes) else "the file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"{name} is {width} x {height} pixels; the most this app reads is "
                                 f"{MAX_PIXELS // 1_000_000} megapixels. Crop or shrink it first.")
            image.seek(0)  # an animated GIF or WebP: its first frame
            image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at a reduced scale, much faster
            image.load()
    except ImageError:
        raise
    except FileNotFoundError as error:
        raise ImageError(f"{name}: no such file.") from error
    except IsADirectoryError as error:
        raise ImageError(f"{name} is a folder, not an image.") from error
    except Image.UnidentifiedImageError as error:
        raise ImageError(f"{name} is not an image this app can read (PNG, JPEG, WebP, GIF, BMP, TIFF).") from error
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{name} could not be decoded ({error}); it may be truncated or damaged.") from error
    image = ImageOps.exif_transpose(image)
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return image


def enlarge(picture: np.ndarray | None, width: int) -> Image.Image:
    """A small picture (values in [0, 1], or uint8 grey or RGB) blown up to `width` px with hard pixel edges,
    so that each pixel shows; None gives an empty 28 x 28 field."""
    if picture is None:
        picture = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    pixels = picture if picture.dtype == np.uint8 else (np.clip(picture, 0, 1) * 255).astype(np.uint8)
    height = max(1, round(width * pixels.shape[0] / pixels.shape[1]))
    return Image.fromarray(pixels).resize((width, height), Image.Resampling.NEAREST)
