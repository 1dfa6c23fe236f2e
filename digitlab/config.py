"""The project's facts, each stated once."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL_DIR = PROJECT_DIR / "model"

IMAGE_SIZE = 28  # MNIST images are 28 x 28 pixels
DIGIT_BOX = 20  # MNIST digits were scaled so that their longer side is 20 px
CLASS_NAMES = tuple(str(digit) for digit in range(10))
NUM_CLASSES = len(CLASS_NAMES)

CANVAS_SIZE = 280  # the drawing canvas, in CSS pixels (10 x the network's input)
DEFAULT_BRUSH = 18  # px on the canvas: after downsampling, about MNIST's stroke width

NETWORKS = ("dense",)  # network names; each is saved as model/<name>.keras + model/<name>.json
DEFAULT_NETWORK = "dense"


def model_path(name: str, model_dir: Path = MODEL_DIR) -> Path:
    return Path(model_dir) / f"{name}.keras"


def report_path(name: str, model_dir: Path = MODEL_DIR) -> Path:
    return Path(model_dir) / f"{name}.json"
