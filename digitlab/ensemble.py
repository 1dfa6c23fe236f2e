"""Several trained networks, each reading a drawing as it is and slightly turned, averaged into one network.

Issue #13: one "digit or not" detector could not tell the pen letters from the pen digits well enough
(README, "Figures"). Networks that learnt differently make other mistakes, and so does one network shown
the same drawing turned a few degrees; their average separates better than any one of them.

The turns are part of the network, not of the code that calls it: a rotation by a fixed angle (bilinear)
is linear in the pixels, so it is a fixed 784 x 784 matrix, kept as a Dense layer that is never trained.
The joined network is then one .keras and one .onnx file like any other, read the same way everywhere
(digitlab.onnx_reader), with the same checksums and the same tests.

    net = averaged([member_a, member_b], angles=VIEW_ANGLES, name="digit_or_not")   # Keras networks, (28, 28, 1) in

The convnet reads this way too, alone (averaged([cnn], VIEW_ANGLES)): it then misreads fewer of the pen-drawn
digits than when it reads each drawing once (README, "Figures").
"""

import functools

import numpy as np

SIDE = 28
VIEW_ANGLES = (-8, 8)  # degrees: each network also reads the drawing turned by these


@functools.cache  # the Inside page turns every drawing it shows; making the matrix takes tens of milliseconds
def rotation_matrix(degrees: float, side: int = SIDE) -> np.ndarray:
    """(side², side²) float32 M with flat(turned) = flat(image) @ M: OpenCV's bilinear turn about the centre,
    counter-clockwise, applied to each one-pixel image (row i of M is pixel i, turned). Read-only: it is shared."""
    import cv2

    turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), degrees, 1.0)
    basis = np.eye(side * side, dtype=np.float32).reshape(-1, side, side)
    matrix = np.stack([cv2.warpAffine(one, turn, (side, side), flags=cv2.INTER_LINEAR) for one in basis])
    matrix = matrix.reshape(side * side, side * side)
    matrix.setflags(write=False)
    return matrix


def averaged(members: list, angles: tuple[float, ...] = (), name: str = "averaged"):
    """One Keras network whose output is the mean of every member's output on the drawing and on the drawing
    turned by each angle (degrees). The members keep their weights; the turns are frozen layers."""
    import keras

    inputs = keras.Input((SIDE, SIDE, 1), name="pixels")
    views = [inputs]
    for degrees in angles:
        label = f"turn_{degrees:g}".replace("-", "minus_").replace(".", "_")
        turn = keras.layers.Dense(SIDE * SIDE, use_bias=False, trainable=False, name=label)
        views.append(keras.layers.Reshape((SIDE, SIDE, 1))(turn(keras.layers.Flatten()(inputs))))
        turn.set_weights([rotation_matrix(degrees)])
    outputs = [member(view) for member in members for view in views]
    mean = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="mean")(outputs)
    return keras.Model(inputs, mean, name=name)


def member(model):
    """The one network inside a network that reads a drawing turned (averaged([network], angles)), or the
    network itself: its own layers, for the pages and tools that look inside it."""
    inner = [layer for layer in model.layers if hasattr(layer, "layers")]
    return inner[0] if len(inner) == 1 else model
