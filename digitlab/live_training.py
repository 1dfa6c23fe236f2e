"""Training a network in a process of its own that a page can watch, epoch by epoch, and stop.

A page reruns its script for every interaction, so a training cannot run inside it: `LiveTraining` starts
digitlab.training_worker and offers `progress()`, a snapshot the page polls. A child process, not a thread
of the server (issue #11: a training in a server thread tripled everyone's mouse-up -> answer p95 on the
Draw page), because:

- the GIL: Keras's `fit` runs Python between TensorFlow's kernels, and in the server every session's
  request handling waited for it; a child has an interpreter of its own;
- priority: the child lowers its own priority to the lowest (nice 19) before TensorFlow starts its
  thread pools, so the server's request handling gets the processors whenever it wants them and the
  training takes what is left; threads of the server cannot be ranked below it that simply;
- memory: what TensorFlow allocates for the training is returned to the system when the child exits.

The child hands the trained model back as a .keras file. The server needs no TensorFlow while a training
runs; once it is over, the network is loaded into Keras and read with `model(x, training=False)` (by then
TensorFlow has been imported for the other pages anyway, while exporting each network to ONNX in the child
would add a second or more to every training). Inputs go to the child in an .npz file (never pickle),
progress comes back as JSON lines. How many trainings run at once, which class each belongs to, and who
may watch or stop it, is digitlab.training_board's business: this module only runs one.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitlab.backend import import_keras
from digitlab.config import PROJECT_DIR
from digitlab.experiments import BATCH_SIZE, VARIANTS
from digitlab.inference import Network
from digitlab.report import Recipe, Report

STOP_GRACE_S = 10  # after a stop, a child that has not ended by itself is killed (a batch and a save take far less)

WAITING, RUNNING, FINISHED, STOPPED, FAILED = "waiting", "running", "finished", "stopped", "failed"
ACTIVE = (WAITING, RUNNING)


def describe(variant: str, images: int, epochs: int) -> str:
    """What was asked for, in a few words: "Seed network: Dense 512, 1,000 images, 35 epochs"."""
    return f"{VARIANTS[variant].title}, {images:,} images, {epochs} epochs"


def training_report(
    variant: str,
    images: int,
    test_images: int,
    progress: "Progress",
    batch_size: int = BATCH_SIZE,
    seed: int | None = None,
    parameters: int | None = None,
) -> Report:
    """A Train page training's recipe, history and last measured scores, like train.py's reports: one place,
    whether the training ran here or in another of the server's processes."""
    title = VARIANTS[variant].title
    recipe = Recipe(
        layers=title,
        variant=variant,
        epochs=len(progress.history),
        planned_epochs=progress.epochs,
        batch_size=batch_size,
        seed=seed,
        training_images=int(images),
        test_images=int(test_images),
    )
    return Report.of_training(
        "experiment",
        recipe,
        list(progress.history),
        title=f"{title}, {len(progress.history)} epochs on {images:,} images",
        parameters=parameters,
        seconds=progress.seconds,
        state=progress.state,
    )


@dataclass(frozen=True)
class Progress:
    """What a page shows while a training runs: a snapshot, safe to read from any thread."""

    state: str  # WAITING, RUNNING, FINISHED, STOPPED or FAILED
    epochs: int  # planned
    batches_per_epoch: int
    batches_done: int  # over all epochs so far
    history: tuple  # one dict per finished epoch: epoch, train_/test_ accuracy and loss, seconds
    seconds: float
    error: str | None = None  # a FAILED training's one line
    reason: str | None = None  # why a training STOPPED when no one pressed Stop (its process died, say)

    @property
    def fraction(self) -> float:
        """How much of the planned training is done, 0 to 1."""
        return min(1.0, self.batches_done / max(1, self.epochs * self.batches_per_epoch))

    @property
    def over(self) -> bool:
        return self.state in (FINISHED, STOPPED, FAILED)


class LiveTraining:
    """One training of an experiment variant (digitlab.experiments) on the given images, in a child process.

    start() begins it (or raises TrainingBusy), stop() ends it after the current batch, progress() tells
    how far it is, and network() gives the trained network once it is over. idle_timeout (seconds) stops a
    training nobody has asked progress() about for that long: a learner who closed the tab. A LiveTraining
    that is garbage-collected, or still running when the server exits, kills its child.
    """

    def __init__(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_test: np.ndarray,
        y_test: np.ndarray,
        variant: str = "seed",
        epochs: int = 10,
        batch_size: int = BATCH_SIZE,
        seed: int = 0,
        idle_timeout: float | None = None,
    ):
        if variant not in VARIANTS:
            raise ValueError(f"Unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
        self.data = (x_train, y_train, x_test, y_test)
        self.variant, self.epochs, self.batch_size, self.seed = variant, int(epochs), int(batch_size), seed
        self.idle_timeout = idle_timeout
        self._child: _Child | None = None
        self._thread: threading.Thread | None = None
        self._model = None  # the trained keras.Model, loaded once it is asked for

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.data[0]) // self.batch_size)

    @property
    def settings(self) -> str:
        """What was asked for, in a few words: "Seed network: Dense 512, 1,000 images, 35 epochs"."""
        return describe(self.variant, len(self.data[0]), self.epochs)

    @property
    def pid(self) -> int | None:
        """The training process's id (None before start())."""
        return self._child.process.pid if self._child else None

    @property
    def has_network(self) -> bool:
        """True once the training is over and its network was saved (not after a failure or a late kill)."""
        return self._child is not None and self._child.parameters is not None and self.progress().over

    def start(self) -> None:
        if self._child is not None:
            raise RuntimeError("This training has already been started; make a new LiveTraining to train again.")
        options = ["--variant", self.variant, "--epochs", str(self.epochs), "--batch-size", str(self.batch_size)]
        self._child = _Child(self.data, [*options, "--seed", str(self.seed)], self.idle_timeout)
        weakref.finalize(self, self._child.end)  # also at the server's exit (finalize's atexit)
        self._thread = threading.Thread(target=self._child.follow, name="live-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends the training after the batch in progress (a few milliseconds for a dense network)."""
        if self._child:
            self._child.stop()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the training to end; True if it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is not None and not self._thread.is_alive()

    def progress(self, watching: bool = True) -> Progress:
        """Where the training is. watching=False for a reader that is no viewer (digitlab.training_board's keeper,
        which copies it to the store): only viewers keep an idle_timeout from running out."""
        child = self._child
        if child is None:
            return Progress(WAITING, self.epochs, self.batches_per_epoch, 0, (), 0.0)
        if watching:
            child.last_watched = time.monotonic()
        end = child.ended or time.monotonic()
        return Progress(
            child.state,
            self.epochs,
            self.batches_per_epoch,
            child.batches,
            child.history,
            round(end - child.started, 1),
            child.error,
            child.reason,
        )

    def report(self) -> Report:
        """The training's recipe, history and last measured scores, like train.py's reports."""
        x_train, _, x_test, _ = self.data
        parameters = self._child.parameters if self._child else None
        return training_report(
            self.variant, len(x_train), len(x_test), self.progress(), self.batch_size, self.seed, parameters
        )

    def network(self, name: str = "experiment") -> Network:
        """The trained network, ready for the Draw page (after the training is over): its Keras model, loaded
        from the child's file (which lasts as long as this object)."""
        if not self.has_network:
            raise RuntimeError(
                "The training is not over yet." if not self.progress().over else "This training saved no network."
            )
        if self._model is None:
            self._model = import_keras().saving.load_model(self._child.model_file, compile=False)
        return Network(name=name, model=self._model, report=self.report())


class _Child:
    """The training process, its files and what it has reported so far.

    Its reader thread and LiveTraining's finalizer hold this object, never the LiveTraining: so a
    LiveTraining nobody holds any more can be collected, and its finalizer kill the child.
    """

    def __init__(self, data: tuple, options: list[str], idle_timeout: float | None):
        self.folder = Path(tempfile.mkdtemp(prefix="digitlab-training-"))
        self.inputs, self.model_file = self.folder / "inputs.npz", self.folder / "model.keras"
        try:
            np.savez(self.inputs, **dict(zip(("x_train", "y_train", "x_test", "y_test"), data)))
            self.process = subprocess.Popen(
                [sys.executable, "-m", "digitlab.training_worker", str(self.inputs), str(self.model_file), *options],
                cwd=PROJECT_DIR,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.idle_timeout = idle_timeout
        self.started = self.last_watched = time.monotonic()
        self.ended: float | None = None
        self.state, self.error, self.reason, self.batches, self.history = RUNNING, None, None, 0, ()
        self.over: str | None = None  # what the child said at its end: FINISHED or STOPPED
        self.parameters: int | None = None  # set once the child has saved the network
        self._stopping = False

    def follow(self) -> None:
        """The reader thread: takes in the child's reports until it exits, then settles the state."""
        error = None
        try:
            for line in self.process.stdout:
                self._take(json.loads(line))
                if self.idle_timeout is not None and time.monotonic() - self.last_watched > self.idle_timeout:
                    self.stop()
        except ValueError as bad:  # not a report: the child is not the worker it should be
            error = f"The training process sent something unreadable ({bad})."
            self.process.kill()
        finally:
            code = self.process.wait()
            self.inputs.unlink(missing_ok=True)  # the child removes it once read, unless it died before
            self.ended = time.monotonic()
            self.state, self.error, self.reason = self._outcome(code, error)
            if self.parameters is None:
                shutil.rmtree(self.folder, ignore_errors=True)

    def stop(self) -> None:
        """Closes the child's stdin (it stops after its batch) and kills it if it has not ended STOP_GRACE_S later."""
        if self._stopping:
            return
        self._stopping = True
        try:
            self.process.stdin.close()
        except OSError:
            pass
        timer = threading.Timer(STOP_GRACE_S, self.kill)
        timer.daemon = True
        timer.start()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()

    def end(self) -> None:
        """The LiveTraining is gone (collected, or the server exits): no child and no files may outlive it."""
        self._stopping = True
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _take(self, report: dict) -> None:
        self.batches = report.get("batches", self.batches)
        if "epoch" in report:
            self.history = self.history + (report["epoch"],)
        if "over" in report:
            self.over, self.parameters = report["over"], report["parameters"]
        if "error" in report:
            self.error = report["error"]

    def _outcome(self, code: int, error: str | None) -> tuple[str, str | None, str | None]:
        """(state, error, reason). A child that died without a word (killed by the system, say) stopped: nothing
        in the training failed, and starting again is all there is to do."""
        if self.over is not None:
            return (FINISHED if self.over == "finished" else STOPPED), None, None
        if error or self.error:
            return FAILED, error or self.error, None
        if self._stopping:
            return STOPPED, None, None  # killed after a stop or by end(): nothing failed
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        return STOPPED, None, f"Its training process ended unexpectedly ({how}). Start again to retry."
