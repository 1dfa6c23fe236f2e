"""The pictures of the Inside the network page, computed from real digits."""

import numpy as np

from digitlab.inside import (
    diverging_rgb,
    feature_map_grid,
    hidden_as_image,
    input_weights,
    layer_views,
    strongest_units,
    view_readings,
)


def test_dense_layers_follow_the_forward_pass(dense_network, mnist_small):
    x = mnist_small.x_test[0].astype(np.float32) / 255
    hidden, output = (view.output for view in layer_views(dense_network, x))
    assert hidden.shape == (512,) and (hidden >= 0).all()
    np.testing.assert_allclose(output, dense_network.probabilities(x[None])[0], atol=1e-5)
    units = strongest_units(hidden, 8)
    assert hidden[units[0]] == hidden.max() and list(hidden[units]) == sorted(hidden[units], reverse=True)
    weights = input_weights(dense_network, units)
    assert weights.shape == (8, 28, 28)
    bias = float(dense_network.model.layers[0].get_weights()[1][units[0]])
    recomputed = max(0.0, float((weights[0] * x).sum()) + bias)
    assert abs(recomputed - hidden[units[0]]) < 1e-3  # a unit's activation is its weights times the pixels


def test_pictures_have_the_right_shapes_and_ranges():
    maps = np.random.default_rng(0).random((14, 14, 32)).astype(np.float32)
    grid = feature_map_grid(maps, columns=8)
    assert grid.shape == (4 * 15 - 1, 8 * 15 - 1) and grid.min() >= 0 and grid.max() <= 1
    assert hidden_as_image(np.arange(512, dtype=np.float32)).shape == (16, 32)
    rgb = diverging_rgb(np.array([[1.0, -1.0, 0.0]]))
    assert rgb.shape == (1, 3, 3)
    assert rgb[0, 0, 0] > rgb[0, 0, 2] and rgb[0, 1, 2] > rgb[0, 1, 0] and rgb[0, 2].max() == 0


def test_a_network_reading_several_views_shows_its_own_layers_then_the_average_of_its_readings(mnist_small):
    """The convnet's answer is the mean of its readings of the drawing as it is, turned and smaller (digitlab.ensemble):
    the page shows its layers once, each reading, and that mean, which is what the Draw page answers."""
    import keras

    from digitlab.ensemble import CONVNET_VIEWS, averaged
    from digitlab.inference import Network

    keras.utils.set_random_seed(0)
    own = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )
    network = Network("cnn", model=averaged([own], CONVNET_VIEWS, name="cnn"))
    x = mnist_small.x_test[0].astype(np.float32) / 255
    views = layer_views(network, x)
    assert [view.kind for view in views] == ["Conv2D", "Flatten", "Dense", "Average"]
    readings = view_readings(network, x)
    assert [view for view, _, _ in readings] == [(0, 1.0), *CONVNET_VIEWS]
    np.testing.assert_allclose(readings[0][2], views[-2].output, atol=1e-5)  # the layers read it as it is
    assert not any(np.allclose(image, x, atol=0.1) for _, image, _ in readings[1:])  # the others, moved
    mean = np.mean([probabilities for _, _, probabilities in readings], axis=0)
    np.testing.assert_allclose(views[-1].output, mean, atol=1e-5)
    np.testing.assert_allclose(mean, network.probabilities(x[None])[0], atol=1e-5)
