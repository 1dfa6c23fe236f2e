"""Where a network goes wrong on the MNIST test set: its predictions, the confusion matrix, its mistakes."""

import os
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from digitlab.config import CLASS_NAMES, NUM_CLASSES, model_dir
from digitlab.inference import Network, load_network
from digitlab.test_set import load_test_set

BATCH = 500  # a convnet's activations for 10 000 images at once would take over a gigabyte


@dataclass(frozen=True)
class Predictions:
    labels: np.ndarray  # (N,) the true digits
    predicted: np.ndarray  # (N,) the network's answers
    confidence: np.ndarray  # (N,) the probability the network gave its answer

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.predicted).mean())


def predict(network: Network, images: np.ndarray, labels: np.ndarray, batch: int = BATCH) -> Predictions:
    """The network's answer and confidence for every image, computed a batch at a time."""
    probabilities = np.concatenate(
        [network.probabilities(images[start : start + batch]) for start in range(0, len(images), batch)]
    )
    return Predictions(np.asarray(labels), probabilities.argmax(axis=1), probabilities.max(axis=1))


def predictions_path(name: str, folder: Path | None = None) -> Path:
    """Where a network's answers on the test set are kept, beside its .keras file and its report."""
    return Path(folder or model_dir()) / f"{name}.test.npz"


def save_predictions(predictions: Predictions, path: Path, weights_sha256: str) -> None:
    """Keeps a network's answers on the test set, so that the Mistakes page need not read 10 000 digits on its
    first visit (a convnet takes seconds over them). The checksum of the weights they came from goes with them."""
    temporary = path.with_name(f".{path.name}-{uuid.uuid4().hex}")
    try:
        with open(temporary, "wb") as file:
            np.savez(
                file,
                labels=predictions.labels.astype(np.uint8),
                predicted=predictions.predicted.astype(np.uint8),
                confidence=predictions.confidence.astype(np.float32),
                weights_sha256=np.array(weights_sha256),
            )
        os.replace(temporary, path)  # a reader sees the old file or the new one, never half of one
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def saved_predictions(path: Path, weights_sha256: str | None, labels: np.ndarray) -> Predictions | None:
    """The kept answers, if they came from these weights and are for these labels; else None (compute them)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            if weights_sha256 is None or str(saved["weights_sha256"]) != weights_sha256:
                return None
            kept = Predictions(
                saved["labels"].astype(np.int64), saved["predicted"].astype(np.int64), saved["confidence"]
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # missing, damaged or foreign: they can be computed
        return None
    if (
        kept.labels.shape != np.shape(labels)
        or (kept.labels != labels).any()
        or kept.confidence.shape != kept.labels.shape
    ):
        return None
    return kept


def answers_on_test_set(
    network: Network, images: np.ndarray, labels: np.ndarray, folder: Path | None = None
) -> Predictions:
    """The network's answers on the test set: the kept ones when they belong to its weights, else computed."""
    weights = network.report and network.report.weights_sha256
    folder = folder or (Path(network.path).parent if network.path else None)
    kept = saved_predictions(predictions_path(network.name, folder), weights, labels)
    return kept or predict(network, images, labels)


def keep_answers_on_test_set(model_file: Path) -> Path:
    """Reads the bundled MNIST test set with the network saved at `model_file`, and keeps its answers beside it."""
    network = load_network(model_file)
    images, labels = load_test_set()
    path = predictions_path(network.name, Path(model_file).parent)
    save_predictions(predict(network, images, labels), path, network.report.weights_sha256)
    return path


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts: row = true digit, column = predicted digit; the diagonal holds the right answers."""
    return np.bincount(
        NUM_CLASSES * np.asarray(labels, np.int64) + predicted, minlength=NUM_CLASSES * NUM_CLASSES
    ).reshape(NUM_CLASSES, NUM_CLASSES)


def confusion_table(matrix: np.ndarray) -> pd.DataFrame:
    """The matrix in long form for a heatmap: one row per (true, predicted) cell with its count and share of the row."""
    true, predicted = np.indices(matrix.shape)
    rows = matrix.sum(axis=1, keepdims=True)
    return pd.DataFrame(
        {
            "true": np.asarray(CLASS_NAMES)[true.ravel()],
            "predicted": np.asarray(CLASS_NAMES)[predicted.ravel()],
            "count": matrix.ravel(),
            "share": (matrix / np.maximum(rows, 1)).ravel(),
            "correct": (true == predicted).ravel(),
        }
    )


def mistake_bins(largest: int, steps: int) -> list[tuple[int, int]]:
    """Ranges of counts (low, high), at most `steps` of them, that split 1 to `largest` evenly on a log scale.

    Mistakes get a colour scale of their own: shared with the right answers (about a thousand per digit), every
    mistake (one to a few dozen) would take the same colour. A log scale, because a network's mistakes are a few
    common mix-ups and many rare ones; ranges of whole counts, so that each colour has a plain label."""
    if largest < 1:
        return []
    edges = np.unique(np.rint(np.geomspace(1, largest + 1, steps + 1)).astype(int))
    return [(int(low), int(high) - 1) for low, high in zip(edges[:-1], edges[1:])]


def bin_label(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def cell(predictions: Predictions, true: int, predicted: int) -> np.ndarray:
    """Indices of the images of digit `true` that the network read as `predicted`, the most confident first."""
    chosen = np.flatnonzero((predictions.labels == true) & (predictions.predicted == predicted))
    return chosen[np.argsort(-predictions.confidence[chosen], kind="stable")]


def misclassified(predictions: Predictions) -> np.ndarray:
    """Indices of every wrongly read image, the most confident mistakes first: those are the telling ones."""
    wrong = np.flatnonzero(predictions.labels != predictions.predicted)
    return wrong[np.argsort(-predictions.confidence[wrong], kind="stable")]


def worst_confusions(matrix: np.ndarray, top: int = 3) -> list[tuple[int, int, int]]:
    """The `top` off-diagonal cells with the most images: [(true, predicted, count)], largest first."""
    off = matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype))
    order = np.argsort(-off.ravel(), kind="stable")[:top]
    return [(int(i // len(matrix)), int(i % len(matrix)), int(off.ravel()[i])) for i in order if off.ravel()[i] > 0]
