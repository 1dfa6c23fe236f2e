"""Loading a saved network and running it fast enough for every stroke.

`model.predict` costs ~60 ms per call (it builds a dataset and a loop each time), and even a direct
`model(x)` several ms. Our networks' layers are a few matrix products, so a drawing goes through the
layers' own weights in NumPy (digitlab.numpy_forward); large batches go to the Keras model directly.
"""

import json
from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import report_path
from digitlab.keras_file import model_layers, read_keras_file
from digitlab.numpy_forward import numpy_layers, run

# Up to how many images at once the NumPy forward pass is used: for a convnet, its im2col copies grow
# with the batch and Keras's own kernels win on large batches (a test set, say).
DENSE_NUMPY_BATCH, CONV_NUMPY_BATCH = 100_000, 64


class ModelError(Exception):
    """A network that cannot be loaded; the message says which command fixes it."""


def as_network_input(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> float32 in [0, 1] in the input shape of `model` (a keras.Model or a Network;
    flat for Dense networks)."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32, copy=False)
    return scaled.reshape((len(scaled),) + tuple(model.input_shape[1:]))


class Network:
    """A trained network: NumPy layers for a few images at a time, its Keras model for many.

    Loaded from a file, the NumPy layers come straight from the file's weights, and the Keras model (and
    TensorFlow, seconds to import) is loaded only when first needed: the Draw page never needs it.
    """

    def __init__(self, name: str, model=None, report: dict | None = None, path: str | Path | None = None):
        self.name, self.report, self.path, self._model = name, report, path, model
        saved = model_layers(model) if model is not None else _read_layers(Path(path))
        self.input_shape = saved.input_shape
        self._numpy_layers = numpy_layers(saved.layers)
        convolutional = any("Conv" in layer.kind for layer in saved.layers)
        self._numpy_batch = CONV_NUMPY_BATCH if convolutional else DENSE_NUMPY_BATCH

    @property
    def model(self):
        """The keras.Model (loaded from the file on first use)."""
        if self._model is None:
            try:
                self._model = import_keras().saving.load_model(self.path, compile=False)
            except Exception as error:  # an incompatible Keras, say: unusable
                raise ModelError(_unloadable(Path(self.path), error)) from error
        return self._model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for (N, 28, 28) images with pixels in [0, 1] (or uint8 0-255)."""
        x = as_network_input(self, images)
        if self._numpy_layers is not None and len(x) <= self._numpy_batch:
            return run(self._numpy_layers, x)
        return np.asarray(self.model(x, training=False))


def load_network(path: str | Path, name: str | None = None) -> Network:
    """The network saved at `path` (a .keras file) with the report beside it, or a ModelError that says how to fix it."""
    path = Path(path)
    name = name or path.stem
    if not path.is_file():
        raise ModelError(f"No trained network at {path}. Create it with: python train.py --out {path.parent}")
    report_file = report_path(name, path.parent)
    return Network(name=name, report=read_report(report_file) if report_file.is_file() else None, path=path)


def _read_layers(path: Path):
    try:
        return read_keras_file(path)
    except (ValueError, OSError) as error:  # a truncated zip, a foreign file: unusable
        raise ModelError(_unloadable(path, error)) from error


def _unloadable(path: Path, error: Exception) -> str:
    return (f"{path} could not be loaded ({type(error).__name__}: {error}). "
            f"Retrain it with: python train.py --out {path.parent}")


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
