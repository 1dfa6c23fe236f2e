"""What the Data page shows of MNIST: the arrays' shapes, samples of each digit, label counts, pixels, one-hot."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from digitlab.config import CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES
from digitlab.data import Mnist
from digitlab.test_set import BUNDLED_TEST_SET, load_test_set

MEANINGS = {
    "x_train": "training images: the network learns from these",
    "y_train": "training labels: the digit each training image shows",
    "x_test": "test images: kept apart, to measure the network on images it never saw",
    "y_test": "test labels",
}


@dataclass(frozen=True)
class LessonData:
    arrays: dict  # name -> array, in Keras's order: x_train, y_train, x_test, y_test (or only the test pair)
    source: str  # plain words, for the page
    complete: bool  # False when only the bundled test set could be had

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The images and labels of the "train" or "test" split."""
        return self.arrays[f"x_{name}"], self.arrays[f"y_{name}"]

    @property
    def splits(self) -> list[str]:
        return [name for name in ("train", "test") if f"x_{name}" in self.arrays]


def load_lesson_data(mnist: Mnist | None) -> LessonData:
    """MNIST as keras.datasets.mnist.load_data() gives it (digitlab.data.download_or_none); without it
    (offline, say), the test set bundled in data/, which is the same 10 000 test images."""
    if mnist is not None:
        arrays = {name: getattr(mnist, name) for name in ("x_train", "y_train", "x_test", "y_test")}
        return LessonData(arrays, "keras.datasets.mnist.load_data()", complete=True)
    images, labels = load_test_set()
    return LessonData(
        {"x_test": images, "y_test": labels},
        f"the test set bundled with this app ({BUNDLED_TEST_SET.parent.name}/{BUNDLED_TEST_SET.name})",
        complete=False,
    )


def array_table(arrays: dict) -> pd.DataFrame:
    """One row per array: its name, shape, dtype, value range and meaning."""
    return pd.DataFrame(
        [
            {
                "array": name,
                "shape": str(array.shape),
                "dtype": str(array.dtype),
                "values": f"{array.min()} to {array.max()}",
                "what it holds": MEANINGS.get(name, ""),
            }
            for name, array in arrays.items()
        ]
    )


def label_counts(labels: np.ndarray) -> pd.DataFrame:
    """How many images there are of each digit."""
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    return pd.DataFrame({"digit": list(CLASS_NAMES), "images": counts, "share": counts / counts.sum()})


def samples_per_digit(labels: np.ndarray, per_digit: int, seed: int = 0) -> np.ndarray:
    """(10, per_digit) indices: a row of randomly chosen images for each digit, the same for the same seed."""
    rng = np.random.default_rng(seed)
    return np.stack(
        [rng.choice(np.flatnonzero(labels == digit), per_digit, replace=False) for digit in range(NUM_CLASSES)]
    )


def mosaic(images: np.ndarray, indices: np.ndarray, gap: int = 2) -> np.ndarray:
    """The images at a 2-D array of indices, tiled into one picture, with a dark-grey gap between them."""
    rows, columns = indices.shape
    step = IMAGE_SIZE + gap
    picture = np.full((rows * step - gap, columns * step - gap), 64, np.uint8)
    for r in range(rows):
        for c in range(columns):
            picture[r * step : r * step + IMAGE_SIZE, c * step : c * step + IMAGE_SIZE] = images[indices[r, c]]
    return picture


def pixel_table(image: np.ndarray) -> pd.DataFrame:
    """A 28 x 28 image's 0-255 pixel values in long form, one row per pixel: row, column, value (numbered from 0)."""
    rows, columns = np.indices(np.shape(image))
    return pd.DataFrame({"row": rows.ravel(), "column": columns.ravel(), "value": np.asarray(image, np.uint8).ravel()})


def one_hot(label: int) -> np.ndarray:
    """The label as the network's target: ten numbers, 1 at the label's place, 0 elsewhere."""
    vector = np.zeros(NUM_CLASSES, np.float32)
    vector[int(label)] = 1
    return vector
