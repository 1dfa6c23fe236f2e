"""Reading one drawing with this checkout's networks against another checkout's, interleaved in one process.

    git worktree add /tmp/before 93847f2      # the NumPy pass that ONNX Runtime replaced (#15)
    python -m tools.reader_ab --before /tmp/before [--network dense] [--runs 6]

Two `python -m digitlab bench` runs minutes apart differ by more than the few microseconds in question on a
shared machine. Here both readers take turns on the same drawings (data/pen_sample.npz through to_mnist),
round after round, so a busy moment slows both. Prints one JSON object: each run's p50 in ms for `before`
and `now`, and their medians.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from digitlab.bench import canvas_drawings
from digitlab.blas import use_one_blas_thread
from digitlab.config import PROJECT_DIR, model_path
from digitlab.inference import load_network
from digitlab.preprocess import to_mnist

ROUNDS, DRAWINGS = 30, 200


def load_before(checkout: Path, name: str):
    """The network as the other checkout's digitlab loads it: its modules imported under their own names,
    then set aside, so that this checkout's modules (already imported) are untouched."""
    ours = {key: module for key, module in sys.modules.items() if key.split(".")[0] == "digitlab"}
    for key in ours:
        del sys.modules[key]
    sys.path.insert(0, str(checkout))
    try:
        from digitlab.inference import load_network as load_theirs

        return load_theirs(checkout / "model" / f"{name}.keras", name)
    finally:
        sys.path.remove(str(checkout))
        for key in [key for key in sys.modules if key.split(".")[0] == "digitlab"]:
            del sys.modules[key]
        sys.modules.update(ours)


def one_run(readers: dict, inputs: list[np.ndarray]) -> dict:
    """p50 ms per reader; each round, the reader that starts goes round in turn."""
    seconds = {key: [] for key in readers}
    order = list(readers)
    for round_ in range(ROUNDS):
        for key in order[round_ % len(order) :] + order[: round_ % len(order)]:
            read = readers[key].probabilities
            read(inputs[0])
            for x in inputs:
                started = time.perf_counter()
                read(x)
                seconds[key].append(time.perf_counter() - started)
    return {key: round(float(np.percentile(times, 50)) * 1000, 4) for key, times in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, type=Path, help="the other checkout (a git worktree)")
    parser.add_argument("--network", default="dense")
    parser.add_argument("--runs", type=int, default=6)
    args = parser.parse_args()
    use_one_blas_thread()  # as the app's server does
    inputs = [to_mnist(drawing)[None] for drawing in canvas_drawings(DRAWINGS)]
    readers = {
        "before": load_before(args.before.resolve(), args.network),
        "now": load_network(model_path(args.network), args.network),
    }
    runs = [one_run(readers, inputs) for _ in range(args.runs)]
    medians = {key: round(float(np.median([run[key] for run in runs])), 4) for key in readers}
    faster = sum(run["now"] <= run["before"] for run in runs)
    result = {"network": args.network, "before": str(args.before), "now": str(PROJECT_DIR), "p50_ms": runs}
    print(json.dumps({**result, "median_p50_ms": medians, "runs_now_faster": faster}))


if __name__ == "__main__":
    main()
