"""Loading a saved network and running it fast enough for every stroke.

`model.predict` costs ~60 ms per call (it builds a dataset and a loop each time). A stack of Dense
layers is just two matrix products, so for it we run the layers' own weights in NumPy (~0.03 ms);
other networks are called directly (`model(x)`, a few ms).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import report_path


class ModelError(Exception):
    """A network that cannot be loaded; the message says which command fixes it."""


def as_network_input(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> float32 in [0, 1] in the model's input shape (flat for Dense networks)."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32, copy=False)
    return scaled.reshape((len(scaled),) + tuple(model.input_shape[1:]))


@dataclass
class Network:
    name: str
    model: object  # keras.Model
    report: dict | None = None
    _dense_stack: list | None = field(default=None, repr=False)

    def __post_init__(self):
        self._dense_stack = _numpy_dense_stack(self.model)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for (N, 28, 28) images with pixels in [0, 1] (or uint8 0-255)."""
        x = as_network_input(self.model, images)
        if self._dense_stack is None:
            return np.asarray(self.model(x, training=False))
        for weights, bias, activation in self._dense_stack:
            x = activation(x @ weights + bias)
        return x


def load_network(path: str | Path, name: str | None = None) -> Network:
    """The network saved at `path` (a .keras file) with the report beside it, or a ModelError that says how to fix it."""
    path = Path(path)
    name = name or path.stem
    if not path.is_file():
        raise ModelError(f"No trained network at {path}. Create it with: python train.py --out {path.parent}")
    try:
        model = import_keras().saving.load_model(path, compile=False)
    except Exception as error:  # a truncated zip, a foreign file, an incompatible Keras: all unusable
        raise ModelError(f"{path} could not be loaded ({type(error).__name__}: {error}). "
                         f"Retrain it with: python train.py --out {path.parent}") from error
    report_file = report_path(name, path.parent)
    return Network(name=name, model=model, report=read_report(report_file) if report_file.is_file() else None)


def read_report(path: str | Path) -> dict:
    """A network's training report (the .json written by train.py), or a ModelError."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise ModelError(f"No training report at {path}. Create it with: python train.py --out {path.parent}") from error
    except (OSError, ValueError) as error:
        raise ModelError(f"{path} is not a readable training report ({error}). "
                         f"Retrain with: python train.py --out {path.parent}") from error


def _numpy_dense_stack(model) -> list | None:
    """[(weights, bias, activation)] when the model is only Dense layers with known activations, else None."""
    stack = []
    for layer in model.layers:
        if type(layer).__name__ == "Dropout":
            continue
        activation = _ACTIVATIONS.get(layer.get_config().get("activation")) if type(layer).__name__ == "Dense" else None
        if activation is None or not layer.use_bias:
            return None
        weights, bias = (np.asarray(variable, dtype=np.float32) for variable in layer.get_weights())
        stack.append((weights, bias, activation))
    return stack or None


def _softmax(x: np.ndarray) -> np.ndarray:
    exp = np.exp(x - x.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


_ACTIVATIONS = {"relu": lambda x: np.maximum(x, 0), "softmax": _softmax, "linear": lambda x: x}
