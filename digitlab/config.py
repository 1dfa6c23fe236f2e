"""The project's facts, each stated once."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL_DIR = PROJECT_DIR / "model"
# A recorded run of the seed network that overfits, for the Overfitting page (its report only, no weights), made by:
#   python train.py --limit 1000 --epochs 40 --out model/overfit
OVERFIT_RUN = MODEL_DIR / "overfit" / "dense.json"
MODEL_DIR_VARIABLE = "DIGITLAB_MODEL_DIR"  # set it to run the app or the CLI on networks saved elsewhere
# 300 real pen-drawn digits (UniPen, 30 per digit): the CLI's `bench`, the benchmarks' and the browser tests' drawings
PEN_SAMPLE = PROJECT_DIR / "data" / "pen_sample.npz"

IMAGE_SIZE = 28  # MNIST images are 28 x 28 pixels
DIGIT_BOX = 20  # MNIST digits were scaled so that their longer side is 20 px
CLASS_NAMES = tuple(str(digit) for digit in range(10))
NUM_CLASSES = len(CLASS_NAMES)

DEFAULT_CLASS = ""  # the class of a session that joined none (digitlab.classes), and of drawings from before classes

CANVAS_SIZE = 280  # the drawing canvas, in CSS pixels (10 x the network's input)
DEFAULT_BRUSH = 18  # px on the canvas: after downsampling, about MNIST's stroke width
BRUSH_RANGE = (6, 40)  # px: the Draw page's brush slider, thinnest to widest
# How pen-drawn digits are put on the canvas when they stand in for a person's drawing (digitlab.pen, the
# CLI's evaluate-pen): a digit's height, and how far from the centre it may start, as shares of the canvas.
DRAWN_HEIGHT = 0.6
DRAWN_SPREAD = 0.1

# The networks train.py builds, best first; each is saved as model/<name>.keras (Keras's own file: for
# training on and for looking inside), model/<name>.onnx (the same network for ONNX Runtime: for reading
# drawings) and model/<name>.json (its report).
NETWORKS = ("cnn", "dense")
NETWORK_TITLES = {"cnn": "Convnet (reads drawn digits best)", "dense": "Seed network (Dense 512)"}  # to choose one
NETWORK_NAMES = {"cnn": "the convnet", "dense": "the seed network"}  # in sentences, legends and tables
SEED_NETWORK = "dense"  # the classic first example: train.py's default, and the Overfitting lesson's network


def model_dir() -> Path:
    """Where the networks are: $DIGITLAB_MODEL_DIR if set, else the bundled model/ folder."""
    return Path(os.environ.get(MODEL_DIR_VARIABLE) or MODEL_DIR)


def available_networks(folder: Path | None = None) -> list[str]:
    """The networks that have been trained, best first."""
    return [name for name in NETWORKS if model_path(name, folder).is_file()]


def best_network(folder: Path | None = None) -> str:
    """The best trained network (the seed network's name if none is trained, so errors name it)."""
    return next(iter(available_networks(folder)), SEED_NETWORK)


def model_path(name: str, folder: Path | None = None) -> Path:
    return Path(folder or model_dir()) / f"{name}.keras"


def onnx_path(name: str, folder: Path | None = None) -> Path:
    return Path(folder or model_dir()) / f"{name}.onnx"


def report_path(name: str, folder: Path | None = None) -> Path:
    return Path(folder or model_dir()) / f"{name}.json"


def modified_time(path: Path) -> float | None:
    """A file's modification time (None if it is missing): a cache key that changes when the file does."""
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return None
