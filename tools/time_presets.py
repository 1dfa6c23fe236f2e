"""How long the Train page's presets take here, and the gap they show, run exactly as the page runs them.

    python -m tools.time_presets [--data path/to/mnist.npz]

Uses full MNIST (Keras's download, or --data) like the page; prints one JSON object.
"""

import argparse
import json
import time

from digitlab.data import load_mnist
from digitlab.experiments import PRESETS
from digitlab.live_training import LiveTraining


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a local MNIST .npz; default: Keras's download")
    mnist = load_mnist(parser.parse_args().data)
    results = {}
    for name, preset in PRESETS.items():
        training = LiveTraining(
            mnist.x_train[: preset.training_images],
            mnist.y_train[: preset.training_images],
            mnist.x_test,
            mnist.y_test,
            variant=preset.variant,
            epochs=preset.epochs,
        )
        started = time.perf_counter()
        training.start()
        training.join()
        progress = training.progress()
        last = progress.history[-1]
        results[name] = {
            "title": preset.title,
            "seconds": round(time.perf_counter() - started, 1),
            "epochs": len(progress.history),
            "train_accuracy": round(last["train_accuracy"], 4),
            "test_accuracy": round(last["test_accuracy"], 4),
            "best_test_accuracy": round(max(e["test_accuracy"] for e in progress.history), 4),
            "gap_points": round(100 * (last["train_accuracy"] - last["test_accuracy"]), 2),
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
