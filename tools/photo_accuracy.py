"""How well photos of pen-drawn digits on paper are read, next to the same digits drawn on the canvas.

    nice -n 10 python -m tools.photo_accuracy --pen ../shared/data/pen_digits_dev.npz --count 1000

Prints one JSON object: for the same pen digits (spread over all writers), the default network's
accuracy on (a) the digits drawn on the app's canvas (the evaluate-pen path), (b) phone photos of
them (tools.make_photos, made in memory) read by digitlab.photo.photo_to_mnist, (c) the same photos
read by the canvas's preprocess.to_mnist; (b) and (c) broken down by paper and by pen; and the median
time photo_to_mnist takes per photo. The issue's goal: photos read within 2 points of the canvas.
"""

import argparse
import json
import time
from dataclasses import replace

import cv2
import numpy as np

from digitlab.config import IMAGE_SIZE, best_network, model_path
from digitlab.evaluate import Rendering, canvas_inputs, error_gallery
from digitlab.inference import load_network
from digitlab.pen import load_pen_digits
from digitlab.photo import photo_to_mnist
from digitlab.preprocess import to_mnist
from tools.make_photos import FRAME, PAPERS, PENS, photos, spread_over_writers


def photo_inputs(pen, indices, seed: int) -> dict:
    """Network inputs from each photo by both recipes, the photos' papers and pens, and photo_to_mnist's times."""
    count = len(indices)
    new, old = np.zeros((2, count, IMAGE_SIZE, IMAGE_SIZE), np.float32)
    new_read, old_read = np.zeros((2, count), bool)
    papers, pens, times = [], [], []
    for k, photo in enumerate(photos(pen, indices, seed)):
        start = time.perf_counter()
        x = photo_to_mnist(photo.image)
        times.append(time.perf_counter() - start)
        if x is not None:
            new[k], new_read[k] = x, True
        y = to_mnist(photo.image)
        if y is not None:
            old[k], old_read[k] = y, True
        papers.append(photo.paper)
        pens.append(photo.pen)
    return {
        "new": (new, new_read),
        "old": (old, old_read),
        "papers": np.array(papers),
        "pens": np.array(pens),
        "times": np.array(times),
    }


def predictions(network, inputs: np.ndarray, read: np.ndarray) -> np.ndarray:
    """The digit read from each input, -1 where the recipe found none."""
    return np.where(read, network.probabilities(inputs).argmax(axis=1), -1)


def scores(predicted: np.ndarray, labels: np.ndarray, papers: np.ndarray, pens: np.ndarray) -> dict:
    correct = predicted == labels
    return {
        "accuracy": _round(correct.mean()),
        "unread": int((predicted < 0).sum()),
        "per_paper": {paper: _round(correct[papers == paper].mean()) for paper in PAPERS},
        "per_pen": {pen: _round(correct[pens == pen].mean()) for pen in PENS},
    }


def _round(value: float) -> float:
    return round(float(value), 4)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pen", default="../shared/data/pen_digits_dev.npz", help="a pen-digit .npz")
    parser.add_argument("--count", type=int, default=1000, help="how many digits, spread over all writers")
    parser.add_argument("--seed", type=int, default=0, help="seed of the choice of digits and of the photos")
    parser.add_argument("--model", default=None, help="a saved network, its .keras or .onnx (default: the app's best)")
    parser.add_argument(
        "--errors", metavar="PNG", help="save the photos misread by photo_to_mnist, as the network saw them"
    )
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)  # one core: the figure a busy server would see, and fair to whoever shares the machine

    network = load_network(args.model or model_path(best_network()))
    everything = load_pen_digits(args.pen)
    indices = spread_over_writers(args.pen, args.count, args.seed)
    pen = replace(everything.subset(indices), points=everything.subset(indices).points.astype(np.float32))
    labels = pen.labels
    canvas, canvas_read = canvas_inputs(pen, Rendering())
    canvas_correct = predictions(network, canvas, canvas_read) == labels
    shot = photo_inputs(pen, np.arange(len(pen)), args.seed)
    new = predictions(network, *shot["new"])
    old = predictions(network, *shot["old"])
    if args.errors:
        error_gallery(shot["new"][0], labels, new).save(args.errors)
    photo = scores(new, labels, shot["papers"], shot["pens"])
    report = {
        "network": network.name,
        "samples": int(len(pen)),
        "writers": _writers(args.pen, indices),
        "photo_size": list(FRAME),
        "canvas": {"accuracy": _round(canvas_correct.mean())},
        "photo_to_mnist": photo,
        "to_mnist_on_photos": scores(old, labels, shot["papers"], shot["pens"]),
        "gap_to_canvas_points": round(100 * (canvas_correct.mean() - photo["accuracy"]), 2),
        "photo_to_mnist_ms_median": round(1000 * float(np.median(shot["times"])), 1),
        "photo_to_mnist_ms_p90": round(1000 * float(np.percentile(shot["times"], 90)), 1),
    }
    print(json.dumps(report, indent=1))


def _writers(pen_file, indices) -> int:
    with np.load(pen_file, allow_pickle=False) as npz:
        key = "writer" if "writer" in npz.files else "source"
        return int(len(np.unique(npz[key][indices])))


if __name__ == "__main__":
    main()
