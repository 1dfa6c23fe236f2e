"""Exporting a Keras network to the .onnx file the app reads drawings with (digitlab.onnx_reader).

Keras's own exporter (model.export(format="onnx"), through tf2onnx) writes the forward pass alone, with the
layers' weights in it: a reader needs neither TensorFlow nor our code. Only the places that have
TensorFlow loaded anyway call this (train.py, tools/train_refusal.py), so keras and tf2onnx are imported
here when needed, never by the app's pages.

`add_onnx` exports a network that was saved without one (before the app read .onnx files), from its saved
.keras file, without training: the .onnx and its checksum in the report are written together
(digitlab.model_files), and only for the .keras file the report describes.
"""

import json
import warnings
from pathlib import Path

from digitlab.config import model_path, onnx_path, report_path
from digitlab.model_files import CHECKSUMS, save_network, sha256_of


def export_onnx(model, path: str | Path) -> None:
    """Writes `model`'s forward pass (float32 pictures in its own input shape, any batch) to the .onnx `path`."""
    import keras

    # The input given: a model loaded from a file was never called, and the exporter would not guess it then.
    signature = [keras.InputSpec(shape=model.input_shape, dtype="float32", name="pixels")]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)  # Keras's tf2onnx patch probes NumPy's np.object
        model.export(str(path), format="onnx", verbose=False, input_signature=signature)


def add_onnx(folder: str | Path, name: str) -> Path:
    """Exports the network saved as <folder>/<name>.keras to <name>.onnx, and records the .onnx's checksum in
    <name>.json, as one change. Returns the .onnx's path.

    Raises FileNotFoundError if the .keras or the report is missing, and ValueError if the report describes
    other weights than the .keras file's (then the .onnx would not be the network the report is about)."""
    from digitlab.backend import import_keras

    keras_file, report_file = model_path(name, folder), report_path(name, folder)
    report = json.loads(report_file.read_text())
    if report.get(CHECKSUMS[".keras"]) != sha256_of(keras_file):
        raise ValueError(f"{report_file} does not describe the weights in {keras_file}; retrain instead")
    try:
        model = import_keras().saving.load_model(keras_file, compile=False)
    except Exception as error:  # damaged or foreign: Keras raises what its readers raise
        raise ValueError(f"{keras_file} cannot be loaded ({type(error).__name__}: {error})") from error
    save_network(folder, name, report, onnx=lambda path: export_onnx(model, path))
    return onnx_path(name, folder)
