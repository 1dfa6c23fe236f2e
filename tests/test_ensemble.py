"""digitlab.ensemble: networks averaged over themselves and over turned or smaller copies of a drawing, as one."""

import numpy as np
import pytest

from digitlab.ensemble import SIDE, averaged, describe, view_matrix


def one_pixel(row, col):
    image = np.zeros((SIDE, SIDE), np.float32)
    image[row, col] = 1
    return image


def viewed(image, degrees, scale=1.0):
    return (image.reshape(1, -1) @ view_matrix(degrees, scale)).reshape(SIDE, SIDE)


@pytest.mark.parametrize(
    "degrees, start, end",
    [
        (0, (5, 20), (5, 20)),  # no turn: the same picture
        (90, (0, SIDE - 1), (0, 0)),  # counter-clockwise: the top right corner goes to the top left
        (-90, (0, 0), (0, SIDE - 1)),
        (180, (3, 7), (SIDE - 4, SIDE - 8)),
    ],
    ids=["none", "quarter left", "quarter right", "half"],
)
def test_a_turn_by_a_right_angle_moves_a_pixel_where_it_should(degrees, start, end):
    np.testing.assert_allclose(viewed(one_pixel(*start), degrees), one_pixel(*end), atol=1e-6)


def test_a_small_turn_keeps_the_ink_and_its_centre(mnist_small):
    digit = mnist_small.x_test[0].astype(np.float32) / 255  # MNIST centres digits by mass in the middle
    rows, cols = np.indices(digit.shape)
    for degrees in (-8, 8):
        out = viewed(digit, degrees)
        assert abs(out.sum() - digit.sum()) < 0.02 * digit.sum()
        centre = [(out * rows).sum() / out.sum(), (out * cols).sum() / out.sum()]
        before = [(digit * rows).sum() / digit.sum(), (digit * cols).sum() / digit.sum()]
        np.testing.assert_allclose(centre, before, atol=1.0)
        assert not np.allclose(out, digit, atol=0.1)


def test_a_smaller_view_keeps_the_centre_and_shrinks_the_ink_s_spread(mnist_small):
    digit = mnist_small.x_test[0].astype(np.float32) / 255
    rows, cols = np.indices(digit.shape)

    def centre_and_spread(image):
        mass = image.sum()
        centre = np.array([(image * rows).sum(), (image * cols).sum()]) / mass
        spread = np.sqrt((image * ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2)).sum() / mass)
        return centre, spread

    (centre, spread), (before, spread_before) = centre_and_spread(viewed(digit, 0, 0.92)), centre_and_spread(digit)
    np.testing.assert_allclose(centre - (SIDE - 1) / 2, 0.92 * (before - (SIDE - 1) / 2), atol=0.05)
    assert spread == pytest.approx(0.92 * spread_before, rel=0.02)


@pytest.mark.parametrize(
    "view, words",
    [
        ((0, 1.0), "as it is"),
        ((8, 1.0), "turned 8° counter-clockwise"),
        ((-8, 1.0), "turned 8° clockwise"),
        ((0, 0.92), "8 % smaller"),
        ((5, 1.1), "turned 5° counter-clockwise and 10 % larger"),
    ],
    ids=["none", "left", "right", "smaller", "both"],
)
def test_each_view_is_said_in_words(view, words):
    assert describe(view) == words


def test_the_average_is_each_member_on_each_view_averaged(mnist_small):
    import keras

    keras.utils.set_random_seed(0)
    members = [
        keras.Sequential([keras.Input((SIDE, SIDE, 1)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
        for _ in range(2)
    ]
    images = mnist_small.x_test[:8].astype(np.float32) / 255
    views = ((-8, 1.0), (8, 1.0), (0, 0.92))
    seen = [np.stack([viewed(x, *view) for x in images])[..., None] for view in ((0, 1.0), *views)]
    expected = np.mean([np.asarray(m(v)) for m in members for v in seen], axis=0)
    net = averaged(members, views)
    np.testing.assert_allclose(np.asarray(net(images[..., None])), expected, atol=1e-5)
    assert net.count_params() == sum(m.count_params() for m in members) + 3 * (SIDE * SIDE) ** 2
    assert sum(int(np.prod(w.shape)) for w in net.trainable_weights) == sum(m.count_params() for m in members)


def test_a_detector_with_a_class_for_each_digit_says_digit_with_their_sum():
    """tools.train_refusal --digit-classes: ten digit classes and the kinds become "digit" and the kinds."""
    import keras

    from tools.train_refusal import CLASSES, digits_summed

    keras.utils.set_random_seed(0)
    outputs = 10 + len(CLASSES) - 1
    ten = keras.Sequential(
        [keras.Input((SIDE, SIDE, 1)), keras.layers.Flatten(), keras.layers.Dense(outputs, "softmax")]
    )
    images = np.random.default_rng(0).random((5, SIDE, SIDE, 1)).astype(np.float32)
    before, after = np.asarray(ten(images)), np.asarray(digits_summed(ten)(images))
    assert after.shape == (5, len(CLASSES))
    np.testing.assert_allclose(after[:, 0], before[:, :10].sum(axis=1), atol=1e-6)
    np.testing.assert_allclose(after[:, 1:], before[:, 10:], atol=1e-6)


def test_a_detector_starts_from_the_convnet_s_own_layers_not_from_its_turns(tmp_path):
    """The saved convnet reads each drawing turned and smaller too (digitlab.training.with_views);
    tools.train_refusal builds a detector on the layers of the network inside it."""
    import keras

    from digitlab.ensemble import CONVNET_VIEWS, member
    from digitlab.networks import build_cnn
    from tools.train_refusal import build_detector

    cnn = keras.Sequential(build_cnn().layers, name="cnn")  # uncompiled: an unbuilt optimizer warns on loading
    assert member(cnn) is cnn  # a network that reads once is its own member
    averaged([cnn], CONVNET_VIEWS, name="cnn").save(tmp_path / "cnn.keras")
    detector = build_detector(tmp_path / "cnn.keras", steps=10, outputs=3)
    assert type(detector.layers[0]).__name__ == "Conv2D" and detector.output_shape == (None, 3)
    np.testing.assert_array_equal(detector.layers[0].get_weights()[0], cnn.layers[0].get_weights()[0])
