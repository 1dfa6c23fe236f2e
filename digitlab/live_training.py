"""Training a network in a background thread that a page can watch, epoch by epoch, and stop.

A page reruns its script for every interaction, so a training cannot run inside it: `LiveTraining` runs
Keras's `fit` in a thread and offers `progress()`, a snapshot the page polls. Only one training runs on the
whole server at a time (TRAINING_SLOT): a dense network already keeps two CPU cores busy, and thirty
learners starting thirty trainings would make every one of them crawl.
"""

import threading
import time
from dataclasses import dataclass

import keras
import numpy as np

from digitlab.config import NUM_CLASSES
from digitlab.experiments import BATCH_SIZE, VARIANTS, build_variant
from digitlab.inference import Network, as_network_input
from digitlab.training import EpochScores

TRAINING_SLOT = threading.Lock()  # held by the one training running in this server process

WAITING, RUNNING, FINISHED, STOPPED, FAILED = "waiting", "running", "finished", "stopped", "failed"


class TrainingBusy(Exception):
    """Another training holds the server's training slot; try again when it is over."""


@dataclass(frozen=True)
class Progress:
    """What a page shows while a training runs: a snapshot, safe to read from any thread."""
    state: str  # WAITING, RUNNING, FINISHED, STOPPED or FAILED
    epochs: int  # planned
    batches_per_epoch: int
    batches_done: int  # over all epochs so far
    history: tuple  # one dict per finished epoch: epoch, train_/test_ accuracy and loss, seconds
    seconds: float
    error: str | None = None

    @property
    def fraction(self) -> float:
        """How much of the planned training is done, 0 to 1."""
        return min(1.0, self.batches_done / max(1, self.epochs * self.batches_per_epoch))

    @property
    def over(self) -> bool:
        return self.state in (FINISHED, STOPPED, FAILED)


class _Watcher(EpochScores):
    """EpochScores' honest end-of-epoch measures, plus a batch count and a stop between any two batches."""

    def __init__(self, training: "LiveTraining", *sets):
        super().__init__(*sets)
        self.training = training

    def on_train_batch_end(self, batch, logs=None):
        self.training._batches_done += 1
        if self.training._should_stop():
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if not self.training._stop.is_set():  # a stopped epoch is unfinished: measuring it would only delay the stop
            super().on_epoch_end(epoch, logs)


class LiveTraining:
    """One training of an experiment variant (digitlab.experiments) on the given images, in a thread.

    start() begins it (or raises TrainingBusy), stop() ends it after the current batch, progress() tells
    how far it is, and network() gives the trained network once it is over. idle_timeout (seconds) stops a
    training nobody has asked progress() about for that long: a learner who closed the tab.
    """

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                 variant: str = "seed", epochs: int = 10, batch_size: int = BATCH_SIZE, seed: int = 0,
                 idle_timeout: float | None = None):
        if variant not in VARIANTS:
            raise ValueError(f"Unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
        self.data = (x_train, y_train, x_test, y_test)
        self.variant, self.epochs, self.batch_size, self.seed = variant, int(epochs), int(batch_size), seed
        self.idle_timeout = idle_timeout
        self.model: keras.Model | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state, self._error = WAITING, None
        self._batches_done, self._watcher = 0, None
        self._started = self._ended = None
        self._last_watched = time.monotonic()

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.data[0]) // self.batch_size)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("This training has already been started; make a new LiveTraining to train again.")
        if not TRAINING_SLOT.acquire(blocking=False):
            raise TrainingBusy("Another training is running on this server. Wait for it to end, then start again.")
        self._started, self._state = time.monotonic(), RUNNING
        self._last_watched = self._started
        self._thread = threading.Thread(target=self._run, name="live-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends the training after the batch in progress (a few milliseconds for a dense network)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the training to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is not None and not self._thread.is_alive()

    def progress(self) -> Progress:
        self._last_watched = time.monotonic()
        history = tuple(dict(row) for row in self._watcher.epochs) if self._watcher else ()
        end = self._ended or time.monotonic()
        return Progress(self._state, self.epochs, self.batches_per_epoch, self._batches_done, history,
                        round(end - self._started, 1) if self._started else 0.0, self._error)

    def report(self) -> dict:
        """The training's recipe, history and last measured scores, shaped like train.py's reports."""
        progress = self.progress()
        last = progress.history[-1] if progress.history else {}
        x_train, _, x_test, _ = self.data
        variant = VARIANTS[self.variant]
        return {
            "network": "experiment",
            "title": f"{variant.title}, {len(progress.history)} epochs on {len(x_train):,} images",
            "recipe": {"variant": self.variant, "layers": variant.title, "optimizer": "rmsprop",
                       "loss": "categorical_crossentropy", "epochs": len(progress.history),
                       "planned_epochs": self.epochs, "batch_size": self.batch_size, "seed": self.seed,
                       "training_images": int(len(x_train)), "test_images": int(len(x_test)),
                       "pixels": "uint8 / 255"},
            "history": list(progress.history),
            **{key: last.get(key) for key in ("train_accuracy", "train_loss", "test_accuracy", "test_loss")},
            "parameters": int(self.model.count_params()) if self.model is not None else None,
            "seconds": progress.seconds,
            "state": progress.state,
        }

    def network(self, name: str = "experiment") -> Network:
        """The trained network, ready for the Draw page (after the training is over)."""
        if self.model is None or not self.progress().over:
            raise RuntimeError("The training is not over yet.")
        return Network(name=name, model=self.model, report=self.report())

    def _should_stop(self) -> bool:
        if self.idle_timeout is not None and time.monotonic() - self._last_watched > self.idle_timeout:
            self._stop.set()
        return self._stop.is_set()

    def _run(self) -> None:
        try:
            x_train, y_train, x_test, y_test = self.data
            keras.utils.set_random_seed(self.seed)
            model = build_variant(self.variant)
            inputs = [as_network_input(model, images) for images in (x_train, x_test)]
            targets = [keras.utils.to_categorical(labels, NUM_CLASSES) for labels in (y_train, y_test)]
            self._watcher = _Watcher(self, inputs[0], targets[0], inputs[1], targets[1])
            self.model = model
            if not self._stop.is_set():
                model.fit(inputs[0], targets[0], epochs=self.epochs, batch_size=self.batch_size,
                          callbacks=[self._watcher], verbose=0)
            self._state = STOPPED if self._stop.is_set() else FINISHED
        except Exception as error:  # shown on the page; the thread must not die silently
            self._state, self._error = FAILED, f"{type(error).__name__}: {error}"
        finally:
            self._ended = time.monotonic()
            TRAINING_SLOT.release()
