"""Fitting a network on MNIST and saving it, with its per-epoch history, so that an interrupted run breaks nothing."""

import platform
import time
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from digitlab.config import NUM_CLASSES
from digitlab.data import Mnist
from digitlab.ensemble import CONVNET_VIEWS, averaged, describe
from digitlab.inference import as_network_input
from digitlab.model_files import CHECKSUMS, save_network
from digitlab.networks import LEARNING_RATE, WEIGHT_AVERAGE_STEPS, build
from digitlab.report import Recipe, Report

EVAL_BATCH = 2048


@dataclass(frozen=True)
class Plan:
    """How a network is trained when train.py is not told otherwise (its report's Recipe says how it was)."""

    epochs: int
    batch_size: int
    optimizer: str  # as written in the report
    augmented: bool = False  # trained on digitlab.augment's redrawings (then built with its number of steps)
    scored_train_images: int | None = None  # per-epoch training scores on this many of the training images (None: all)
    views: tuple[tuple[float, float], ...] = ()  # the saved network also reads these views of each drawing


RECIPES = {
    "dense": Plan(epochs=5, batch_size=128, optimizer="rmsprop"),
    "cnn": Plan(
        epochs=9,
        batch_size=128,
        augmented=True,
        optimizer=f"adam, cosine decay from {LEARNING_RATE:g}, weights averaged over ~{WEIGHT_AVERAGE_STEPS} batches",
        scored_train_images=10_000,
        views=CONVNET_VIEWS,
    ),
}


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
        row["running_loss"] = float(logs.get("loss", np.nan))
        row["running_accuracy"] = float(logs.get("accuracy", np.nan))
        row["seconds"] = round(time.perf_counter() - self._started, 2)
        self.epochs.append(row)

    def rescore_last(self, before: str = "unaveraged"):
        """The last epoch's scores taken again, on the model as it now is (its averaged weights, after fit; or
        reading turned drawings too); the scores it had are kept, their names starting with `before`."""
        row, self.epochs = self.epochs[-1], self.epochs[:-1]
        self.on_epoch_end(row["epoch"] - 1, {"loss": row["running_loss"], "accuracy": row["running_accuracy"]})
        self.epochs[-1].update({key: value for key, value in row.items() if key not in self.epochs[-1]})  # earlier ones
        self.epochs[-1]["seconds"] = row["seconds"]
        self.epochs[-1].update(
            {f"{before}_{key}": row[key] for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")}
        )


def train(
    data: Mnist,
    network: str = "dense",
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    verbose: int = 1,
) -> tuple[keras.Model, Report]:
    """A fitted model and its report: the recipe, the per-epoch history and the final test scores.

    epochs and batch_size default to the network's own recipe (RECIPES).
    """
    recipe = RECIPES[network]
    epochs, batch_size = epochs or recipe.epochs, batch_size or recipe.batch_size
    keras.utils.set_random_seed(seed)
    steps = epochs * -(-len(data.x_train) // batch_size)
    model = build(network, training_steps=steps) if recipe.augmented else build(network)
    x_train, x_test = (as_network_input(model, images) for images in (data.x_train, data.x_test))
    y_train, y_test = (keras.utils.to_categorical(labels, NUM_CLASSES) for labels in (data.y_train, data.y_test))
    scored = slice(None, recipe.scored_train_images)  # MNIST's training images come in no particular order
    scores = EpochScores(x_train[scored], y_train[scored], x_test, y_test)
    started = time.perf_counter()
    if recipe.augmented:
        batches = augmented_batches(x_train, data.y_train, batch_size, seed)
        model.fit(batches, epochs=epochs, callbacks=[scores], verbose=verbose)
        if model.optimizer.use_ema:  # fit has just put the averaged weights into the model
            scores.rescore_last()
    else:
        model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=[scores], verbose=verbose)
    seconds = time.perf_counter() - started
    layers, parameters = [_describe(layer) for layer in model.layers], int(model.count_params())
    if recipe.views:
        model = with_views(model, recipe.views)
        scores.set_model(model)
        scores.rescore_last("unturned")
    report = Report.of_training(
        network,
        Recipe(
            layers=layers,
            optimizer=recipe.optimizer,
            epochs=epochs,
            batch_size=batch_size,
            seed=seed,
            training_images=int(len(data.x_train)),
            test_images=int(len(data.x_test)),
            scored_train_images=int(len(scores.sets["train"][0])),
            augmentation=_augmentation() if recipe.augmented else None,
            views=_views(recipe.views),
        ),
        scores.epochs,
        parameters=parameters,
        seconds=round(seconds, 1),
        data={"source": data.source, "sha256": data.checksum()},
        versions=_versions(),
    )
    return model, report


def with_views(model: keras.Model, views: tuple[tuple[float, float], ...]) -> keras.Model:
    """The network reading each drawing as it is and in each view (turned, smaller: digitlab.ensemble), its
    answers averaged: compiled to be scored, and saved, like the network it reads with."""
    network = averaged([model], views, name=model.name)
    network.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    return network


def _views(views: tuple[tuple[float, float], ...]) -> str | None:
    seen = ", ".join(describe(view) for view in views)
    return f"each drawing read as it is, {seen}, the answers averaged" if views else None


def _augmentation() -> str:
    from digitlab.augment import DESCRIPTION  # imported here: it imports TensorFlow

    return DESCRIPTION


def augmented_batches(x_train: np.ndarray, labels: np.ndarray, batch_size: int, seed: int):
    """A tf.data pipeline of shuffled, freshly augmented (images, one-hot labels) batches, one pass per epoch.

    The augmentation runs here, on the input side, so it is never part of the saved network.
    """
    import tensorflow as tf

    from digitlab.augment import augment

    def redraw(images, digits):
        return augment(images, digits), tf.one_hot(tf.cast(digits, tf.int32), NUM_CLASSES)

    dataset = tf.data.Dataset.from_tensor_slices((x_train, labels.astype(np.int32)))
    return (
        dataset.shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(redraw)
        .prefetch(tf.data.AUTOTUNE)
    )


def save(model: keras.Model, report: Report, out_dir: Path, name: str) -> Report:
    """Writes <name>.keras, <name>.onnx (what the app reads drawings with) and <name>.json into out_dir as one
    change: a crash leaves the old files or the new ones. Returns the report as written.

    The report gains "weights_sha256" and "onnx_sha256", the checksums of the .keras and .onnx files (see
    digitlab.model_files).
    """
    from digitlab.onnx_export import export_onnx

    written = save_network(
        out_dir, name, report.to_dict(), keras=model.save, onnx=lambda path: export_onnx(model, path)
    )
    return replace(report, **{key: written[key] for key in CHECKSUMS.values()})


def _describe(layer) -> str:
    config = layer.get_config()
    if "units" in config:
        return f"{type(layer).__name__}({config['units']}, {config.get('activation')})"
    if "filters" in config:
        size = "x".join(str(n) for n in config["kernel_size"])
        return f"{type(layer).__name__}({config['filters']}, {size}, {config.get('activation')})"
    if "rate" in config:
        return f"{type(layer).__name__}({config['rate']})"
    return type(layer).__name__


def _versions() -> dict:
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
