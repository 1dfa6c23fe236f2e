"""The Train page's training, in a process of its own at the lowest CPU priority (started by digitlab.live_training).

    python -m digitlab.training_worker INPUTS.npz MODEL.keras --variant seed --epochs 10 [--batch-size 128] [--seed 0]

INPUTS.npz holds x_train, y_train, x_test and y_test (read without pickle, then removed: up to 55 MB that
nobody needs any more, and that a parent killed outright could not remove). The process reports on stdout,
one JSON object a line: {"batches": n} a few times a second, {"batches": n, "epoch": {...}} after each
finished epoch (digitlab.training.EpochScores' row), and at the end either {"over": "finished" | "stopped",
"parameters": n}, once MODEL.keras is written, or {"error": "one short line"}. It stops after the batch in
progress when its stdin closes: the parent's stop, or the parent's death, so it never outlives the server
by more than a batch and a save.

Only the standard library is imported at the top: NumPy and TensorFlow start their threads when they are
imported, and those threads must inherit the lowered priority (main() lowers it first).
"""

import argparse
import json
import os
import sys
import threading
import time
import traceback

NICENESS = 19  # the lowest priority: the server's threads, at 0, get the processors whenever they want them
BATCHES_EVERY_S = 0.25  # how often the batch count is reported (the page polls once a second)
MAX_ERROR_CHARS = 200  # a page shows the error in one line


def main(argv: list[str] | None = None) -> int:
    os.nice(NICENESS)  # first of all: every thread started from now on inherits it
    args = _arguments(argv)
    send = _protocol()
    stop = threading.Event()
    threading.Thread(target=_stop_at_eof, args=(stop,), name="stdin", daemon=True).start()
    try:
        over, parameters = _train(args, stop, send)
    except Exception as error:
        traceback.print_exc()  # the whole story for the server's log; the page gets one line
        send(error=short_error(error))
        return 1
    send(over=over, parameters=parameters)
    return 0


def short_error(error: BaseException) -> str:
    """`Type: first line of the message`, at most MAX_ERROR_CHARS: TensorFlow's messages can run to pages."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs")
    parser.add_argument("model")
    parser.add_argument("--variant", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _protocol():
    """send(**fields): one JSON line on the real stdout. Whatever else anything prints goes to stderr instead,
    so that it can never be taken for a report."""
    reports = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def send(**fields) -> None:
        reports.write(json.dumps(fields) + "\n")

    return send


def _stop_at_eof(stop: threading.Event) -> None:
    """The parent never writes: the read returns when it closes our stdin, or dies. The file descriptor, not
    sys.stdin: a thread blocked inside sys.stdin's buffer holds its lock, and the interpreter aborts at exit."""
    while os.read(0, 4096):
        pass
    stop.set()


def _train(args, stop: threading.Event, send) -> tuple[str, int]:
    import numpy as np

    from digitlab.backend import import_keras

    keras = import_keras()
    from digitlab.config import NUM_CLASSES
    from digitlab.experiments import build_variant
    from digitlab.inference import as_network_input
    from digitlab.training import EpochScores

    class Watcher(EpochScores):
        """EpochScores' honest end-of-epoch measures, each sent as soon as taken; a batch count; a stop
        between any two batches."""

        batches, sent_at = 0, 0.0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            if time.monotonic() - self.sent_at > BATCHES_EVERY_S:
                self.sent_at = time.monotonic()
                send(batches=self.batches)
            if stop.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if not stop.is_set():  # a stopped epoch is unfinished: measuring it would only delay the stop
                super().on_epoch_end(epoch, logs)
                send(batches=self.batches, epoch=self.epochs[-1])

    with np.load(args.inputs, allow_pickle=False) as inputs:
        data = {key: inputs[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    os.remove(args.inputs)
    keras.utils.set_random_seed(args.seed)
    model = build_variant(args.variant)
    x_train, x_test = (as_network_input(model, data[key]) for key in ("x_train", "x_test"))
    y_train, y_test = (keras.utils.to_categorical(data[key], NUM_CLASSES) for key in ("y_train", "y_test"))
    if not stop.is_set():
        model.fit(
            x_train,
            y_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            callbacks=[Watcher(x_train, y_train, x_test, y_test)],
            verbose=0,
        )
    over = "stopped" if stop.is_set() else "finished"
    model.save(args.model)
    return over, int(model.count_params())


if __name__ == "__main__":
    sys.exit(main())
