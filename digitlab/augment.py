"""Training-time augmentation: MNIST digits redrawn the way people draw them on the app's canvas.

People write slanted, rotated, squashed, with thin or fat brushes, and in styles MNIST barely has
(crossed zeros, ones with a flag and a base, sevens with a bar). Each function here takes a batch of
(B, 28, 28, 1) float32 images in [0, 1] and is made of TensorFlow ops only, so `augment` runs inside a
tf.data pipeline during training and is never part of the saved network.

After the changes, every digit is put back the way the app's preprocessing puts a drawing: its longer
side 20 px and its centre of mass at MNIST's centre (digitlab.preprocess), so that the network trains
on what it will see.
"""

import math

import tensorflow as tf

from digitlab.config import DIGIT_BOX, IMAGE_SIZE
from digitlab.preprocess import INK_THRESHOLD, MNIST_CENTRE

THICKNESS = (-0.7, 4.0)  # px of stroke width taken off or added: brushes from about 1 px to 6 px wide
MAX_ROTATION = math.radians(12)
MAX_SHEAR = 0.3  # horizontal slant, as x shift per y
MAX_ASPECT = 0.15  # log of the width / height stretch
SIZE_JITTER = (0.9, 1.05)  # times the 20 px box
MAX_SHIFT = 1.0  # px around MNIST's centre of mass
ELASTIC_GRID = 4  # a 4 x 4 grid of random displacements, smoothly interpolated over the image
ELASTIC_SIGMA = 1.0  # px (28-px image), standard deviation of the grid's displacements
STYLE_RATE = {0: 0.35, 1: 0.45, 7: 0.25}  # share of these digits given a style MNIST lacks
BASE_RATE = 0.4  # a base under STYLE_RATE[1] * BASE_RATE of the ones, flagged or not
PLAIN_RATE = 0.35  # share of digits left exactly as MNIST has them
DESCRIPTION = (
    f"digitlab.augment: {PLAIN_RATE * 100:.0f} % of the digits exactly as MNIST has them; the others "
    f"redrawn: 0s crossed flat, slanting or upright (ϕ), flagged and based 1s, barred 7s, stroke width "
    f"{THICKNESS[0]:g}..{THICKNESS[1]:+g} "
    "px, rotation, slant, aspect, size, shift and elastic wobble, then refitted to the 20 px box and "
    "centred by mass, like the app's preprocessing"
)  # for the training report


def augment(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """A random redrawing of each image in the batch; labels are integer digits (B,).

    A share (PLAIN_RATE) of the digits stays exactly as MNIST has them: the network must still read
    MNIST's own digits as well as it can, and these are what its test set looks like. Only the others
    go through the (costly) redrawing.
    """
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    is_plain = _uniform(tf.shape(images)[0], 0, 1) < PLAIN_RATE
    order = tf.range(tf.shape(images)[0])
    plain, bent = tf.boolean_mask(order, is_plain), tf.boolean_mask(order, ~is_plain)
    to_bend = tf.gather(images, bent)
    pixels = _uniform(tf.shape(to_bend)[0], *THICKNESS)
    redrawn = warp_like_app(change_thickness(add_styles(to_bend, tf.gather(labels, bent)), pixels), pixels)
    kept = tf.gather(images, plain)
    kept = kept / tf.maximum(tf.reduce_max(kept, axis=[1, 2, 3], keepdims=True), 1e-6)  # brightest pixel 1, as redrawn
    return tf.ensure_shape(tf.dynamic_stitch([plain, bent], [kept, redrawn]), images.shape)


# --- stroke thickness -------------------------------------------------------------------------------------------


def dilate(images: tf.Tensor, size: int = 2) -> tf.Tensor:
    """Thicker strokes: each pixel becomes the brightest in its size x size neighbourhood."""
    return tf.nn.max_pool2d(images, size, 1, "SAME")


def erode(images: tf.Tensor, size: int = 2) -> tf.Tensor:
    """Thinner strokes: each pixel becomes the darkest in its size x size neighbourhood."""
    return -tf.nn.max_pool2d(-images, size, 1, "SAME")


def change_thickness(images: tf.Tensor, pixels: tf.Tensor) -> tf.Tensor:
    """Each image's strokes widened by `pixels` (B,), between -1 and THICKNESS's top; negative thins them.

    A 2 x 2 dilation or erosion moves the stroke's edge by a whole pixel; blending it with the image
    moves it by a fraction, since the edges are anti-aliased. (The 2 x 2 window grows strokes towards
    the bottom right; the centring that follows undoes that half-pixel shift.)
    """
    levels = [erode(images), images]  # widths -1, 0, +1, ... px
    for _ in range(math.ceil(THICKNESS[1])):
        levels.append(dilate(levels[-1]))
    stacked = tf.stack(levels, axis=1)  # (B, levels, H, W, 1)
    position = tf.clip_by_value(tf.cast(pixels, tf.float32) + 1, 0.0, len(levels) - 1.001)
    lower = tf.cast(tf.floor(position), tf.int32)
    fraction = tf.reshape(position - tf.floor(position), [-1, 1, 1, 1])
    below = tf.gather(stacked, lower, axis=1, batch_dims=1)
    above = tf.gather(stacked, lower + 1, axis=1, batch_dims=1)
    return below + (above - below) * fraction


# --- styles MNIST lacks ------------------------------------------------------------------------------------------


def add_styles(images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Some zeros get a stroke across (θ, ∅ or ϕ), some ones a flag and some ones a base, some sevens a crossbar,
    drawn as pen lines.

    The strokes are drawn on the chosen digits only (about one in nine), gathered out of the batch and put
    back: drawing a line costs a distance for every pixel.
    """
    batch = tf.shape(images)[0]
    labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
    rate = tf.gather(tf.constant([STYLE_RATE.get(digit, 0.0) for digit in range(10)]), labels)
    styled = _uniform(batch, 0, 1) < rate
    with_base = (labels == 1) & (_uniform(batch, 0, 1) < STYLE_RATE[1] * BASE_RATE)
    chosen = tf.where(styled | with_base)  # (n, 1)
    drawn = _draw_styles(
        tf.gather_nd(images, chosen),
        tf.gather_nd(labels, chosen),
        tf.gather_nd(styled, chosen),
        tf.gather_nd(with_base, chosen),
    )
    return tf.tensor_scatter_nd_update(images, chosen, drawn)


def _draw_styles(images, labels, styled, with_base):
    """add_styles's strokes on the digits it chose: the style of each digit's kind where `styled`, a base where
    `with_base` (ones only)."""
    batch = tf.shape(images)[0]
    top, bottom, left, right = _ink_box(images)
    height = bottom - top
    width = _uniform(batch, 1.2, 2.4)

    def pair(rows, cols):
        return tf.stack([rows, cols], axis=1)

    angle = _uniform(batch, math.radians(5), math.radians(100))  # flat (θ), slanting (∅), upright (ϕ), leaning back
    middle = pair((top + bottom) / 2, (left + right) / 2)
    half_height, half_width = height / 2 + 0.5, (right - left) / 2 + 0.5
    radius = half_height * half_width / tf.sqrt((half_height * tf.cos(angle)) ** 2 + (half_width * tf.sin(angle)) ** 2)
    longest = 1.7 + 0.8 * tf.sin(angle) ** 2  # radii past the ring: a ϕ reaches further, frame allowing
    reach = pair(-tf.sin(angle), tf.cos(angle)) * (radius * (1.1 + (longest - 1.1) * _uniform(batch, 0, 1)))[:, None]
    head = pair(top, _ink_column(images, top))  # flag: from the top of the one, down to the left
    flag = pair(_uniform(batch, 1.5, 8.0), -_uniform(batch, 3.0, 10.0))
    row = top + height * _uniform(batch, 0.45, 0.6)  # crossbar: across the seven's stem
    stem = pair(row, _ink_column(images, row))
    bar = pair(_uniform(batch, -0.7, 0.7), _uniform(batch, 2.5, 4.5))

    is_zero, is_one = (labels == 0)[:, None], (labels == 1)[:, None]
    start = tf.where(is_zero, middle + reach, tf.where(is_one, head, stem - bar))
    end = tf.where(is_zero, middle - reach, tf.where(is_one, head + flag, stem + bar))
    drawn = _draw(images, start, end, width, styled)

    foot = pair(bottom, _ink_column(images, bottom))  # a base under the one
    base = pair(tf.zeros([batch]), _uniform(batch, 3.0, 8.0))
    return _draw(drawn, foot - base, foot + base, width, with_base)


def _draw(images, start, end, width, chosen):
    """Anti-aliased straight strokes from start to end ((B, 2) row, column), on the chosen images only."""
    grid = _pixel_grid(IMAGE_SIZE)  # (H*W, 2)
    along = end - start  # (B, 2)
    relative = grid[None] - start[:, None]  # (B, H*W, 2)
    t = tf.reduce_sum(relative * along[:, None], -1) / tf.maximum(tf.reduce_sum(along * along, -1), 1e-6)[:, None]
    nearest = start[:, None] + tf.clip_by_value(t, 0.0, 1.0)[..., None] * along[:, None]
    distance = tf.norm(grid[None] - nearest, axis=-1)
    ink = tf.clip_by_value(width[:, None] / 2 + 0.5 - distance, 0.0, 1.0)
    ink = tf.reshape(ink, [-1, IMAGE_SIZE, IMAGE_SIZE, 1]) * tf.cast(chosen, tf.float32)[:, None, None, None]
    return tf.maximum(images, ink)


def _ink_box(images):
    """(top, bottom, left, right) pixel indices of each image's ink, as float32 (B,) each."""
    mask = images[..., 0] > INK_THRESHOLD
    rows, cols = tf.reduce_any(mask, axis=2), tf.reduce_any(mask, axis=1)
    index = tf.range(IMAGE_SIZE, dtype=tf.float32)

    def first_last(hit):
        first = tf.reduce_min(tf.where(hit, index, float(IMAGE_SIZE)), axis=1)
        last = tf.reduce_max(tf.where(hit, index, -1.0), axis=1)
        return tf.minimum(first, last), tf.maximum(first, last)  # an empty image gives a 1-px box, not inf

    return (*first_last(rows), *first_last(cols))


def _ink_column(images, row):
    """The ink's mean column on (the nearest pixel row to) `row` of each image."""
    index = tf.cast(tf.clip_by_value(tf.round(row), 0, IMAGE_SIZE - 1), tf.int32)
    line = tf.gather(images[..., 0], index, axis=1, batch_dims=1)  # (B, W)
    columns = tf.range(IMAGE_SIZE, dtype=tf.float32)
    return tf.reduce_sum(line * columns, 1) / tf.maximum(tf.reduce_sum(line, 1), 1e-6)


# --- geometry: slant, rotation, aspect, elastic wobble, then the app's size and centring ------------------------


def warp_like_app(images: tf.Tensor, grown: tf.Tensor) -> tf.Tensor:
    """The images randomly bent, scaled so that their longer side is about 20 px and centred by mass like
    the app's preprocessing; `grown` (B,) is how much thicker their strokes were made. Brightest pixel 1."""
    batch = tf.shape(images)[0]
    linear = _random_linear(batch)  # (B, 2, 2), acting on (row, column)
    grid = _pixel_grid(IMAGE_SIZE)  # (784, 2)
    weights = tf.reshape(images, [batch, -1])
    mass = tf.reduce_sum(weights[..., None] * grid, 1) / tf.maximum(tf.reduce_sum(weights, 1), 1e-6)[:, None]
    moved = tf.einsum("bij,bpj->bpi", linear, grid[None] - mass[:, None])  # every pixel, bent around the mass
    ink = weights > INK_THRESHOLD * tf.reduce_max(weights, 1, keepdims=True)
    low = tf.reduce_min(tf.where(ink[..., None], moved, 1e6), 1)
    high = tf.reduce_max(tf.where(ink[..., None], moved, -1e6), 1)
    side = tf.reduce_max(tf.maximum(high - low, 0.0), 1) + tf.maximum(1.0 + grown, 0.5)
    scale = DIGIT_BOX / side * _uniform(batch, *SIZE_JITTER)
    forward = linear * scale[:, None, None]
    centre = MNIST_CENTRE + _uniform(batch, -MAX_SHIFT, MAX_SHIFT, 2)
    out = grid[None] + _elastic(batch)
    source = mass[:, None] + tf.einsum("bij,bpj->bpi", tf.linalg.inv(forward), out - centre[:, None])
    warped = _bilinear(images, source)
    return warped / tf.maximum(tf.reduce_max(warped, axis=[1, 2, 3], keepdims=True), 1e-6)


def _random_linear(batch):
    """Rotation x slant x aspect, (B, 2, 2) on (row, column) vectors."""
    angle = _uniform(batch, -MAX_ROTATION, MAX_ROTATION)
    shear = _uniform(batch, -MAX_SHEAR, MAX_SHEAR)
    aspect = tf.exp(_uniform(batch, -MAX_ASPECT, MAX_ASPECT))
    cos, sin, one, zero = tf.cos(angle), tf.sin(angle), tf.ones([batch]), tf.zeros([batch])
    rotate = _matrices(cos, -sin, sin, cos)
    slant = _matrices(one, zero, -shear, one)  # column += -shear * row: the top leans right when shear > 0
    stretch = _matrices(one / tf.sqrt(aspect), zero, zero, tf.sqrt(aspect))
    return rotate @ slant @ stretch


def _elastic(batch):
    """(B, 28*28, 2) smooth random displacements, in pixels."""
    coarse = tf.random.normal([batch, ELASTIC_GRID, ELASTIC_GRID, 2], stddev=ELASTIC_SIGMA)
    smooth = tf.image.resize(coarse, [IMAGE_SIZE, IMAGE_SIZE], method="bicubic")
    return tf.reshape(smooth, [batch, -1, 2])


def _bilinear(images, points):
    """images (B, H, W, 1) sampled at points (B, P, 2) = (row, column) pixel indices; zero outside. (B, H, W, 1)."""
    size = images.shape[1]
    padded = tf.reshape(tf.pad(images[..., 0], [[0, 0], [1, 1], [1, 1]]), [tf.shape(images)[0], -1])
    base = tf.floor(points)
    fraction = points - base
    base = tf.cast(base, tf.int32)

    def at(d_row, d_col):
        row = tf.clip_by_value(base[..., 0] + d_row, -1, size) + 1
        col = tf.clip_by_value(base[..., 1] + d_col, -1, size) + 1
        return tf.gather(padded, row * (size + 2) + col, batch_dims=1)

    fr, fc = fraction[..., 0], fraction[..., 1]
    value = (1 - fr) * ((1 - fc) * at(0, 0) + fc * at(0, 1)) + fr * ((1 - fc) * at(1, 0) + fc * at(1, 1))
    return tf.reshape(value, [-1, size, size, 1])


# --- small helpers -------------------------------------------------------------------------------------------


def _pixel_grid(size):
    """(size*size, 2) float32 (row, column) indices, row-major."""
    rows, cols = tf.meshgrid(tf.range(size, dtype=tf.float32), tf.range(size, dtype=tf.float32), indexing="ij")
    return tf.reshape(tf.stack([rows, cols], -1), [-1, 2])


def _matrices(a, b, c, d):
    return tf.reshape(tf.stack([a, b, c, d], axis=1), [-1, 2, 2])


def _uniform(batch, low, high, *shape):
    return tf.random.uniform([batch, *shape], low, high)
