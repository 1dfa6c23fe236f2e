"""Loading a saved network and running it fast enough for every stroke.

`model.predict` costs tens of ms per call (it builds a dataset and a loop each time), and TensorFlow
seconds to import. A saved network is read from its .onnx file by ONNX Runtime instead
(digitlab.onnx_reader): the Draw page, the Our class page and the command line never need TensorFlow.
A network trained a moment ago (given as a keras.Model) is called directly, `model(x, training=False)`:
TensorFlow is there already, and a few ms per call is what the Train page's experiments can afford.

A saved network is checked when it is loaded: its .onnx must be the one its report names (the report keeps
each file's SHA-256, digitlab.model_files), and turn a 28 x 28 picture into ten probabilities. A file that
does not (damaged, foreign, the wrong shapes, a folder, unreadable) is a ModelError then, with one
message, never a traceback in the middle of a page.
"""

from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import NUM_CLASSES, onnx_path, report_path
from digitlab.model_errors import ModelError, missing_network, train_command, unusable
from digitlab.model_files import CHECKSUMS, settle, sha256_of, sha256_of_bytes
from digitlab.onnx_reader import BATCH, OnnxGraph
from digitlab.report import Report


def as_network_input(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images -> float32 in [0, 1] in the input shape of `model` (a keras.Model or a Network;
    flat for Dense networks)."""
    images = np.asarray(images)
    scaled = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images.astype(np.float32, copy=False)
    return scaled.reshape((len(scaled),) + tuple(model.input_shape[1:]))


class Network:
    """A trained network: its ONNX graph to read images, its Keras model to look inside it.

    Given a keras.Model (one just trained), it reads with that model. Given the path of a saved network (its
    .keras file; the .onnx and the report beside it), it reads with the .onnx in ONNX Runtime, and the Keras
    model (and TensorFlow, seconds to import) is loaded only when first needed: only the Inside page needs it.
    """

    def __init__(self, name: str, model=None, report: Report | None = None, path: str | Path | None = None):
        self.name, self.report, self._model = name, report, model
        self.path = Path(path).with_suffix(".keras") if path is not None else None
        self._graph = None if model is not None else _read_graph(self.path, report)
        self.input_shape = tuple(model.input_shape) if model is not None else self._graph.input_shape

    @property
    def model(self):
        """The keras.Model (loaded from the .keras file on first use); it must take what the .onnx takes."""
        if self._model is None:
            try:
                model = import_keras().saving.load_model(self.path, compile=False)
            except Exception as error:  # damaged, foreign, a Lambda refused by Keras's safe mode: unusable
                raise unusable(self.path, f"{type(error).__name__}: {error}") from error
            shapes = tuple(model.input_shape), tuple(model.output_shape)
            if shapes != (self.input_shape, (None, NUM_CLASSES)):
                raise unusable(self.path, f"its Keras model takes {shapes[0]} and gives {shapes[1]}, unlike its .onnx")
            self._model = model
        return self._model

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(N, 10) probabilities for (N, 28, 28) images with pixels in [0, 1] (or uint8 0-255)."""
        x = as_network_input(self, images)
        if self._graph is not None:
            return self._graph.run(x)
        if len(x) <= BATCH:
            return np.asarray(self._model(x, training=False))
        return np.concatenate([self.probabilities(x[start : start + BATCH]) for start in range(0, len(x), BATCH)])


def load_network(path: str | Path, name: str | None = None) -> Network:
    """The network saved at `path` (its .keras or its .onnx file) with the report beside it, or a ModelError
    that says how to fix it."""
    path = Path(path).with_suffix(".keras")
    name = name or path.stem
    settle(path.parent, name)  # finish or undo a save that train.py did not live to complete
    if not path.is_file() and not onnx_path(name, path.parent).exists():
        raise missing_network(path)
    report_file = report_path(name, path.parent)
    report = Report.load(report_file) if report_file.is_file() else None
    if report and path.is_file() and getattr(report, CHECKSUMS[".keras"]) not in (None, sha256_of(path)):
        raise unusable(path, f"its report {report_file.name} describes other weights")
    return Network(name=name, report=report, path=path)


def _read_graph(path: Path, report: Report | None) -> OnnxGraph:
    """The .onnx beside the .keras file at `path`, checked against the report's checksum of it, in ONNX Runtime."""
    graph_file = onnx_path(path.stem, path.parent)
    try:
        data = graph_file.read_bytes()
    except FileNotFoundError as error:
        raise ModelError(
            f"{path} has no {graph_file.name} beside it, which reads drawings. Make it (no training) with: "
            f"{train_command(path, option=' --onnx-only')}",
            "This network cannot be used on this server: its file for reading drawings is missing. "
            f"Whoever runs the app can make it with: {train_command(path, visitor=True, option=' --onnx-only')}",
        ) from error
    except OSError as error:  # a folder, a file nobody may read
        raise unusable(graph_file, f"{type(error).__name__}: {error.strerror or error}") from error
    if report and getattr(report, CHECKSUMS[".onnx"]) not in (None, sha256_of_bytes(data)):
        raise unusable(graph_file, f"its report {report_path(path.stem, path.parent).name} describes another .onnx")
    try:
        return OnnxGraph(data, NUM_CLASSES)
    except ValueError as error:
        raise unusable(graph_file, str(error)) from error
