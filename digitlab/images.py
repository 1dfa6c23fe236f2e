"""Opening the pictures people hand us (uploads, the command line, the canvas) safely, and blowing small
pictures up to show.

open_image and canvas_picture are the only doors through which a picture is decoded: each names the formats
Pillow may try, so that a file is never handed to a format whose reader runs an outside program (PostScript
runs Ghostscript, with no time limit), and each returns 8-bit pixels, the only kind st.image and the readers
take whole."""

import base64
import binascii
import io
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from digitlab.config import IMAGE_SIZE

MAX_PIXELS = 4_800 * 3_600  # 17 MP: a phone's photo of a digit; beyond, refused before decoding (seconds, gigabytes)
WORKING_SIDE = 2048  # larger images are shrunk to this: a digit needs no more detail
DECODING = threading.BoundedSemaphore(2)  # decodes at once in this process: each may take ~100 MB for a moment
# What a phone, a scanner or a drawing program saves: read by Pillow itself, never by an outside program.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
SUFFIXES = ("png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff")  # the upload widget's, for those formats
READABLE = "PNG, JPEG, WebP, GIF, BMP or TIFF"
EIGHT_BIT = ("L", "RGB", "RGBA")  # what open_image and canvas_picture return
WIDE_MODES = ("I", "F", "I;16", "I;16B", "I;16L", "I;16N")  # more than 8 bits a pixel: scaled by their range
WITH_ALPHA = ("LA", "La", "PA", "RGBa")  # their transparency is kept, as RGBA

# The canvas sends its drawing as a PNG data URL, rendered at its own size whatever the screen's pixel ratio
# (fabric.js's toDataURL with a multiplier of 1). An opaque RGBA picture of that size, incompressible, is
# smaller than MAX_CANVAS_PNG: anything larger, or of another size, is no drawing of that canvas.
CANVAS_URL_START = "data:image/png;base64,"
MAX_CANVAS_PNG = 400_000  # bytes
MAX_CANVAS_OBJECTS = 2_000  # fabric.js objects (a stroke each): no digit needs this many
CANVAS_UNREADABLE = "The canvas sent a drawing this page cannot read: clear the canvas and draw again."


class ImageError(Exception):
    """A file that is not a usable image; the message says why."""


def open_image(source: str | Path | bytes, name: str | None = None) -> Image.Image:
    """A decoded image from a path or raw bytes, in FORMATS only, upright (EXIF orientation applied), first
    frame only, no side longer than WORKING_SIDE, in an 8-bit mode (eight_bit). Missing, unreadable, foreign,
    truncated or oversized files raise ImageError. At most two decodes run at once (DECODING); the rest wait
    their turn."""
    name = name or (str(source) if not isinstance(source, bytes) else "This file")
    with DECODING:
        return _decoded(source, name)


def _decoded(source: str | Path | bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=FORMATS)
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
        raise ImageError(f"{name} is not an image this app can read: save it as {READABLE}.") from error
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(f"{name} could not be decoded ({error}); it may be truncated or damaged.") from error
    image = eight_bit(ImageOps.exif_transpose(image))
    if max(image.size) > WORKING_SIDE:
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.BOX)
    return image


def eight_bit(image: Image.Image) -> Image.Image:
    """The image in L, RGB or RGBA. Scanners and scientific cameras save 16-bit and float pictures, print
    shops CMYK, the web palettes: st.image cannot show some of them (16-bit as JPEG) and the readers would
    take their numbers for 8-bit grey levels. Transparency is kept, as RGBA: the readers lay the picture on a
    backdrop that contrasts with its ink."""
    if image.mode in WIDE_MODES:
        return Image.fromarray(_scaled(np.asarray(image), sixteen_bit=image.mode.startswith("I;16")))
    if image.mode in WITH_ALPHA or "transparency" in image.info:
        return (image.convert("LA") if image.mode == "La" else image).convert("RGBA")
    if image.mode in EIGHT_BIT:
        return image
    return image.convert("L" if image.mode == "1" else "RGB")


def _scaled(values: np.ndarray, sixteen_bit: bool) -> np.ndarray:
    """uint8 grey levels from wider numbers: a 16-bit picture's full range, or else the smallest usual range
    its values fit in (0-1 for floats, 0-255, 0-65535, or their own maximum)."""
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(values.max(initial=0.0))
    full = 65535.0 if sixteen_bit else next((end for end in (1.0, 255.0, 65535.0) if top <= end), top)
    return np.clip(values * (255.0 / full), 0, 255).round().astype(np.uint8)


def canvas_picture(value, width: int, height: int) -> np.ndarray | None:
    """The canvas's drawing as (height, width, 4) uint8 RGBA pixels, from the component's value as the browser
    sent it (a mapping whose "drawing" holds fabric.js's objects as "raw" and a PNG data URL as "data");
    None before the first stroke.

    The value is whatever a client chose to send, and the component would decode any picture in it whole: a
    small file can hold an enormous picture. So the value's shape, the URL's length and the PNG's size (from
    its header) are checked before a pixel is decoded; anything else raises ImageError(CANVAS_UNREADABLE)."""
    drawing = value.get("drawing") if isinstance(value, Mapping) else None
    if drawing is None:
        return None
    if not isinstance(drawing, Mapping):
        raise ImageError(CANVAS_UNREADABLE)
    objects = drawing.get("raw")
    if objects is not None and not _fabric_objects(objects):
        raise ImageError(CANVAS_UNREADABLE)
    url = drawing.get("data")
    if url is None:
        return None
    if not isinstance(url, str) or not url.startswith(CANVAS_URL_START):
        raise ImageError(CANVAS_UNREADABLE)
    if len(url) - len(CANVAS_URL_START) > 4 * (MAX_CANVAS_PNG // 3 + 1):
        raise ImageError(CANVAS_UNREADABLE)
    try:
        png = base64.b64decode(url[len(CANVAS_URL_START) :], validate=True)
        image = Image.open(io.BytesIO(png), formats=["PNG"])
        if image.size != (width, height):
            raise ImageError(CANVAS_UNREADABLE)
        image.load()
    except (binascii.Error, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(CANVAS_UNREADABLE) from error
    return np.asarray(eight_bit(image).convert("RGBA"))


def _fabric_objects(raw) -> bool:
    """Whether `raw` is fabric.js's drawing, as the canvas keeps it: a mapping with a list of objects."""
    objects = raw.get("objects", []) if isinstance(raw, Mapping) else None
    return isinstance(objects, list) and len(objects) <= MAX_CANVAS_OBJECTS


def enlarge(picture: np.ndarray | None, width: int) -> Image.Image:
    """A small picture (values in [0, 1], or uint8 grey or RGB) blown up to `width` px with hard pixel edges,
    so that each pixel shows; None gives an empty 28 x 28 field."""
    if picture is None:
        picture = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    pixels = picture if picture.dtype == np.uint8 else (np.clip(picture, 0, 1) * 255).astype(np.uint8)
    height = max(1, round(width * pixels.shape[0] / pixels.shape[1]))
    return Image.fromarray(pixels).resize((width, height), Image.Resampling.NEAREST)
