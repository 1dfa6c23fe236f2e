"""What each layer of a network makes of one input: the pictures of the "Inside the network" page."""

from dataclasses import dataclass

import numpy as np

from digitlab.config import IMAGE_SIZE
from digitlab.ensemble import CONVNET_VIEWS, member, view_matrix
from digitlab.inference import Network, as_network_input


@dataclass(frozen=True)
class LayerView:
    name: str  # the Keras layer's name, e.g. "conv2d_1"
    kind: str  # its class, e.g. "Conv2D", "Dense"
    output: np.ndarray  # the layer's output for the one input, batch axis removed


def layer_views(network: Network, x: np.ndarray) -> list[LayerView]:
    """Every layer's output for one (28, 28) input, in order, ending with the probabilities. Of a network that
    also reads other views of the drawing (digitlab.ensemble), its own layers on the drawing as it is, then a last
    "Average": the probabilities it answers with, the same as on the Draw page."""
    model = member(network.model)
    outputs = _extractor(model)(as_network_input(model, x[None]), training=False)
    views = [
        LayerView(layer.name, type(layer).__name__, np.asarray(output)[0])
        for layer, output in zip(model.layers, outputs)
    ]
    if model is not network.model:
        views.append(LayerView("mean", "Average", network.probabilities(x[None])[0]))
    return views


def view_readings(network: Network, x: np.ndarray) -> list[tuple[tuple[float, float], np.ndarray, np.ndarray]]:
    """(view, the input seen that way, the network's own probabilities for it) for the drawing as it is and each
    of CONVNET_VIEWS (turned, smaller): the readings that the convnet averages into its answer."""
    model = member(network.model)
    views = ((0, 1.0), *CONVNET_VIEWS)
    inputs = np.stack([(x.reshape(1, -1) @ view_matrix(*view)).reshape(x.shape) for view in views])
    probabilities = np.asarray(model(as_network_input(model, inputs), training=False))
    return list(zip(views, inputs, probabilities))


def strongest_units(hidden: np.ndarray, count: int = 8) -> np.ndarray:
    """Indices of the `count` most active hidden units, strongest first."""
    return np.argsort(hidden)[::-1][:count]


def input_weights(network: Network, units: np.ndarray) -> np.ndarray:
    """(len(units), 28, 28): what each unit of the first Dense layer looks for in the picture.

    A unit's activation is the sum of the pixels times these weights (plus a bias): bright where ink
    raises it, dark where ink lowers it.
    """
    first_dense = next(layer for layer in network.model.layers if type(layer).__name__ == "Dense")
    weights = np.asarray(first_dense.get_weights()[0])  # (784, units)
    return weights[:, units].T.reshape(len(units), IMAGE_SIZE, IMAGE_SIZE)


def diverging_rgb(weights: np.ndarray) -> np.ndarray:
    """Weights as a uint8 RGB picture: orange where positive, blue where negative, black near zero
    (orange and blue stay apart for colour-blind viewers)."""
    scaled = weights / max(float(np.abs(weights).max()), 1e-12)
    positive, negative = np.clip(scaled, 0, 1)[..., None], np.clip(-scaled, 0, 1)[..., None]
    rgb = positive * np.array([230, 159, 0]) + negative * np.array([86, 180, 233])
    return rgb.astype(np.uint8)


def feature_map_grid(maps: np.ndarray, columns: int = 8, count: int | None = None) -> np.ndarray:
    """(H, W, C) feature maps tiled into one picture, each map scaled to [0, 1] on its own, 1 px gaps."""
    height, width, channels = maps.shape
    count = min(count or channels, channels)
    rows = -(-count // columns)
    grid = np.ones((rows * (height + 1) - 1, columns * (width + 1) - 1), np.float32)
    for c in range(count):
        m = maps[..., c]
        span = m.max() - m.min()
        tile = (m - m.min()) / span if span > 0 else np.zeros_like(m)
        top, left = (c // columns) * (height + 1), (c % columns) * (width + 1)
        grid[top : top + height, left : left + width] = tile
    return grid


def hidden_as_image(hidden: np.ndarray, width: int = 32) -> np.ndarray:
    """A vector of activations as a (len / width, width) picture in [0, 1] (512 units -> 16 x 32)."""
    rows = -(-len(hidden) // width)
    padded = np.zeros(rows * width, np.float32)
    padded[: len(hidden)] = hidden / hidden.max() if hidden.max() > 0 else hidden
    return padded.reshape(rows, width)


_extractors: dict[int, object] = {}


def _extractor(model):
    """A Keras model that returns every layer's output; built once per network (building it is slow)."""
    key = id(model)
    if key not in _extractors:
        import keras

        _extractors[key] = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    return _extractors[key]
