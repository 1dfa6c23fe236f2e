"""A network's forward pass in plain NumPy, for the one-drawing-per-stroke case.

Calling a Keras model on one image costs milliseconds of framework overhead (and `model.predict`
tens of them); the arithmetic itself is a few matrix products. For the layer types our networks use
(Dense, Conv2D, BatchNormalization, Activation, MaxPooling2D, Flatten, Dropout) this runs the layers'
own weights directly, read from the saved file (digitlab.keras_file) or taken from a model in memory.
Any other layer, or an unusual setting, returns None and the caller keeps calling Keras.
"""

from collections.abc import Callable

import numpy as np

Layer = Callable[[np.ndarray], np.ndarray]
SUPPORTED_LAYERS = ("Dense", "Conv2D", "BatchNormalization", "Activation", "MaxPooling2D", "Flatten", "Dropout")


def numpy_layers(layers: list) -> list[Layer] | None:
    """One NumPy function per layer (digitlab.keras_file.LayerSpec: kind, config, weights), or None if a
    layer, one of its settings or its weights are not what this pass runs (a config without a setting, say)."""
    try:
        return _functions(layers) or None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


def _functions(layers: list) -> list[Layer] | None:
    functions = []
    for layer in layers:
        kind, config, weights = layer.kind, layer.config, layer.weights
        if kind == "Dropout":
            continue  # inactive at inference
        if kind == "Flatten":
            functions.append(lambda x: x.reshape(len(x), -1))  # channels-last order, as Keras flattens
        elif kind == "Dense" and config.get("activation") in ACTIVATIONS and config["use_bias"]:
            functions.append(_dense(*weights, IN_PLACE[config["activation"]]))
        elif kind == "Conv2D" and _plain_convolution(config):
            kernel, *bias = weights
            functions.append(
                _conv2d(kernel, bias[0] if bias else 0.0, config["padding"], IN_PLACE[config["activation"]])
            )
        elif kind == "BatchNormalization" and config["axis"] in (-1, [-1], 3, [3]):
            functions.append(_batch_norm(config, weights))
        elif kind == "Activation" and config["activation"] in ACTIVATIONS:
            functions.append(ACTIVATIONS[config["activation"]])
        elif kind == "MaxPooling2D" and _plain_pooling(config):
            functions.append(_max_pool(tuple(config["pool_size"])))
        else:
            return None
    return functions


def run(layers: list[Layer], x: np.ndarray) -> np.ndarray:
    for layer in layers:
        x = layer(x)
    return x


def _dense(weights, bias, activation) -> Layer:
    weights, bias = np.asarray(weights, np.float32), np.asarray(bias, np.float32)
    return lambda x: activation(x @ weights + bias)


def _conv2d(kernel, bias, padding, activation) -> Layer:
    """A stride-1 convolution as one matrix product over every k x k window (im2col).

    The windows are gathered with one fancy index into the flattened input, computed once per input
    shape; positions in the "same" padding point at an extra zero appended to each image. For one image
    this is several times faster than building the windows with strided views and a transposed copy.
    """
    kernel, bias = np.asarray(kernel, np.float32), np.asarray(bias, np.float32)
    kh, kw, channels, filters = kernel.shape
    flat_kernel = kernel.reshape(kh * kw * channels, filters)  # (kh, kw, in) order, as the windows below
    gathers: dict[tuple[int, int], np.ndarray] = {}

    def convolve(x):
        n, height, width, _ = x.shape
        if (height, width) not in gathers:
            gathers[height, width] = _window_index(height, width, channels, kh, kw, padding)
        index = gathers[height, width]
        flat = np.concatenate([x.reshape(n, -1), np.zeros((n, 1), x.dtype)], axis=1)
        columns = np.take(flat, index, axis=1)  # (N, out_h, out_w, kh * kw * channels)
        product = columns.reshape(-1, flat_kernel.shape[0]) @ flat_kernel  # a 2-D product: BLAS's fastest
        return activation(product.reshape(*columns.shape[:3], filters) + bias)

    return convolve


def _window_index(height, width, channels, kh, kw, padding) -> np.ndarray:
    """(out_h, out_w, kh * kw * channels) indices into a flattened (height, width, channels) image plus one
    trailing zero (index height * width * channels), in the kernel's (row, column, channel) order."""
    top, left = ((kh - 1) // 2, (kw - 1) // 2) if padding == "same" else (0, 0)
    out_h, out_w = (height, width) if padding == "same" else (height - kh + 1, width - kw + 1)
    rows = np.arange(out_h)[:, None, None, None, None] + np.arange(kh)[None, None, :, None, None] - top
    cols = np.arange(out_w)[None, :, None, None, None] + np.arange(kw)[None, None, None, :, None] - left
    channel = np.arange(channels)[None, None, None, None, :]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    index = np.where(inside, (rows * width + cols) * channels + channel, height * width * channels)
    return index.reshape(out_h, out_w, kh * kw * channels)


def _batch_norm(config: dict, weights: list) -> Layer:
    """Inference-time batch normalisation: one scale and one offset per channel, from the moving statistics."""
    weights = [np.asarray(w, np.float32) for w in weights]
    gamma = weights.pop(0) if config["scale"] else 1.0
    beta = weights.pop(0) if config["center"] else 0.0
    moving_mean, moving_variance = weights
    scale = gamma / np.sqrt(moving_variance + config["epsilon"])
    offset = beta - moving_mean * scale
    return lambda x: x * scale + offset


def _max_pool(size: tuple[int, int]) -> Layer:
    ph, pw = size

    def pool(x):
        """The maximum of the ph x pw strided views: a few whole-array maxima, faster than a reduction over
        reshaped axes."""
        h, w = x.shape[1] // ph * ph, x.shape[2] // pw * pw
        views = [x[:, i:h:ph, j:w:pw] for i in range(ph) for j in range(pw)]
        result = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
        for view in views[2:]:
            np.maximum(result, view, out=result)
        return result

    return pool


def _plain_convolution(config: dict) -> bool:
    return (
        tuple(config["strides"]) == (1, 1)
        and tuple(config["dilation_rate"]) == (1, 1)
        and config["padding"] in ("same", "valid")
        and config.get("groups", 1) == 1
        and config["data_format"] == "channels_last"
        and config["activation"] in ACTIVATIONS
    )


def _plain_pooling(config: dict) -> bool:
    return (
        config["padding"] == "valid"
        and config["data_format"] == "channels_last"
        and tuple(config["strides"]) == tuple(config["pool_size"])
    )


def _softmax(x: np.ndarray) -> np.ndarray:
    exp = np.exp(x - x.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0), "softmax": _softmax, "linear": lambda x: x}
# For the layers' own fresh outputs: no second array
IN_PLACE = {**ACTIVATIONS, "relu": lambda x: np.maximum(x, 0, out=x)}
