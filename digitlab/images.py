"""Opening image files people hand us (uploads, the command line) safely, and blowing small pictures up to show."""

import io
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from digitlab.config import IMAGE_SIZE

MAX_PIXELS = 4_800 * 3_600  # 17 MP: a phone's photo of a digit; beyond, refused before decoding (seconds, gigabytes)
WORKING_SIDE = 2048  # larger images are shrunk to this: a digit needs no more detail
DECODING = threading.BoundedSemaphore(2)  # decodes at once in this process: each may take ~100 MB for a moment


class ImageError(Exception):
    """A file that is not a usable image; the message says why."""


def open_image(source: str | Path | bytes, name: str | None = None) -> Image.Image:
    """A decoded image from a path or raw bytes, upright (EXIF orientation applied), first frame only,
    no side longer than WORKING_SIDE. Missing, unreadable, foreign, truncated or oversized files raise
    ImageError. At most two decodes run at once (DECODING); the rest wait their turn."""
    name = name or (str(source) if not isinstance(source, bytes) else "This file")
    with DECODING:
        return _decoded(source, name)


def _decoded(source: str | Path | bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    f"{name} is {width} × {height} pixels; the most this app reads is "
                    f"{MAX_PIXELS // 1_000_000} megapixels. Crop or shrink it first."
                )
            image.seek(0)  # an animated GIF or WebP: its first frame
            image.draft("L", (WORKING_SIDE, WORKING_SIDE))  # JPEG: decode at a reduced scale, much faster
            image.load()
    except ImageError:
        raise
    except FileNotFoundError as error:
        raise ImageError(f"{name}: no such file.") from error
    except PermissionError as error:
        raise ImageError(f"{name} cannot be read: permission denied.") from error
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
