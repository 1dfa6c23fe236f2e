import numpy as np
import pytest
from PIL import Image

from digitlab.config import CANVAS_SIZE, DEFAULT_BRUSH, DIGIT_BOX, IMAGE_SIZE
from digitlab.pen import render_strokes
from digitlab.preprocess import MNIST_CENTRE, to_mnist
from support import upscaled_on_canvas


def canvas_with(*boxes, size=CANVAS_SIZE, ink=255, background=0, channels=4):
    """An opaque canvas with filled rectangles (top, left, bottom, right) of ink."""
    gray = np.full((size, size), background, np.uint8)
    for top, left, bottom, right in boxes:
        gray[top:bottom, left:right] = ink
    if channels == 1:
        return gray
    layers = [gray] * 3 + ([np.full_like(gray, 255)] if channels == 4 else [])
    return np.dstack(layers)


def centre_of_mass(x):
    rows, cols = np.indices(x.shape)
    return (rows * x).sum() / x.sum(), (cols * x).sum() / x.sum()


def ink_box(x, level=0.05):
    rows, cols = np.flatnonzero((x > level).any(1)), np.flatnonzero((x > level).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_output_is_mnist_shaped_float_in_unit_range():
    x = to_mnist(canvas_with((50, 100, 200, 140)))
    assert x.shape == (IMAGE_SIZE, IMAGE_SIZE) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() == pytest.approx(1.0)


@pytest.mark.parametrize("box", [(10, 10, 60, 40), (200, 220, 270, 275), (100, 5, 120, 270)])
def test_digit_is_centred_by_mass_wherever_it_was_drawn(box):
    row, col = centre_of_mass(to_mnist(canvas_with(box)))
    assert abs(row - MNIST_CENTRE) <= 0.5 and abs(col - MNIST_CENTRE) <= 0.5


def test_lopsided_digit_stays_whole_inside_the_field():
    # An L: most of its mass is at the bottom and left; centring by mass must not push ink off the field.
    x = to_mnist(canvas_with((20, 20, 260, 50), (230, 20, 260, 260)))
    assert ink_box(x) == (DIGIT_BOX, DIGIT_BOX)


@pytest.mark.parametrize(
    "box,expected",
    [
        ((40, 120, 240, 160), (20, 4)),  # tall and thin, like a 1
        ((120, 40, 160, 240), (4, 20)),  # wide and flat
        ((100, 100, 130, 130), (20, 20)),
    ],
)  # small: scaled up like MNIST
def test_longer_side_becomes_twenty_pixels_keeping_the_aspect_ratio(box, expected):
    height, width = ink_box(to_mnist(canvas_with(box)), level=0.3)
    assert (height, width) == expected


def test_black_ink_on_white_paper_reads_like_white_ink_on_black():
    white_on_black = to_mnist(canvas_with((40, 100, 240, 150), (40, 100, 80, 200)))
    black_on_white = to_mnist(canvas_with((40, 100, 240, 150), (40, 100, 80, 200), ink=0, background=255))
    np.testing.assert_allclose(white_on_black, black_on_white, atol=1e-6)


def test_grey_rgb_and_rgba_inputs_agree():
    boxes = ((40, 100, 240, 150),)
    results = [to_mnist(canvas_with(*boxes, channels=c)) for c in (1, 3, 4)]
    results.append(to_mnist(Image.fromarray(canvas_with(*boxes, channels=1))))
    for other in results[1:]:
        np.testing.assert_allclose(results[0], other, atol=1e-6)


def test_transparent_background_with_dark_ink_is_read():
    rgba = np.zeros((200, 200, 4), np.uint8)  # transparent everywhere ...
    rgba[30:170, 90:110] = (0, 0, 0, 255)  # ... but an opaque black bar
    x = to_mnist(rgba)
    assert x is not None and ink_box(x, level=0.3) == (20, 3)


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((CANVAS_SIZE, CANVAS_SIZE, 4), np.uint8),  # a fresh canvas before its background is painted
        canvas_with(),  # an empty black canvas
        canvas_with(background=255),  # an empty white page
        np.full((50, 50), 128, np.uint8),  # flat grey
        canvas_with((100, 100, 101, 102)),  # two stray pixels
        canvas_with((0, 0, 280, 280), ink=30),  # faint noise, below any ink contrast
    ],
)
def test_no_ink_gives_no_input(image):
    assert to_mnist(image) is None


@pytest.mark.parametrize(
    "image",
    [
        canvas_with((130, 130, 148, 148)),  # a dot
        canvas_with((0, 0, 280, 280)),  # ink over the whole canvas
        canvas_with((0, 0, 280, 160)),  # more ink than background
        canvas_with((0, 0, 280, 6)),  # a stroke at the very edge
        canvas_with((0, 0, 1, 280)),  # one pixel high
        np.zeros((1, 1), np.uint8),
        np.random.default_rng(0).integers(0, 256, (280, 280, 4), dtype=np.uint8),
        np.random.default_rng(1).random((64, 64)),  # float pixels in [0, 1]
        np.ones((30, 30), bool),
    ],
)
def test_odd_input_never_raises(image):
    x = to_mnist(image)
    assert x is None or (x.shape == (IMAGE_SIZE, IMAGE_SIZE) and np.isfinite(x).all())


def test_wrong_shape_raises_value_error():
    with pytest.raises(ValueError):
        to_mnist(np.zeros((10, 10, 2), np.uint8))


def test_real_mnist_digits_come_back_almost_unchanged(mnist_small):
    """An MNIST digit enlarged onto the canvas must come out of the pipeline close to the original."""
    originals = mnist_small.x_test[:100].astype(np.float32) / 255
    recovered = np.stack([to_mnist(upscaled_on_canvas(d)) for d in mnist_small.x_test[:100]])
    correlation = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(originals, recovered)]
    assert np.median(correlation) > 0.9


def test_real_pen_digits_are_read_through_the_canvas_pipeline(pen_sample, dense_network):
    from digitlab.evaluate import evaluate

    result = evaluate(dense_network, pen_sample)
    assert result["unread"] == 0
    assert result["accuracy"] >= 0.90  # 94.3 % on this sample; 93.9 % on the whole dev set


def test_rendered_strokes_look_like_the_canvas(pen_sample):
    canvas = render_strokes(pen_sample.strokes(0), brush=DEFAULT_BRUSH, height=0.6)
    assert canvas.shape == (CANVAS_SIZE, CANVAS_SIZE, 4) and (canvas[..., 3] == 255).all()
    rows = np.flatnonzero((canvas[..., 0] > 128).any(1))
    # about 60 % high, plus the brush
    assert 0.55 * CANVAS_SIZE < rows[-1] - rows[0] < 0.7 * CANVAS_SIZE + DEFAULT_BRUSH
    assert len(np.unique(canvas[..., 0])) > 2  # anti-aliased edges
