"""Fitting a network on MNIST and saving it, with its per-epoch history, so that an interrupted run breaks nothing."""

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from digitlab.config import NUM_CLASSES, model_path, report_path
from digitlab.data import Mnist
from digitlab.inference import as_network_input
from digitlab.networks import build

EVAL_BATCH = 2048


class EpochScores(keras.callbacks.Callback):
    """Measures loss and accuracy on the whole training set and on the test set at the end of every epoch.

    Keras's own per-epoch `accuracy` is a running average over the epoch's batches, taken while the
    weights were still changing; the lesson on overfitting needs the real figures at each epoch's end.
    """

    def __init__(self, x_train, y_train, x_test, y_test):
        super().__init__()
        self.sets = {"train": (x_train, y_train), "test": (x_test, y_test)}
        self.epochs = []
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1}
        for split, (x, y) in self.sets.items():
            loss, accuracy = self.model.evaluate(x, y, batch_size=EVAL_BATCH, verbose=0)
            row[f"{split}_loss"], row[f"{split}_accuracy"] = float(loss), float(accuracy)
        logs = logs or {}
        row["running_loss"], row["running_accuracy"] = float(logs.get("loss", np.nan)), float(logs.get("accuracy", np.nan))
        row["seconds"] = round(time.perf_counter() - self._started, 2)
        self.epochs.append(row)


def train(data: Mnist, network: str = "dense", epochs: int = 5, batch_size: int = 128, seed: int = 0,
          verbose: int = 1) -> tuple[keras.Model, dict]:
    """A fitted model and its report: the recipe, the per-epoch history and the final test scores."""
    keras.utils.set_random_seed(seed)
    model = build(network)
    x_train, x_test = (as_network_input(model, images) for images in (data.x_train, data.x_test))
    y_train, y_test = (keras.utils.to_categorical(labels, NUM_CLASSES) for labels in (data.y_train, data.y_test))
    scores = EpochScores(x_train, y_train, x_test, y_test)
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=[scores], verbose=verbose)
    seconds = time.perf_counter() - started
    final = scores.epochs[-1]
    report = {
        "network": network,
        "recipe": {
            "layers": [_describe(layer) for layer in model.layers],
            "optimizer": "rmsprop", "loss": "categorical_crossentropy",
            "epochs": epochs, "batch_size": batch_size, "seed": seed,
            "training_images": int(len(data.x_train)), "test_images": int(len(data.x_test)),
            "pixels": "uint8 / 255",
        },
        "history": scores.epochs,
        "train_accuracy": final["train_accuracy"], "train_loss": final["train_loss"],
        "test_accuracy": final["test_accuracy"], "test_loss": final["test_loss"],
        "parameters": int(model.count_params()),
        "seconds": round(seconds, 1),
        "data": {"source": data.source, "sha256": data.checksum()},
        "versions": _versions(),
    }
    return model, report


def save(model: keras.Model, report: dict, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Writes <name>.keras and <name>.json into out_dir, each through a temporary file and a rename."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_file, report_file = model_path(name, out_dir), report_path(name, out_dir)
    _write_atomically(weights_file, model.save)
    _write_atomically(report_file, lambda path: Path(path).write_text(json.dumps(report, indent=2) + "\n"))
    return weights_file, report_file


def _write_atomically(target: Path, write) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes files private; a model is for everyone who runs the app
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _describe(layer) -> str:
    config = layer.get_config()
    if "units" in config:
        return f"{type(layer).__name__}({config['units']}, {config.get('activation')})"
    return type(layer).__name__


def _versions() -> dict:
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}
