"""Where a network goes wrong on the MNIST test set: its predictions, the confusion matrix, its mistakes."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from digitlab.config import CLASS_NAMES, NUM_CLASSES
from digitlab.inference import Network

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
    probabilities = np.concatenate([network.probabilities(images[start:start + batch])
                                    for start in range(0, len(images), batch)])
    return Predictions(np.asarray(labels), probabilities.argmax(axis=1), probabilities.max(axis=1))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(10, 10) counts: row = true digit, column = predicted digit; the diagonal holds the right answers."""
    return np.bincount(NUM_CLASSES * np.asarray(labels, np.int64) + predicted,
                       minlength=NUM_CLASSES * NUM_CLASSES).reshape(NUM_CLASSES, NUM_CLASSES)


def confusion_table(matrix: np.ndarray) -> pd.DataFrame:
    """The matrix in long form for a heatmap: one row per (true, predicted) cell with its count and share of the row."""
    true, predicted = np.indices(matrix.shape)
    rows = matrix.sum(axis=1, keepdims=True)
    return pd.DataFrame({
        "true": np.asarray(CLASS_NAMES)[true.ravel()],
        "predicted": np.asarray(CLASS_NAMES)[predicted.ravel()],
        "count": matrix.ravel(),
        "share": (matrix / np.maximum(rows, 1)).ravel(),
        "correct": (true == predicted).ravel(),
    })


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
