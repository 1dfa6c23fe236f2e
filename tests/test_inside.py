"""The pictures of the Inside the network page, computed from real digits."""

import numpy as np

from digitlab.inside import (
    diverging_rgb,
    feature_map_grid,
    hidden_as_image,
    input_weights,
    layer_views,
    strongest_units,
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
