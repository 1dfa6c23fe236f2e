"""Loading a saved network and running it fast enough for every stroke.

`model.predict` costs ~60 ms per call (it builds a dataset and a loop each time), and even a direct
`model(x)` several ms. Our networks' layers are a few matrix products, so a drawing goes through the
layers' own weights in NumPy (digitlab.numpy_forward); anything else is called directly.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import report_path
from digitlab.numpy_forward import numpy_layers, run

# Up to how many images at once the NumPy forward pass is used: for a convnet, its im2col copies grow
# with the batch and Keras's own kernels win on large batches (a test set, say).
DENSE_NUMPY_BATCH, CONV_NUMPY_BATCH = 100_000, 64


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
    _numpy_layers: list | None = field(default=None, repr=False)
    _numpy_batch: int = field(default=0, repr=False)

    def __post_init__(self):
        self._numpy_layers = numpy_layers(self.model)
        convolutional = any("Conv" in type(layer).__name__ for layer in self.model.layers)
        self._numpy_batch = CONV_NUMPY_BATCH if convolutional else DENSE_NUMPY_BATCH

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for (N, 28, 28) images with pixels in [0, 1] (or uint8 0-255)."""
        x = as_network_input(self.model, images)
        if self._numpy_layers is not None and len(x) <= self._numpy_batch:
            return run(self._numpy_layers, x)
        return np.asarray(self.model(x, training=False))


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
