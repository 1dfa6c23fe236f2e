"""A network's forward pass in plain NumPy, for the one-drawing-per-stroke case.

Calling a Keras model on one image costs milliseconds of framework overhead (and `model.predict`
tens of them); the arithmetic itself is a few matrix products. For the layer types our networks use
(Dense, Conv2D, BatchNormalization, Activation, MaxPooling2D, Flatten, Dropout) this runs the layers'
own weights directly, read from the saved file (digitlab.keras_file) or taken from a model in memory.
Any other layer, or an unusual setting, returns None and the caller keeps calling Keras.
"""

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Layer = Callable[[np.ndarray], np.ndarray]


def numpy_layers(layers: list) -> list[Layer] | None:
    """One NumPy function per layer (digitlab.keras_file.LayerSpec: kind, config, weights), or None if a
    layer is not supported."""
    functions = []
    for layer in layers:
        kind, config, weights = layer.kind, layer.config, layer.weights
        if kind == "Dropout":
            continue  # inactive at inference
        if kind == "Flatten":
            functions.append(lambda x: x.reshape(len(x), -1))  # channels-last order, as Keras flattens
        elif kind == "Dense" and config.get("activation") in ACTIVATIONS and config["use_bias"]:
            functions.append(_dense(*weights, ACTIVATIONS[config["activation"]]))
        elif kind == "Conv2D" and _plain_convolution(config):
            kernel, *bias = weights
            functions.append(_conv2d(kernel, bias[0] if bias else 0.0, config["padding"],
                                     ACTIVATIONS[config["activation"]]))
        elif kind == "BatchNormalization" and config["axis"] in (-1, [-1], 3, [3]):
            functions.append(_batch_norm(config, weights))
        elif kind == "Activation" and config["activation"] in ACTIVATIONS:
            functions.append(ACTIVATIONS[config["activation"]])
        elif kind == "MaxPooling2D" and _plain_pooling(config):
            functions.append(_max_pool(tuple(config["pool_size"])))
        else:
            return None
    return functions or None


def run(layers: list[Layer], x: np.ndarray) -> np.ndarray:
    for layer in layers:
        x = layer(x)
    return x


def _dense(weights, bias, activation) -> Layer:
    weights, bias = np.asarray(weights, np.float32), np.asarray(bias, np.float32)
    return lambda x: activation(x @ weights + bias)


def _conv2d(kernel, bias, padding, activation) -> Layer:
    """A stride-1 convolution as one matrix product over every k x k window (im2col)."""
    kernel, bias = np.asarray(kernel, np.float32), np.asarray(bias, np.float32)
    kh, kw, channels, filters = kernel.shape
    flat_kernel = kernel.reshape(kh * kw * channels, filters)  # (kh, kw, in) order, as the windows below

    def convolve(x):
        if padding == "same":
            x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
        windows = sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H, W, C, kh, kw)
        n, h, w = windows.shape[:3]
        columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n, h, w, kh * kw * channels)
        return activation(columns @ flat_kernel + bias)

    return convolve


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
        n, h, w, c = x.shape
        x = x[:, :h // ph * ph, :w // pw * pw]
        return x.reshape(n, h // ph, ph, w // pw, pw, c).max(axis=(2, 4))

    return pool


def _plain_convolution(config: dict) -> bool:
    return (tuple(config["strides"]) == (1, 1) and tuple(config["dilation_rate"]) == (1, 1)
            and config["padding"] in ("same", "valid") and config.get("groups", 1) == 1
            and config["data_format"] == "channels_last"
            and config["activation"] in ACTIVATIONS)


def _plain_pooling(config: dict) -> bool:
    return (config["padding"] == "valid" and config["data_format"] == "channels_last"
            and tuple(config["strides"]) == tuple(config["pool_size"]))


def _softmax(x: np.ndarray) -> np.ndarray:
    exp = np.exp(x - x.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0), "softmax": _softmax, "linear": lambda x: x}
