"""Loading a saved network and running it fast enough for every stroke.

`model.predict` costs ~60 ms per call (it builds a dataset and a loop each time), and even a direct
`model(x)` several ms. Our networks' layers are a few matrix products, so images go through the
layers' own weights in NumPy (digitlab.numpy_forward), a few dozen at a time, and never need TensorFlow.

A saved network is checked when it is loaded: it must run in NumPy and turn a 28 x 28 picture into ten
probabilities. A file that does not (damaged, foreign, an unknown or code-carrying layer, the wrong
shapes) is a ModelError then, with one message, never a traceback in the middle of a page.
"""

from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import IMAGE_SIZE, NUM_CLASSES, report_path
from digitlab.keras_file import model_layers, read_keras_file
from digitlab.model_errors import missing_network, unusable
from digitlab.model_files import settle, sha256_of
from digitlab.numpy_forward import SUPPORTED_LAYERS, numpy_layers, run
from digitlab.report import Report

# How many images go through the NumPy forward pass at once: a convnet's im2col copies grow with the batch.
DENSE_NUMPY_BATCH, CONV_NUMPY_BATCH = 100_000, 64


def as_network_input(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> float32 in [0, 1] in the input shape of `model` (a keras.Model or a Network;
    flat for Dense networks)."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32, copy=False)
    return scaled.reshape((len(scaled),) + tuple(model.input_shape[1:]))


class Network:
    """A trained network: its layers in NumPy to read images, its Keras model to look inside it.

    Loaded from a file, the NumPy layers come straight from the file's weights, and the Keras model (and
    TensorFlow, seconds to import) is loaded only when first needed: only the Inside page needs it.
    """

    def __init__(self, name: str, model=None, report: Report | None = None, path: str | Path | None = None):
        self.name, self.report, self.path, self._model = name, report, path, model
        saved = model_layers(model) if model is not None else _read_layers(Path(path))
        self.input_shape = saved.input_shape
        self._numpy_layers = numpy_layers(saved.layers)
        convolutional = any("Conv" in layer.kind for layer in saved.layers)
        self._numpy_batch = CONV_NUMPY_BATCH if convolutional else DENSE_NUMPY_BATCH
        if model is None:
            self._check_file(saved)

    def _check_file(self, saved) -> None:
        """A saved network must run without TensorFlow (a Lambda layer, say, never will, and would run code)
        and turn one 28 x 28 picture into ten probabilities."""
        path = Path(self.path)
        if self._numpy_layers is None:
            kinds = sorted({layer.kind for layer in saved.layers} - set(SUPPORTED_LAYERS))
            raise unusable(path, f"it has layers or settings this app does not run ({', '.join(kinds) or 'settings'})")
        try:
            output = self.probabilities(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32))
        except (ValueError, TypeError, IndexError) as error:
            raise unusable(path, f"it does not take a {IMAGE_SIZE} x {IMAGE_SIZE} picture ({error})") from error
        if output.shape != (1, NUM_CLASSES) or not np.isfinite(output).all():
            raise unusable(path, f"it gives {output.shape[1:]} numbers, not {NUM_CLASSES} probabilities")

    @property
    def model(self):
        """The keras.Model (loaded from the file on first use)."""
        if self._model is None:
            try:
                self._model = import_keras().saving.load_model(self.path, compile=False)
            except Exception as error:  # an incompatible Keras, a Lambda refused by Keras's safe mode: unusable
                raise unusable(Path(self.path), f"{type(error).__name__}: {error}") from error
        return self._model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for (N, 28, 28) images with pixels in [0, 1] (or uint8 0-255)."""
        x = as_network_input(self, images)
        if self._numpy_layers is None:  # a model in memory with a layer NumPy does not run
            return np.asarray(self.model(x, training=False))
        if len(x) <= self._numpy_batch:
            return run(self._numpy_layers, x)
        return np.concatenate(
            [
                run(self._numpy_layers, x[start : start + self._numpy_batch])
                for start in range(0, len(x), self._numpy_batch)
            ]
        )


def load_network(path: str | Path, name: str | None = None) -> Network:
    """The network saved at `path` (a .keras file) with the report beside it, or a ModelError that says how to
    fix it."""
    path = Path(path)
    name = name or path.stem
    settle(path.parent, name)  # finish or undo a save that train.py did not live to complete
    if not path.is_file():
        raise missing_network(path)
    report_file = report_path(name, path.parent)
    report = Report.load(report_file) if report_file.is_file() else None
    if report and report.weights_sha256 not in (None, sha256_of(path)):
        raise unusable(path, f"its report {report_file.name} describes other weights")
    return Network(name=name, report=report, path=path)


def _read_layers(path: Path):
    try:
        return read_keras_file(path)
    except ValueError as error:  # a truncated zip, a foreign file: unusable
        raise unusable(path, str(error)) from error
    except OSError as error:  # a folder, a file nobody may read
        raise unusable(path, f"{type(error).__name__}: {error}") from error
