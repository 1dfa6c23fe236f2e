"""Any drawing or picture of a digit -> a 28 x 28 input made the way MNIST's digits were made.

MNIST's recipe (LeCun et al.): the digit's bounding box is scaled, keeping its aspect ratio and with
anti-aliasing, so that its longer side is 20 px; it is then placed in a 28 x 28 field so that its centre
of mass is at the centre. A network trained on MNIST reads a drawing well only if the drawing goes
through the same steps: a plain resize of the whole canvas gives digits of the wrong size and place.
"""

import numpy as np
from PIL import Image

from digitlab.config import DIGIT_BOX, IMAGE_SIZE
from digitlab.images import eight_bit

MNIST_CENTRE = 14.0  # mean centre of mass of MNIST's training digits, (row, column) in pixel indices
MIN_CONTRAST = 48  # grey levels between background and ink below which nothing counts as drawn
INK_THRESHOLD = 0.1  # fraction of the strongest ink below which a pixel is not part of the digit's box
MIN_INK_FRACTION = 1e-4  # fewer ink pixels than this fraction of the picture: an empty canvas


def to_mnist(image) -> np.ndarray | None:
    """A (28, 28) float32 array in [0, 1], ink bright on black like MNIST; None when there is no ink.

    `image` is a PIL image or an array: (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA such as the
    canvas's `image_data`. Either polarity works: the ink is the minority colour.
    """
    ink = ink_map(grayscale(image))
    if ink is None:
        return None
    return centre_by_mass(fit_in_box(crop_to_ink(ink)))


def grayscale(image) -> np.ndarray:
    """(H, W) uint8 luminance. Transparent pixels are laid on a backdrop that contrasts with the opaque ones."""
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    array = _as_uint8(np.asarray(image))
    if array.ndim == 2:
        return array
    if array.ndim != 3 or array.shape[2] not in (3, 4) or 0 in array.shape:
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {array.shape}")
    luminance = np.asarray(Image.fromarray(np.ascontiguousarray(array)).convert("L"))  # PIL ignores alpha here
    if array.shape[2] == 3 or array[..., 3].min() == 255:
        return luminance
    alpha = array[..., 3].astype(np.float32) / 255
    opaque = alpha > 0.5
    ink_is_dark = opaque.any() and luminance[opaque].mean() < 128
    backdrop = 255.0 if ink_is_dark else 0.0
    return np.rint(luminance * alpha + backdrop * (1 - alpha)).astype(np.uint8)


def ink_map(gray: np.ndarray) -> np.ndarray | None:
    """(H, W) uint8, 0 where the background is and 255 at the strongest ink; None if nothing is drawn.

    The background is the median grey level (the ink covers less than half of any sensible drawing),
    so white ink on black and black ink on white paper both come out as MNIST's bright ink on black.
    """
    background = background_level(gray)
    if background == 0:
        ink = gray
    elif background >= 128:
        ink = np.clip(background - gray.astype(np.int16), 0, 255).astype(np.uint8)
    else:
        ink = np.clip(gray.astype(np.int16) - background, 0, 255).astype(np.uint8)
    peak = int(ink.max())
    if peak < MIN_CONTRAST:
        return None
    if np.count_nonzero(ink > peak * INK_THRESHOLD) < max(4, gray.size * MIN_INK_FRACTION):
        return None
    if peak < 255:
        ink = (ink.astype(np.uint16) * 255 // peak).astype(np.uint8)
    return ink


def background_level(gray: np.ndarray, max_samples: int = 10_000) -> int:
    """The median grey level, from an even grid of at most about max_samples pixels (a 280 px canvas: every 3rd)."""
    step = max(1, int(np.sqrt(gray.size / max_samples)))
    sample = gray[::step, ::step]
    histogram = np.bincount(sample.ravel(), minlength=256)
    return int(np.searchsorted(np.cumsum(histogram), sample.size / 2))


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The smallest rectangle holding every pixel with real ink."""
    mask = ink > 255 * INK_THRESHOLD
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fit_in_box(ink: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Scaled, anti-aliased and keeping its aspect ratio, so that the longer side is `box` px; float32 in [0, 1]."""
    height, width = ink.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)  # box-reduce first: fast
    resized = np.asarray(resized, dtype=np.float32)
    return resized / max(float(resized.max()), 1.0)


def centre_by_mass(patch: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """The patch in a size x size field, shifted by whole pixels so that its centre of mass sits where MNIST's does.

    The shift is clamped so that the patch stays whole inside the field (a lopsided digit such as an L
    would otherwise lose ink at the border).
    """
    height, width = patch.shape
    mass = patch.sum()
    centre_row = (patch.sum(axis=1) @ np.arange(height)) / mass
    centre_col = (patch.sum(axis=0) @ np.arange(width)) / mass
    top = min(max(round(MNIST_CENTRE - centre_row), 0), size - height)
    left = min(max(round(MNIST_CENTRE - centre_col), 0), size - width)
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + height, left : left + width] = patch
    return field


def _pil_to_array(image: Image.Image) -> np.ndarray:
    """An array of the image's pixels, in 8 bits (images.eight_bit: 16-bit, float, CMYK, palettes, alpha)."""
    return np.asarray(eight_bit(image))


def _as_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        array = np.nan_to_num(array)
        top = 1.0 if array.size and array.max() <= 1.0 else 255.0
        return np.clip(array * (255.0 / top), 0, 255).astype(np.uint8)
    if array.dtype == np.uint16:
        return (array >> 8).astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)
