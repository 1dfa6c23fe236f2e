"""Several trained networks, each reading a drawing as it is and slightly turned, averaged into one network.

Issue #13: one "digit or not" detector could not tell the pen letters from the pen digits well enough
(README, "Figures"). Networks that learnt differently make other mistakes, and so does one network shown
the same drawing turned a few degrees; their average separates better than any one of them.

The views are part of the network, not of the code that calls it: turning or shrinking a picture by a fixed
amount about its centre (bilinear) is linear in the pixels, so it is a fixed 784 x 784 matrix, kept as a Dense
layer that is never trained. The joined network is then one .keras and one .onnx file like any other, read the
same way everywhere (digitlab.onnx_reader), with the same checksums and the same tests.

    net = averaged([member_a, member_b], views=TURNS, name="digit_or_not")   # Keras networks, (28, 28, 1) in

The convnet reads this way too, alone (averaged([cnn], CONVNET_VIEWS)), and also reads each drawing a little
smaller: it then misreads fewer of the pen-drawn digits than when it reads each drawing once, or only turned
(README, "Figures").
"""

import functools

import numpy as np

SIDE = 28
# A view is (degrees counter-clockwise, scale): the drawing turned and resized about its centre.
TURNS = ((-8, 1.0), (8, 1.0))  # each network also reads the drawing turned 8 degrees each way
CONVNET_VIEWS = (*TURNS, (0, 0.92))  # the convnet also reads it 8 % smaller


@functools.cache  # the Inside page turns every drawing it shows; making the matrix takes tens of milliseconds
def view_matrix(degrees: float, scale: float = 1.0, side: int = SIDE) -> np.ndarray:
    """(side², side²) float32 M with flat(view) = flat(image) @ M: OpenCV's bilinear turn (counter-clockwise) and
    resize about the centre, applied to each one-pixel image (row i of M is pixel i, moved). Read-only: it is shared."""
    import cv2

    turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), degrees, scale)
    basis = np.eye(side * side, dtype=np.float32).reshape(-1, side, side)
    matrix = np.stack([cv2.warpAffine(one, turn, (side, side), flags=cv2.INTER_LINEAR) for one in basis])
    matrix = matrix.reshape(side * side, side * side)
    matrix.setflags(write=False)
    return matrix


def describe(view: tuple[float, float]) -> str:
    """'as it is', 'turned 8° clockwise', '8 % smaller'... for the pages and the training report."""
    degrees, scale = view
    turned = f"turned {abs(degrees):g}° {'counter-clockwise' if degrees > 0 else 'clockwise'}" if degrees else ""
    resized = f"{abs(1 - scale) * 100:.0f} % {'smaller' if scale < 1 else 'larger'}" if scale != 1 else ""
    return " and ".join(part for part in (turned, resized) if part) or "as it is"


def averaged(members: list, views: tuple[tuple[float, float], ...] = (), name: str = "averaged"):
    """One Keras network whose output is the mean of every member's output on the drawing and on each view of it
    ((degrees, scale) pairs). The members keep their weights; the views are frozen layers."""
    import keras

    inputs = keras.Input((SIDE, SIDE, 1), name="pixels")
    seen = [inputs]
    for degrees, scale in views:
        layer = keras.layers.Dense(SIDE * SIDE, use_bias=False, trainable=False, name=_layer_name(degrees, scale))
        seen.append(keras.layers.Reshape((SIDE, SIDE, 1))(layer(keras.layers.Flatten()(inputs))))
        layer.set_weights([view_matrix(degrees, scale)])
    outputs = [member(view) for member in members for view in seen]
    mean = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="mean")(outputs)
    return keras.Model(inputs, mean, name=name)


def _layer_name(degrees: float, scale: float) -> str:
    """turn_8, turn_minus_8, scale_0_92: what a view's layer is called (Keras names take no '-' or '.')."""
    parts = [f"turn_{degrees:g}"] * bool(degrees) + [f"scale_{scale:g}"] * (scale != 1)
    return "_".join(parts).replace("-", "minus_").replace(".", "_")


def member(model):
    """The one network inside a network that reads several views of a drawing (averaged([network], views)), or the
    network itself: its own layers, for the pages and tools that look inside it."""
    inner = [layer for layer in model.layers if hasattr(layer, "layers")]
    return inner[0] if len(inner) == 1 else model
